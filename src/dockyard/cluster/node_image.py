"""The kit's kind node image, assembled without any registry.

Steps (each skipped when its result is current):
  1. Go programs: Kubernetes (7 binaries), etcd, CoreDNS, local-path-provisioner, crictl.
  2. Component images, tagged exactly as kubeadm and our node manifests name them.
  3. The node base image (docker/kind-node-base): Debian + systemd + containerd.
  4. The node: base + kubeadm/kubelet/kubectl/crictl + /kind files, then every component
     image imported into containerd's k8s.io namespace, then `docker commit`.

The node tag carries the Kubernetes version and a hash of the recipe: `recipe_inputs()`, the
pinned versions, copied files, generated files and build commands (not binaries, not this code),
so a machine that has the tag knows in a second that nothing needs doing. Only the final
commit writes that tag: an interrupted build leaves at most a `*-partial` image, never reused.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from dockyard import versions
from dockyard.cache_check import sha256_of
from dockyard.cluster import config
from dockyard.display import Progress
from dockyard.errors import CommandFailed, DockyardError
from dockyard.host import gobuild
from dockyard.images.build import RECIPE_LABEL, context_digest, existing, kit_labels, stream_build
from dockyard.images.catalog import image
from dockyard.paths import BUILD, REPO, cache_dir, tools_dir
from dockyard.timings import timed

DOCKER_DIR = REPO / "docker"
NODE_REPOSITORY = "dockyard/kind-node"
PARTIAL_REPOSITORY = "dockyard/kind-node-partial"
BASE_REF = "dockyard/kind-node-base:" + versions.DEBIAN_SUITE
# Bump when the assembly steps below change in a way `recipe_inputs()` does not show.
ASSEMBLY_REVISION = "1"
# A cold build: ~10 GB of Go caches plus images; a warm one needs room for images only.
COLD_BUILD_GB = 15
WARM_BUILD_GB = 5
# `docker run --entrypoint sleep` changed these in the container; STOPSIGNAL and ENV carry over.
NODE_ENTRYPOINT = ['ENTRYPOINT ["/usr/local/bin/entrypoint"]', 'CMD ["/sbin/init"]']


@dataclass(frozen=True)
class Component:
    """One image that must sit in the node's containerd under exactly `ref`."""
    key: str
    ref: str
    context: str                                          # folder under docker/
    binaries: dict = field(default_factory=dict, hash=False)  # name in context -> program
    base: str = ""                                        # catalog key given as BASE_IMAGE
    buildargs: dict = field(default_factory=dict, hash=False)


def _kube(name: str) -> str:
    return f"registry.k8s.io/{name}:{versions.KUBERNETES_VERSION}"


COMPONENTS = [
    Component("kube-apiserver", _kube("kube-apiserver"), "kube-component",
              {"kube-apiserver": "kube:kube-apiserver"}, buildargs={"BINARY": "kube-apiserver"}),
    Component("kube-controller-manager", _kube("kube-controller-manager"), "kube-component",
              {"kube-controller-manager": "kube:kube-controller-manager"},
              buildargs={"BINARY": "kube-controller-manager"}),
    Component("kube-scheduler", _kube("kube-scheduler"), "kube-component",
              {"kube-scheduler": "kube:kube-scheduler"}, buildargs={"BINARY": "kube-scheduler"}),
    Component("kube-proxy", _kube("kube-proxy"), "kube-proxy", {"kube-proxy": "kube:kube-proxy"}, base="base"),
    Component("etcd", f"registry.k8s.io/etcd:{versions.ETCD_IMAGE_TAG}", "etcd", {"etcd": "etcd"}),
    Component("coredns", f"registry.k8s.io/coredns/coredns:{versions.COREDNS_VERSION}", "coredns",
              {"coredns": "coredns"}),
    Component("pause", f"registry.k8s.io/pause:{versions.PAUSE_VERSION}", "pause", base="base",
              buildargs={"VERSION": versions.PAUSE_VERSION}),
    Component("podnet", f"docker.io/dockyard/podnet:{versions.PODNET_VERSION}", "podnet",
              {"kubectl": "kube:kubectl"}, base="base"),
    Component("local-path-provisioner",
              f"docker.io/kindest/local-path-provisioner:{versions.LOCAL_PATH_PROVISIONER_TAG}",
              "local-path-provisioner", {"local-path-provisioner": "local-path-provisioner"}),
    Component("local-path-helper", f"docker.io/kindest/local-path-helper:{versions.LOCAL_PATH_HELPER_TAG}",
              "local-path-helper", base="busybox"),
]


