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
