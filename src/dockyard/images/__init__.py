"""One catalog of every image the kit uses, and how each is made."""
from dockyard.images.catalog import CATALOG, image  # noqa: F401
