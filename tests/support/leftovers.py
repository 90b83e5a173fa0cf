"""What one failed papermill run left, found by its unique name prefix, and removed.

A notebook that fails half-way never reaches its cleanup cell. Its failure is reported once, by
its own test; removing its leftovers keeps tests/finally about the notebooks that passed.
"""
import docker

from dockyard.ops.cleanup import Found, find, remove


def remove_run(prefix: str) -> list[Found]:
    client = docker.from_env()
    removed = remove(client, [f for f in find(client) if prefix in f.name], log=lambda line: None)
    removed += [Found("node image name", name, "") for name in forget_node_names(client, prefix)]
    from dockyard.kube import api_client_or_none
    api = api_client_or_none()
    if api is not None:
        from kubernetes import client as k8s
        from dockyard import versions
        from dockyard.kube import release_nodes
        core = k8s.CoreV1Api(api)
        for ns in core.list_namespace(label_selector=versions.LABEL_KEY).items:
            if prefix in ns.metadata.name:
                release_nodes(core, ns.metadata.name, log=lambda line: None)
                core.delete_namespace(ns.metadata.name)
                removed.append(Found("namespace", ns.metadata.name, ns.metadata.uid))
    return removed


def forget_node_names(client, prefix: str) -> list[str]:
    """The run's image names in the kind nodes' containerd (`kind load` of a lab's own build)."""
    from dockyard.labs.checks.rollout import forget_on_nodes, kind_node_containers, node_images
    names = {tag for node in kind_node_containers(client) for i in node_images(node)
             for tag in i.get("repoTags") or [] if prefix in tag.rsplit("/", 1)[-1]}
    return forget_on_nodes(client, sorted(names))


def execute(notebook, parameters: dict, suffix: str = ""):
    """papermill_run.execute; when the run fails, what it made goes, and the failure is raised."""
    from dockyard.course import run as papermill_run
    try:
        return papermill_run.execute(notebook, parameters, suffix)
    except BaseException:
        remove_run(parameters["name_prefix"])
        raise
