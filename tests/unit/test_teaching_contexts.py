"""The build contexts notebooks 08 and 09 use, checked without an engine."""
import re

from dockyard.images import catalog
from dockyard.images.build import DOCKER_DIR


def run_lines(dockerfile: str) -> list[str]:
    """RUN instructions with their continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (DOCKER_DIR / dockerfile).read_text())
    return [line.strip() for line in text.splitlines() if line.startswith("RUN ")]


def test_node_hello_starts_like_the_catalog_node_image():
    # 09-dockerfile counts on a cache hit for its apt-get step: the same RUN on the same base
    assert run_lines("node-hello/Dockerfile")[0] == run_lines("node/Dockerfile")[0]
    assert catalog.image("node").base == "base"


def test_node_hello_keeps_logs_out_of_the_context():
    ignored = (DOCKER_DIR / "node-hello" / ".dockerignore").read_text().split()
    assert "*.log" in ignored


def test_node_hello_uses_every_instruction_the_notebook_teaches():
    text = (DOCKER_DIR / "node-hello" / "Dockerfile").read_text()
    for instruction in ["FROM", "RUN", "COPY", "EXPOSE", "CMD", "ENV", "WORKDIR", "ARG", "ENTRYPOINT",
                        "USER", "HEALTHCHECK"]:
        assert re.search(rf"^{instruction} ", text, re.M), instruction


def test_site_is_multi_stage_and_its_single_twin_is_not():
    multi = (DOCKER_DIR / "site" / "Dockerfile").read_text()
    single = (DOCKER_DIR / "site" / "Dockerfile.single").read_text()
    assert len(re.findall(r"^FROM ", multi, re.M)) == 2 and "COPY --from=build" in multi
    assert len(re.findall(r"^FROM ", single, re.M)) == 1


def test_registry_image_has_the_registry_and_htpasswd():
    text = (DOCKER_DIR / "registry" / "Dockerfile").read_text()
    assert "docker-registry" in text and "apache2-utils" in text
