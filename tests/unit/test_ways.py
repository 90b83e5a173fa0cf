"""The way to the images: the decision, the registry probe, and how images and cluster up follow
it. Fakes only: no engine, no registry, no kind."""
import docker
import pytest

from dockyard import settings, versions

from dockyard.cluster import ways
from dockyard.cluster import kind, node_image
from dockyard.display import Progress
from dockyard.errors import DockyardError
from dockyard.host import gobuild
from dockyard.images import build, catalog, debian_base

GO = (1, 26)
PIN = versions.DEBIAN_SLIM_IMAGE
PIN_DIGEST = PIN.split("@")[1]


def never():
    raise AssertionError("the registry was asked, though the answer did not matter")


def way(forced=None, registry=False, go=GO, root=True, base=False, node=False, cluster=True, built=False):
    return ways.decide(forced, registry, go, root, base, node, cluster, built)


# -- the decision ------------------------------------------------------------------------

def test_what_is_here_needs_no_probe():
    w = way(registry=never, base=True, node=True)
    assert w.line() == "from what is here: the base image and a node image are on the engine already; " \
                       "no registry or Go needed"
    assert way(registry=never, base=True, cluster=False).name == ways.HERE
    assert way(registry=never, go=None, base=True, node=True).name == ways.HERE


def test_a_registry_that_answers_means_online():
    w = way(registry=True)
    assert w.line() == "online: a registry answers for debian:bookworm-slim@sha256:3783…"
    assert way(registry=True, go=None, root=False).name == ways.ONLINE      # no Go, no root needed
    assert way(registry=True, base=True).name == ways.ONLINE                # the node is missing


def test_no_registry_and_go_means_from_source():
    w = way(registry=False, go=(1, 26))
    assert w.line() == "from source: no registry answers; Go 1.26 builds Kubernetes (about 16 min cold)"
    assert "built here already" in way(built=True).reason
    assert "unprivileged" in way(root=False).reason


def test_images_only_need_no_go():
    w = way(go=None, cluster=False)
    assert w.name == ways.FROM_SOURCE and "mmdebstrap" in w.reason


@pytest.mark.parametrize("go, missing", [(None, "Go is not installed"), ((1, 19), "Go 1.19 is too old")])
def test_no_registry_and_no_go_names_every_way_out(go, missing):
    with pytest.raises(DockyardError) as err:
        way(registry=False, go=go)
    assert missing in err.value.what and "no registry answers" in err.value.what
    assert err.value.fix == "install Go 1.24+, or `dockyard bundle load FILE`, or connect to a network"
    assert "\n" not in str(err.value)


def test_forced_online_asks_the_registry_even_with_everything_here():
    asked = []
    w = way(ways.ONLINE, registry=lambda: asked.append(1) or True, base=True, node=True)
    assert w.name == ways.ONLINE and "--online" in w.reason and asked == [1]


def test_forced_online_without_a_registry_is_one_line():
    with pytest.raises(DockyardError) as err:
        way(ways.ONLINE, registry=False, base=True, node=True)
    assert err.value.what == "--online, but no registry answers for debian:bookworm-slim@sha256:3783…"
    assert "\n" not in str(err.value)


def test_forced_from_source_never_asks_and_needs_go_only_for_the_cluster():
    w = way(ways.FROM_SOURCE, registry=never, base=True, node=True)
    assert w.name == ways.FROM_SOURCE and "--from-source" in w.reason
    assert way(ways.FROM_SOURCE, registry=never, go=None, cluster=False).name == ways.FROM_SOURCE
    with pytest.raises(DockyardError) as err:
        way(ways.FROM_SOURCE, registry=never, go=None)
    assert "Go is not installed" in err.value.what and "--from-source" in err.value.fix


def test_an_unknown_way_is_a_bug():
    with pytest.raises(ValueError):
        way("by carrier pigeon")


# -- the probe ---------------------------------------------------------------------------

class ProbeAPI:
    def __init__(self, outcome):
        self.timeout, self.outcome, self.seen = 60, outcome, []

    def inspect_distribution(self, ref):
        self.seen.append((ref, self.timeout))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return {"Descriptor": {"digest": PIN_DIGEST}}


class ProbeClient:
    def __init__(self, outcome):
        self.api = ProbeAPI(outcome)


