"""Every pinned version and name the kit uses. One place per fact."""

# The label every object the kit creates carries; `dockyard clean` removes exactly these.
LABEL_KEY = "dockyard.workshop"
LAB_LABEL_KEY = "dockyard.lab"        # which lab made it: `dockyard lab reset NAME` removes that
OWNER_LABEL_KEY = "dockyard.owner"    # who made a namespace: selectors on a shared cluster include it
DEFAULT_WORKSHOP = "dockyard"

# Debian release for the base image and the kind node.
DEBIAN_SUITE = "bookworm"

# Kubernetes 1.34 is the last line whose kubelet still runs on cgroup v1 (1.35 refuses it).
# kind v0.30.0 is the release made for 1.34 (its default node), so its kubeadm config matches.
KUBERNETES_VERSION = "v1.34.4"
KIND_VERSION = "v0.30.0"

# Where a registry answers, the kit starts from published images instead, pinned by digest so a
# moved tag changes nothing. The Debian base of every catalog image:
DEBIAN_SLIM_IMAGE = (f"debian:{DEBIAN_SUITE}-slim"
                     "@sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251")
# kind v0.30.0's published node is Kubernetes 1.34.0; the from-source node is 1.34.4. Both are
# 1.34, the last line whose kubelet runs on cgroup v1, so either runs on the same hosts.
KIND_NODE_IMAGE = ("kindest/node:v1.34.0"
                   "@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a")
# kind's release binaries (os, cpu) -> sha256, from the release's published checksums. A download
# is used only when it matches.
KIND_RELEASE_URL = "https://kind.sigs.k8s.io/dl/{version}/kind-{os}-{arch}"
KIND_BINARY_SHA256 = {
    ("linux", "amd64"): "517ab7fc89ddeed5fa65abf71530d90648d9638ef0c4cde22c2c11f8097b8889",
    ("linux", "arm64"): "7ea2de9d2d190022ed4a8a4e3ac0636c8a455e460b9a13ccf19f15d07f4f00eb",
    ("darwin", "amd64"): "4f0b6e3b88bdc66d922c08469f05ef507d4903dd236e6319199bb9c868eed274",
    ("darwin", "arm64"): "ceaf40df1d1551c481fb50e3deb5c3deecad5fd599df5469626b70ddf52a1518",
}

# Oldest Go that builds Kubernetes 1.34 (its go.mod says 1.24).
GO_MIN_VERSION = (1, 24)

# Go programs built from their modules for the node image. etcd, CoreDNS and pause are the
# versions `kubeadm config images list --kubernetes-version v1.34.4` names.
ETCD_VERSION = "v3.6.5"
ETCD_IMAGE_TAG = "3.6.5-0"
COREDNS_VERSION = "v1.12.1"
PAUSE_VERSION = "3.10.1"
CRICTL_VERSION = "v1.34.0"
# kind v0.30.0 builds docker.io/kindest/local-path-provisioner from this release.
LOCAL_PATH_PROVISIONER_VERSION = "v0.0.30"
LOCAL_PATH_PROVISIONER_TAG = "v20250214-acbabc1a"
LOCAL_PATH_HELPER_TAG = "v20241212-8ac705d0"
# kindnetd's module (sigs.k8s.io/kind/images/kindnetd) is not served by the Go module
# proxy, so the node runs podnet, our own small route-and-CNI-config daemon, instead.
PODNET_VERSION = "0.1.0"

# Host ports 127.0.0.1:30080-30089 reach the cluster's NodePorts of the same numbers.
NODEPORT_FIRST = 30080
NODEPORT_LAST = 30089

CLUSTER_NAME = "dockyard"
# kind labels its node containers with the cluster's name under this key.
KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster"
KUBE_CONTEXT = f"kind-{CLUSTER_NAME}"
# Set to use an existing cluster instead of the kit's kind cluster.
KUBE_CONTEXT_ENV = "DOCKYARD_KUBE_CONTEXT"

# pyspark from PyPI (an sdist carrying Spark's jars, built into a wheel on the host): the Spark
# image and both Spark demos use it. Spark 4 needs Java 17+ (Debian's openjdk-17-jre-headless).
SPARK_VERSION = "4.3.0"

# A current Docker Engine, built from Go modules (engine/current.py) and run as a second engine
# by tests/engine29: what laptops run (Engine 29, containerd image store, BuildKit, API 1.56).
# moby's v2 module is Engine 29's daemon; the newest the Go proxy serves is v2.0.0-beta.24, whose
# releases/versions.yaml names 29.8.0 as the last release, so dockerd reports 29.8.0 with the
# module version as build metadata. runc: the newest 1.3 (Debian's 1.1.5 cannot start Engine 29's
# containers). containerd: the one that module requires, built only if Debian's 1.6 stops working.
CURRENT_ENGINE_MODULE_VERSION = "v2.0.0-beta.24"
CURRENT_ENGINE_VERSION = f"29.8.0+moby.{CURRENT_ENGINE_MODULE_VERSION}"
CURRENT_ENGINE_RUNC_VERSION = "v1.3.7"
CURRENT_ENGINE_CONTAINERD_VERSION = "v2.3.5"
# The buildx CLI plugin that module's Dockerfile tests with: `docker build` is BuildKit through it.
CURRENT_ENGINE_BUILDX_VERSION = "v0.37.0"

# The classroom (dockyard classroom): JupyterHub with KubeSpawner, from wheels. JupyterHub 5.5 is the
# oldest Zero to JupyterHub tests; KubeSpawner 7.x is the line that runs on it.
JUPYTERHUB_VERSION = "6.1.1"
KUBESPAWNER_VERSION = "7.1.0"
CLASSROOM_NAMESPACE = "dockyard-classroom"
# On every namespace and object a classroom makes (not the workshop label: `dockyard clean` leaves a
# room alone, `dockyard classroom down` removes it).
ROOM_LABEL_KEY = "dockyard.classroom"
# Set on a learner's server: the namespace the Kubernetes notebooks use instead of making one.
NAMESPACE_ENV = "DOCKYARD_NAMESPACE"
# Set on a learner's server: where lab checks report (the hub's progress service).
PROGRESS_URL_ENV = "DOCKYARD_PROGRESS_URL"