def component(key: str) -> Component:
    return next(c for c in COMPONENTS if c.key == key)


# Debian, systemd and containerd, with the pause image as containerd's sandbox image.
NODE_BASE = Component("kind-node-base", BASE_REF, "kind-node-base", base="base",
                      buildargs={"PAUSE_IMAGE": component("pause").ref})
# Programs copied to the node's /usr/bin: name -> program (as in Component.binaries).
NODE_PROGRAMS = {"kubeadm": "kube:kubeadm", "kubelet": "kube:kubelet", "kubectl": "kube:kubectl",
                 "crictl": "crictl"}


def binary_path(program: str) -> Path:
    if program.startswith("kube:"):
        return tools_dir() / program[len("kube:"):]
    return gobuild.program_path(program)


# The facts of versions.py that go into the node image; others (Spark, say) must not rebuild it.
NODE_FACTS = ("DEBIAN_SUITE", "KUBERNETES_VERSION", "KIND_VERSION", "ETCD_VERSION",
              "ETCD_IMAGE_TAG", "COREDNS_VERSION", "PAUSE_VERSION", "CRICTL_VERSION",
              "LOCAL_PATH_PROVISIONER_VERSION", "LOCAL_PATH_PROVISIONER_TAG", "LOCAL_PATH_HELPER_TAG",
              "PODNET_VERSION")


def kind_files(manifest_dir: Path = config.MANIFEST_DIR) -> dict[str, str]:
    """What assembly writes under the node's /kind, apart from /kind/image (the tag itself)."""
    return {
        "version": versions.KUBERNETES_VERSION + "\n",
        "manifests/default-cni.yaml": config.render_manifest(
            "default-cni.yaml", {"IMAGE": component("podnet").ref}, manifest_dir),
        "manifests/default-storage.yaml": config.render_manifest(
            "default-storage.yaml", {"PROVISIONER_IMAGE": component("local-path-provisioner").ref,
                                     "HELPER_IMAGE": component("local-path-helper").ref}, manifest_dir),
    }


