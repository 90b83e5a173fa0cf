"""The kit's kind cluster, built without a registry: `cluster_up()`, `cluster_down()`, `load_image(ref)`."""
from dockyard.cluster.kind import cluster_down, cluster_up, load_image  # noqa: F401