@pytest.mark.parametrize("outcome, answers", [
    (None, True),
    (docker.errors.APIError("Get https://registry/v2/: dial tcp: lookup registry: no such host"), False),
    (docker.errors.APIError("manifest unknown: manifest unknown"), True),   # wrong digest: the pull says so
    (docker.errors.APIError("unauthorized: authentication required"), False),
    (TimeoutError("read timed out"), False),
])
def test_the_probe_asks_the_engine_with_a_short_timeout(outcome, answers):
    client = ProbeClient(outcome)
    assert ways.registry_answers(client, PIN, timeout=3) is answers
    assert client.api.seen == [(PIN, 3)] and client.api.timeout == 60


# -- the facts, gathered -----------------------------------------------------------------

class FakeImage:
    def __init__(self, store, image_id, labels=None):
        self.store, self.id, self.labels = store, image_id, labels or {}
        self.attrs = {"Size": 1}

    def tag(self, repository, tag):
        self.store.images.refs[f"{repository}:{tag}"] = self
        self.store.tagged.append(f"{repository}:{tag}")


class FakeImages:
    def __init__(self):
        self.refs = {}

    def get(self, ref):
        if ref not in self.refs:
            raise docker.errors.ImageNotFound(ref)
        return self.refs[ref]


class FakeAPI:
    def __init__(self, store):
        self.store, self.timeout, self.pulls, self.fail, self.events = store, 60, [], None, []

    def pull(self, name, tag=None, stream=False, decode=False):
        self.pulls.append((name, tag))
        if self.fail:
            raise docker.errors.APIError(self.fail)
        ref = next(r for r in (settings.debian_image(), settings.kind_node_image()) if r.endswith(tag))
        self.store.images.refs[ref] = FakeImage(self.store, "sha256:pulled")
        return iter(self.events or [{"status": "Pulling from library/debian", "id": "bookworm-slim"},
                                    {"status": "Downloading", "progressDetail": {}, "id": "abc"},
                                    {"status": "Pull complete", "id": "abc"}, {"status": f"Digest: {tag}"}])

    def inspect_distribution(self, ref):
        raise docker.errors.APIError("dial tcp: lookup registry: no such host")


class FakeClient:
    def __init__(self):
        self.images, self.tagged = FakeImages(), []
        self.api = FakeAPI(self)

    def add(self, ref, image_id, labels=None):
        self.images.refs[ref] = FakeImage(self, image_id, labels)
        return self.images.refs[ref]