def _context_files(folder: Path) -> dict[str, str]:
    """Each file of a build context: its bytes' digest, and whether it is executable (COPY keeps that)."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        mode = "x" if path.stat().st_mode & 0o111 else "-"
        out[f"file docker/{path.relative_to(folder.parent)}"] = f"{mode} {sha256_of(path)}"
    return out


def _describe(comp: Component) -> str:
    base = image(comp.base).ref if comp.base else ""
    return repr((comp.ref, comp.context, sorted(comp.binaries.items()), base, sorted(comp.buildargs.items())))


def node_contexts() -> list[str]:
    """The folders under docker/ whose files end up in the node image."""
    return sorted({c.context for c in COMPONENTS} | {NODE_BASE.context, "kind-node"})


def node_go_programs() -> list[str]:
    """The Go programs whose binaries end up in the node image ("kubernetes" for its seven)."""
    progs = {p for c in COMPONENTS + [NODE_BASE] for p in c.binaries.values()} | set(NODE_PROGRAMS.values())
    return sorted({"kubernetes" if p.startswith("kube:") else p for p in progs})


def recipe_inputs(docker_dir: Path | None = None, manifest_dir: Path | None = None) -> dict[str, str]:
    """Everything that decides the node image's content, as text. Only what reaches the image:
    editing a comment of this module or of gobuild.py changes nothing here."""
    docker_dir = docker_dir or DOCKER_DIR
    inputs = {"assembly revision": ASSEMBLY_REVISION}
    inputs |= {f"version {k}": repr(getattr(versions, k)) for k in NODE_FACTS}
    for comp in COMPONENTS + [NODE_BASE]:
        inputs[f"image {comp.key}"] = _describe(comp)
    inputs["node programs"] = repr(sorted(NODE_PROGRAMS.items()))
    for name in node_contexts():
        inputs |= _context_files(docker_dir / name)
    inputs |= {f"generated /kind/{k}": v for k, v in kind_files(manifest_dir or config.MANIFEST_DIR).items()}
    inputs["generated import script"] = IMPORT_SCRIPT
    inputs["generated node entrypoint"] = "\n".join(NODE_ENTRYPOINT)
    inputs |= {f"go {k}": v for k, v in gobuild.recipe_inputs(node_go_programs()).items()}
    return inputs


def recipe_hash(inputs: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for key in sorted(inputs):
        digest.update(key.encode() + b"\0" + inputs[key].encode() + b"\0")
    return digest.hexdigest()[:12]


def node_tag_for(kube_version: str, recipe: str) -> str:
    return f"{NODE_REPOSITORY}:{kube_version}-{recipe}"


def node_image_ref() -> str:
    """The tag the current recipe gives (fast: reads the small files the image is made from)."""
    return node_tag_for(versions.KUBERNETES_VERSION, recipe_hash(recipe_inputs()))


# -- checks ------------------------------------------------------------------------------

def check_disk(paths: list[str], need_gb: float) -> None:
    for path in paths:
        free = shutil.disk_usage(path).free / 2**30
        if free < need_gb:
            raise DockyardError(f"only {free:.1f} GB free under {path}; building the cluster needs about "
                                f"{need_gb:.0f} GB", "free some space there (e.g. `dockyard clean`), then retry")


# -- building ----------------------------------------------------------------------------

def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _fresh_context(name: str, source: Path) -> Path:
    target = BUILD / "contexts" / "cluster" / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def go_programs_missing() -> bool:
    return not gobuild.kube_binaries_present() or not all(gobuild.program_path(n).exists() for n in gobuild.PROGRAMS)


def ensure_go_programs(progress: Progress) -> None:
    if not gobuild.kube_binaries_present():
        with progress.step(f"Building Kubernetes {versions.KUBERNETES_VERSION} (7 programs, tens of minutes cold)"), \
                timed("cluster", "go kubernetes"):
            gobuild.ensure_kubernetes(log=progress.line)
    for name in gobuild.PROGRAMS:
        if not gobuild.program_path(name).exists():
            with progress.step(f"Building {name} {gobuild.PROGRAMS[name][2]}"), timed("cluster", f"go {name}"):
                gobuild.ensure_program(name, log=progress.line)


def _build(client, ref: str, context_name: str, binaries: dict, base_ref: str, buildargs: dict,
           progress: Progress, step: str) -> str:
    """Build docker/<context_name> as ref unless an image with the same recipe label exists."""
    base_id = existing(client, base_ref).id if base_ref else ""
    parts = [ref, context_digest(DOCKER_DIR / context_name), base_id, repr(sorted(buildargs.items()))]
    parts += [f"{name}={sha256_of(binary_path(prog))}" for name, prog in sorted(binaries.items())]
    recipe = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    current = existing(client, ref)
    if current is not None and current.labels.get(RECIPE_LABEL) == recipe:
        return "kept"
    with progress.step(step), timed("cluster", f"image {ref}"):
        context = _fresh_context(ref.replace("/", "_").replace(":", "_"), DOCKER_DIR / context_name)
        for name, prog in binaries.items():
            _link_or_copy(binary_path(prog), context / name)
        args = dict(buildargs)
        if base_ref:
            args["BASE_IMAGE"] = base_ref
        stream_build(client, context, ref, args, kit_labels(recipe), progress)
    return "built"


def ensure_components(client, progress: Progress) -> None:
    for comp in COMPONENTS:
        base_ref = image(comp.base).ref if comp.base else ""
        if base_ref and existing(client, base_ref) is None:
            raise DockyardError(f"the base image {base_ref} is missing", "run `dockyard images` first")
        _build(client, comp.ref, comp.context, comp.binaries, base_ref, comp.buildargs, progress,
               f"Image {comp.ref}")


def ensure_node_base(client, progress: Progress) -> None:
    _build(client, NODE_BASE.ref, NODE_BASE.context, NODE_BASE.binaries, image(NODE_BASE.base).ref,
           NODE_BASE.buildargs, progress, f"Image {BASE_REF} (systemd, containerd)")


def _node_context(tag: str) -> Path:
    context = _fresh_context("kind-node", DOCKER_DIR / "kind-node")
    for name, prog in NODE_PROGRAMS.items():
        _link_or_copy(binary_path(prog), context / "bin" / name)
    kind_dir = context / "kind"
    for rel, text in kind_files().items():
        (kind_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (kind_dir / rel).write_text(text)
    (kind_dir / "image").write_text(tag + "\n")
    return context


# Run inside the partial node: start containerd, import every image unpacked later (the node's
# /var is a volume at run time, where overlayfs works), stop containerd.
IMPORT_SCRIPT = r"""
set -e
containerd >/tmp/containerd.log 2>&1 &
pid=$!
for i in $(seq 150); do ctr version >/dev/null 2>&1 && break; sleep 0.2; done
ctr -n k8s.io images import --no-unpack --all-platforms --digests /mnt/images.tar >/dev/null
ctr -n k8s.io images ls -q
kill $pid; wait $pid || true
rm -rf /tmp/* /run/containerd
"""


def remove_leftovers(client) -> None:
    """What a killed build left: build containers and partial images (never used as nodes)."""
    for c in client.containers.list(all=True, filters={"name": "dockyard-node-build-"}):
        c.remove(force=True)
    for img in client.images.list(name=PARTIAL_REPOSITORY):
        client.images.remove(img.id, force=True)


def prune_old_nodes(client, keep: str) -> list[str]:
    """Node images of older recipes that no container uses (each is ~1.3 GB)."""
    used = {c.attrs.get("Config", {}).get("Image") for c in client.containers.list(all=True)}
    removed = []
    for img in client.images.list(name=NODE_REPOSITORY):
        for ref in img.tags:
            if ref != keep and ref not in used:
                client.images.remove(ref)
                removed.append(ref)
    return removed


def assemble_node(client, tag: str, progress: Progress, refs: list[str] | None = None) -> None:
    from docker.types import Mount
    remove_leftovers(client)
    recipe = tag.rsplit("-", 1)[-1]
    partial = f"{PARTIAL_REPOSITORY}:{recipe}"
    archive = BUILD / "node-import" / "images.tar"
    container = None
    try:
        with progress.step("Node: Kubernetes programs and /kind files"):
            stream_build(client, _node_context(tag), partial, {"BASE_IMAGE": BASE_REF},
                         kit_labels(recipe), progress)
        refs = refs or [c.ref for c in COMPONENTS]
        with progress.step(f"Node: importing {len(refs)} images into containerd"):
            archive.parent.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run(["docker", "save", "-o", str(archive), *refs], capture_output=True, text=True)
            if proc.returncode != 0:
                raise CommandFailed.of("docker save", proc, "run `dockyard cluster up` again")
            # A bind mount on /mnt (empty in Debian), not a volume: `docker commit` would keep a
            # declared volume, and the node would get an anonymous volume there.
            container = client.containers.run(
                partial, entrypoint=["sleep", "infinity"], detach=True, privileged=True,
                name=f"dockyard-node-build-{recipe}", labels={versions.LABEL_KEY: versions.DEFAULT_WORKSHOP},
                mounts=[Mount("/mnt", str(archive.parent), type="bind", read_only=True)])
            code, out = container.exec_run(["bash", "-c", IMPORT_SCRIPT])
            text = out.decode(errors="replace")
            imported = {line.strip() for line in text.splitlines()}
            missing = [r for r in refs if r not in imported and f"docker.io/{r}" not in imported]
            if code != 0 or missing:
                raise DockyardError(f"importing images into the node failed ({', '.join(missing) or text[-300:]})",
                                    "run `dockyard cluster up` again")
        with progress.step(f"Node: committing {tag}"):
            container.stop(timeout=1)
            repository, _, version = tag.rpartition(":")
            container.commit(repository, version,
                             changes=NODE_ENTRYPOINT + [f"LABEL {RECIPE_LABEL}={recipe}"])
    finally:
        if container is not None:
            container.remove(force=True)
        if existing(client, partial) is not None:
            client.images.remove(partial, force=True)
        archive.unlink(missing_ok=True)


def preflight(client) -> None:
    """Room on disk for the build, and a Go new enough: said before anything starts."""
    cold = not gobuild.kube_binaries_present()
    root = client.info().get("DockerRootDir", "/var/lib/docker")
    check_disk([str(cache_dir()), root if os.path.exists(root) else "/"], COLD_BUILD_GB if cold else WARM_BUILD_GB)
    gobuild.check_go()


def ensure_node_image(client, progress: Progress | None = None) -> str:
    """The node image tag for the current recipe, building whatever is missing."""
    progress = progress or Progress("Node image")
    tag = node_image_ref()
    if existing(client, tag) is not None:
        return tag
    preflight(client)
    with timed("cluster", "node image total"):
        try:
            ensure_go_programs(progress)
            ensure_components(client, progress)
            ensure_node_base(client, progress)
            with timed("cluster", "node image assembly"):
                assemble_node(client, tag, progress)
            for old in prune_old_nodes(client, keep=tag):
                progress.line(f"removed the older node image {old}")
        except KeyboardInterrupt:
            raise DockyardError("interrupted while building the node image (no partial image is kept)",
                                "run `dockyard cluster up` again to resume; finished steps are skipped") from None
    return tag


def cluster_image_refs() -> set[str]:
    """Prepared images of the cluster (kept by a plain `dockyard clean`, like catalog images)."""
    return {c.ref for c in COMPONENTS} | {BASE_REF, node_image_ref()}
