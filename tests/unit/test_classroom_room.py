"""The classroom's plain data: what each learner gets, who may do what, how many fit, the image's pins."""
import yaml

from dockyard import versions
from dockyard.classroom import deploy, image, learner, room


def test_every_object_of_a_room_carries_its_label_and_nothing_else_of_ours():
    objects = deploy.hub_objects("dockyard-classroom", "img:1", "engine:1", ["learner01"], "standard")
    objects += room.namespace_objects("dockyard-classroom-learner01", "dockyard-classroom")
    for obj in objects:
        labels = obj["metadata"]["labels"]
        assert labels[room.ROOM_LABEL] == "dockyard-classroom", obj["kind"]
        # `dockyard clean` selects the workshop label: a classroom is not its to remove.
        assert versions.LABEL_KEY not in labels, obj["kind"]


def test_a_learner_is_bound_to_edit_in_their_namespace_only():
    objects = {o["kind"]: o for o in room.namespace_objects("room-ada", "room")}
    binding = objects["RoleBinding"]
    assert binding["metadata"]["namespace"] == "room-ada"
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": room.SERVICE_ACCOUNT, "namespace": "room-ada"}]
    assert objects["ResourceQuota"]["spec"]["hard"]["limits.memory"] == room.QUOTA["limits.memory"]


def test_the_hub_may_bind_edit_and_nothing_broader():
    bind = [r for r in deploy.hub_rules("room") if "bind" in r["verbs"]]
    assert bind == [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
                     "verbs": ["bind"], "resourceNames": ["edit", "room-node-reader"]}]
    assert not any("*" in r["verbs"] or "escalate" in r["verbs"] for r in deploy.hub_rules("room"))


def test_a_server_writes_only_its_own_learners_progress():
    roles = {r["name"]: r for r in room.roles()}
    assert f"{room.WRITE_SCOPE}!user" in roles["server"]["scopes"]
    assert f"{room.WRITE_SCOPE}!user" in room.server_token_scopes()
    assert room.WRITE_SCOPE not in roles["server"]["scopes"]          # never unfiltered
    assert room.READ_SCOPE in roles["presenter"]["scopes"]
    assert room.READ_SCOPE not in roles["user"]["scopes"]


def test_the_engine_sidecar_shares_its_socket_with_the_learner():
    sidecar = room.engine_sidecar("engine:1")
    assert sidecar["securityContext"] == {"privileged": True}
    assert f"--host={room.DOCKER_HOST}" in sidecar["command"]
    socket_mounts = [m for m in room.volume_mounts() if m["name"] == "engine-socket"]
    assert socket_mounts[0]["mountPath"] == room.ENGINE_SOCKET_DIR
    assert room.learner_environment("ns")["DOCKER_HOST"] == room.DOCKER_HOST


def test_capacity_counts_each_learners_requests():
    gib = 1024 ** 3
    assert room.fits(3, 8 * gib) is None
    why = room.fits(200, 24 * gib)
    assert why.startswith("200 learners need") and "room for" in why
    room_for = int(why.rsplit("room for ", 1)[1])
    assert room.fits(room_for, 24 * gib) is None and room.fits(room_for + 1, 24 * gib) is not None


def test_quantities():
    assert room.to_bytes("384M") == 384_000_000
    assert room.to_bytes("128Mi") == 128 * 1024 ** 2
    assert room.to_bytes("1Gi") == 1024 ** 3


def test_the_kubeconfig_reads_the_token_from_its_file():
    config = learner.kubeconfig("https://10.96.0.1:443", learner.SERVICE_ACCOUNT_DIR, "room-ada")
    user = config["users"][0]["user"]
    assert user == {"tokenFile": str(learner.SERVICE_ACCOUNT_DIR / "token")}   # renewed by the kubelet
    assert config["contexts"][0]["context"]["namespace"] == "room-ada"
    assert config["current-context"] == room.KUBE_CONTEXT
    yaml.safe_load(yaml.safe_dump(config))


def test_the_course_never_replaces_a_learners_file(tmp_path):
    source, workspace = tmp_path / "kit", tmp_path / "work"
    (source / "labs").mkdir(parents=True)
    (source / "labs" / "lab.ipynb").write_text("course")
    (source / "notebooks").mkdir()
    (source / "notebooks" / "a.ipynb").write_text("course")
    (workspace / "labs").mkdir(parents=True)
    (workspace / "labs" / "lab.ipynb").write_text("my answers")
    added = learner.copy_course(workspace, source)
    assert (workspace / "labs" / "lab.ipynb").read_text() == "my answers"
    assert added == [workspace / "notebooks" / "a.ipynb"]
    assert learner.copy_course(workspace, source) == []


def test_locked_pins_and_relaxing_one():
    lock = ("# header\nsoupsieve==4.1.3 \\\n    --hash=sha256:ab \\\n    # via bs4\n"
            "appnope==1.0.0 ; sys_platform == 'darwin' \\\n    --hash=sha256:cd\n")
    pins = image.locked_pins(lock)
    assert pins == ["soupsieve==4.1.3", "appnope==1.0.0 ; sys_platform == 'darwin'"]
    assert image.relaxed(pins, "SoupSieve") == ["soupsieve", pins[1]]
    assert image.relaxed(pins, "appnope")[1] == "appnope ; sys_platform == 'darwin'"


def test_the_image_gets_the_kits_runtime_dependencies_only():
    requirements = image.runtime_requirements()
    assert any(r.startswith("jupyterlab") for r in requirements)
    assert not any(r.startswith(("playwright", "pytest", "sphinx")) for r in requirements)