@pytest.fixture
def client(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKYARD_TIMINGS", str(tmp_path / "timings.json"))
    monkeypatch.delenv(settings.DEBIAN_IMAGE, raising=False)
    monkeypatch.delenv(settings.KIND_NODE_IMAGE, raising=False)
    monkeypatch.delenv(versions.KUBE_CONTEXT_ENV, raising=False)
    monkeypatch.setattr(ways, "_settled", None)
    monkeypatch.setattr(gobuild, "go_version", lambda: GO)
    monkeypatch.setattr(node_image, "node_image_ref", lambda: "dockyard/kind-node:v1.34.4-recipe")
    return FakeClient()


BASE = catalog.image("base")


def test_detect_finds_what_is_here_without_asking(client, monkeypatch):
    monkeypatch.setattr(client.api, "inspect_distribution", lambda ref: never())
    client.add(BASE.ref, "sha256:base")
    client.add("dockyard/kind-node:v1.34.4-recipe", "sha256:node")
    assert ways.detect(client).name == ways.HERE
    client.images.refs.pop("dockyard/kind-node:v1.34.4-recipe")
    client.add(versions.KIND_NODE_IMAGE, "sha256:kindest")
    assert ways.detect(client).name == ways.HERE


def test_detect_without_a_registry_builds_from_source(client):
    client.add(BASE.ref, "sha256:base")
    chosen = ways.choose(client)
    assert chosen.name == ways.FROM_SOURCE and ways.settled() is chosen


# -- images, following the way -----------------------------------------------------------

def ensure(client, entry=BASE, online=False, force=False):
    return build.ensure_image(client, entry, Progress("test"), force=force, online=online)


def test_from_source_never_pulls(client, monkeypatch):
    made = []
    monkeypatch.setattr(debian_base, "import_base", lambda c, ref, *a, **k: made.append(ref))
    monkeypatch.setattr(client.api, "pull", lambda *a, **k: never())
    assert ensure(client) == "built" and made == [BASE.ref]


def test_online_pulls_the_base_by_digest_and_tags_it(client):
    assert ensure(client, online=True) == "pulled"
    assert client.api.pulls == [("debian", PIN_DIGEST)]
    assert client.tagged == [BASE.ref] and client.images.get(BASE.ref).id == "sha256:pulled"


def test_online_reuses_a_local_copy_of_the_pin(client):
    client.add(PIN, "sha256:pinned")
    assert ensure(client, online=True) == "pulled" and client.api.pulls == []
    assert client.images.get(BASE.ref).id == "sha256:pinned"


def test_online_keeps_our_current_base_and_the_pinned_one(client):
    client.add(BASE.ref, "sha256:ours", {build.RECIPE_LABEL: build.recipe_hash(BASE)})
    assert ensure(client, online=True) == "kept"
    pinned = client.add(PIN, "sha256:pinned")
    client.images.refs[BASE.ref] = pinned
    assert ensure(client, online=True) == "kept" and client.api.pulls == []


def test_online_replaces_a_pulled_base_of_another_pin(client):
    client.add(BASE.ref, "sha256:older-pin")
    assert ensure(client, online=True) == "pulled" and client.api.pulls == [("debian", PIN_DIGEST)]


def test_from_source_keeps_a_pulled_base(client, monkeypatch):
    monkeypatch.setattr(debian_base, "import_base", lambda *a, **k: never())
    client.add(BASE.ref, "sha256:pulled-earlier")
    assert ensure(client) == "kept"


def test_other_images_are_never_pulled(client, monkeypatch):
    client.add(BASE.ref, "sha256:base")
    built = []
    monkeypatch.setattr(build, "stream_build", lambda c, ctx, ref, *a: built.append(ref))
    assert ensure(client, catalog.image("busybox"), online=True) == "built"
    assert built == ["dockyard/busybox:1.35"] and client.api.pulls == []


@pytest.mark.parametrize("failure", ["manifest unknown: manifest unknown",
                                     "digest mismatch: sha256:1 != sha256:2"])
def test_a_wrong_digest_is_one_line_and_changes_nothing(client, failure):
    old = client.add(BASE.ref, "sha256:older-pin")
    client.api.fail = failure
    with pytest.raises(DockyardError) as err:
        ensure(client, online=True)
    assert err.value.what == f"pulling {PIN} failed: {failure}"
    assert "versions.py" in err.value.fix and "\n" not in str(err.value)
    assert client.images.get(BASE.ref) is old and client.tagged == []


def test_an_error_in_the_pull_stream_is_one_line(client):
    client.api.events = [{"status": "Pulling from library/debian"}, {"error": "unexpected EOF\nmore"}]
    with pytest.raises(DockyardError) as err:
        ensure(client, online=True)
    assert err.value.what.endswith("failed: unexpected EOF")


def test_the_debian_override_is_pulled_and_named_in_the_fix(client, monkeypatch):
    other = "example/debian:stand-in@sha256:" + "ab" * 32
    monkeypatch.setenv(settings.DEBIAN_IMAGE, other)
    assert ensure(client, online=True) == "pulled"
    assert client.api.pulls == [("example/debian", "sha256:" + "ab" * 32)]
    client.images.refs.clear()
    client.api.fail = "manifest unknown"
    with pytest.raises(DockyardError) as err:
        ensure(client, online=True)
    assert other in err.value.what and settings.DEBIAN_IMAGE in err.value.fix


# -- cluster up, following the way --------------------------------------------------------

class ClusterFakes:
    def __init__(self, monkeypatch, client, chosen, kind_state="absent", image="", image_id=""):
        self.calls = []
        monkeypatch.setattr(kind, "connect", lambda: client)
        monkeypatch.setattr(kind, "raise_inotify_limit", lambda: None)
        monkeypatch.setattr(node_image, "ensure_node_image", lambda c, p: self.calls.append("build") or
                            node_image.node_image_ref())
        monkeypatch.setattr(kind, "state", lambda c, name: kind.State(kind_state, [], image, image_id))
        monkeypatch.setattr(kind, "revive", lambda *a: self.calls.append("revive") or True)
        monkeypatch.setattr(kind, "delete", lambda name, progress=None: self.calls.append("delete"))
        monkeypatch.setattr(kind, "create", lambda c, tag, progress, name: self.calls.append(f"create {tag}"))
        monkeypatch.setattr(kind, "pods_by_namespace", lambda: {"kube-system": 9})
        self.way = ways.Way(chosen, "as decided by the test")


def test_online_pulls_kinds_node_and_creates_with_it(client, monkeypatch):
    fakes = ClusterFakes(monkeypatch, client, ways.ONLINE)
    kind.cluster_up(way=fakes.way)
    assert client.api.pulls == [("kindest/node", versions.KIND_NODE_IMAGE.split("@")[1])]
    assert fakes.calls == [f"create {versions.KIND_NODE_IMAGE}"]          # no build
    assert ways.settled() is fakes.way
    assert client.tagged == ["kindest/node:v1.34.0"]                      # named, not dangling


def test_a_node_tag_of_someone_elses_is_left_alone(client, monkeypatch):
    theirs = client.add("kindest/node:v1.34.0", "sha256:theirs")
    kind.cluster_up(way=ClusterFakes(monkeypatch, client, ways.ONLINE).way)
    assert client.tagged == [] and client.images.get("kindest/node:v1.34.0") is theirs


def test_online_compares_the_nodes_by_image_id(client, monkeypatch, capsys):
    client.add(versions.KIND_NODE_IMAGE, "sha256:kindest")
    fakes = ClusterFakes(monkeypatch, client, ways.ONLINE, "running", versions.KIND_NODE_IMAGE, "sha256:kindest")
    kind.cluster_up(way=fakes.way)
    assert fakes.calls == ["revive"] and client.api.pulls == []
    assert "note:" not in capsys.readouterr().out


def test_online_keeps_a_cluster_of_another_node_with_a_note(client, monkeypatch, capsys):
    client.add(versions.KIND_NODE_IMAGE, "sha256:kindest")
    fakes = ClusterFakes(monkeypatch, client, ways.ONLINE, "running", "dockyard/kind-node:v1.34.4-old", "sha256:ours")
    kind.cluster_up(way=fakes.way)
    assert fakes.calls == ["revive"]
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "pins another node image" in notes[0] and "--recreate" in notes[0]


def test_what_is_here_takes_the_node_image_the_cluster_runs(client, monkeypatch):
    client.add(versions.KIND_NODE_IMAGE, "sha256:kindest")
    client.add(node_image.node_image_ref(), "sha256:ours")
    fakes = ClusterFakes(monkeypatch, client, ways.HERE, "running", versions.KIND_NODE_IMAGE, "sha256:kindest")
    assert kind.node_here(client).ref == versions.KIND_NODE_IMAGE
    monkeypatch.setattr(kind, "state", lambda c, name: kind.State("absent", []))
    assert kind.node_here(client).ref == node_image.node_image_ref()      # ours first otherwise
    kind.cluster_up(way=fakes.way)
    assert fakes.calls == [f"create {node_image.node_image_ref()}"] and client.api.pulls == []


def test_from_source_builds_the_node_as_before(client, monkeypatch):
    fakes = ClusterFakes(monkeypatch, client, ways.FROM_SOURCE)
    kind.cluster_up(way=fakes.way)
    assert fakes.calls == ["build", f"create {node_image.node_image_ref()}"] and client.api.pulls == []


# -- the command line and the doctor -----------------------------------------------------

def test_every_preparing_command_takes_one_way_flag(capsys):
    from dockyard.cli import parser
    p = parser()
    for command in (["prepare"], ["images"], ["cluster", "up"]):
        assert p.parse_args(command).way is None
        assert p.parse_args(command + ["--online"]).way == ways.ONLINE
        assert p.parse_args(command + ["--from-source"]).way == ways.FROM_SOURCE
        with pytest.raises(SystemExit):
            p.parse_args(command + ["--online", "--from-source"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_doctor_says_the_way_in_one_line(monkeypatch):
    from dockyard.engine import probe
    from dockyard.ops import doctor

    class Closing:
        def close(self):
            pass

    monkeypatch.setattr(probe, "engine_status", lambda: probe.EngineStatus(True, "unix:///x.sock"))
    monkeypatch.setattr(probe, "open_client", lambda endpoint, timeout: Closing())
    monkeypatch.setattr(ways, "detect", lambda client, forced, cluster: ways.Way(ways.ONLINE, "a registry answers"))
    [check] = doctor.check_way()
    assert (check.ok, check.name) == (True, "way")
    assert doctor.format_checks([check]) == ["✓ way  online: a registry answers"]

    def refuse(client, forced, cluster):
        raise DockyardError("no registry answers and Go is not installed", "install Go 1.24+")
    monkeypatch.setattr(ways, "detect", refuse)
    [check] = doctor.check_way()
    assert not check.ok and not check.required and check.fix == "install Go 1.24+"
