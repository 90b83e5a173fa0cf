"""A classroom of three on the kit's kind cluster, through the hub as a room would use it.

`classroom up` deploys the hub; the presenter starts three learners' servers through the hub's
REST API; in each server papermill runs lab 1 (Docker, on the learner's own engine) and lab 4
(Kubernetes, in the learner's namespace): one learner with every solution, one with none, one
with some. The board must show exactly those scores, over HTTP and in chromium. Then isolation,
the quota, and after `classroom down` nothing of the room is left.
"""
from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import requests

from dockyard import kube
from dockyard.classroom import lifecycle, room
from dockyard.classroom.forward import Forward
from dockyard.labs.lab import solution_sources
from dockyard.timings import record

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "build" / "screenshots"
LEARNERS = ["learner01", "learner02", "learner03"]
PASSWORD = "room-" + uuid.uuid4().hex[:8]
LABS = {"docker-basics": "01-docker-basics.ipynb", "kubernetes-pods": "04-kubernetes-pods.ipynb"}
# What each learner solves: every exercise, none, or some (the rest stay empty, as a learner leaves them).
SOLVED = {
    "learner01": {"docker-basics": ["web", "once", "stop"], "kubernetes-pods": ["pod", "labels", "logs"]},
    "learner02": {"docker-basics": [], "kubernetes-pods": []},
    "learner03": {"docker-basics": ["web", "once"], "kubernetes-pods": ["pod"]},
}
EXERCISES = {"docker-basics": ["web", "once", "stop"], "kubernetes-pods": ["pod", "labels", "logs"]}

pytestmark = pytest.mark.cluster


class Hub:
    """The hub as the presenter's machine reaches it: a forwarded 127.0.0.1 port and the REST API."""

    def __init__(self, url: str, presenter_password: str):
        self.url = url
        self.presenter = self.login(room.PRESENTER, presenter_password)

    def login(self, user: str, password: str) -> requests.Session:
        session = requests.Session()
        session.get(f"{self.url}hub/login", timeout=30).raise_for_status()
        answer = session.post(f"{self.url}hub/login", timeout=60, allow_redirects=False, data={
            "username": user, "password": password, "_xsrf": session.cookies.get("_xsrf")})
        assert answer.status_code == 302, f"{user} could not log in: {answer.status_code}"
        session.headers["X-XSRFToken"] = session.cookies.get("_xsrf")
        return session

    def api(self, method: str, path: str, **kwargs):
        answer = self.presenter.request(method, f"{self.url}hub/api/{path}", timeout=60, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def token(self, user: str) -> str:
        return self.api("POST", f"users/{user}/tokens", json={"note": "classroom test"})["token"]

    def start_and_wait(self, user: str, timeout: float = 300) -> float:
        started = time.monotonic()
        self.presenter.post(f"{self.url}hub/api/users/{user}/server", timeout=60)
        while time.monotonic() - started < timeout:
            server = self.api("GET", f"users/{user}").get("servers", {}).get("")
            if server and server.get("ready"):
                return time.monotonic() - started
            time.sleep(1)
        raise AssertionError(f"{user}'s server not ready after {timeout}s: {server}")

    def stop_and_wait(self, user: str, timeout: float = 120) -> None:
        self.presenter.delete(f"{self.url}hub/api/users/{user}/server", timeout=60)
        deadline = time.monotonic() + timeout
        while self.api("GET", f"users/{user}").get("servers", {}).get(""):
            assert time.monotonic() < deadline, f"{user}'s server still there after {timeout}s"
            time.sleep(1)


@pytest.fixture(scope="module")
def api():
    return kube.api_client(probe=True)


@pytest.fixture(scope="module")
def classroom(api):
    from kubernetes import client
    lifecycle.down(log=lambda line: None)        # a room left by an interrupted run
    made = lifecycle.up(len(LEARNERS), PASSWORD)
    assert made["learners"] == LEARNERS
    core = client.CoreV1Api(api)
    hub_pod = core.list_namespaced_pod(lifecycle.ROOM, label_selector="app=hub").items[0].metadata.name
    with Forward(api, lifecycle.ROOM, hub_pod, 8000) as fwd:
        hub = Hub(fwd.url, made["presenter_password"])
        yield {"hub": hub, "made": made, "core": core}
    lifecycle.down(log=lambda line: None)      # after a failure too; nothing is left by a passing run


def learner_pod(core, user: str):
    pods = core.list_namespaced_pod(f"{lifecycle.ROOM}-{user}", label_selector="component=singleuser-server").items
    assert len(pods) == 1, f"{user} has {len(pods)} server pods"
    return pods[0]


def in_pod(core, user: str, script: str, timeout: float = 60) -> kube.ExecResult:
    """Run Python in the learner's JupyterLab container (a client per call: the stream API swaps
    its client's transport while connecting, and learners run side by side)."""
    from kubernetes import client
    own = client.CoreV1Api(client.ApiClient(core.api_client.configuration))
    pod = learner_pod(own, user)
    return kube.exec_in_pod(own, pod.metadata.namespace, pod.metadata.name, ["python3", "-c", script],
                            container="notebook", timeout=timeout)


def partly_solved(lab_file: str, lab: str, keep: list[str]) -> str:
    """The lab with the solutions of the other exercises taken out, as JSON."""
    nb = nbformat.read(REPO / "labs" / lab_file, as_version=4)
    drop = {src for key, sources in solution_sources(REPO / "labs" / lab_file, EXERCISES[lab]).items()
            if key not in keep for src in sources}

    def body(cell) -> str:     # as solution_sources gives it: without the %%solution line
        lines = cell.source.lstrip().splitlines()
        return "\n".join(lines[1:] if lines and lines[0].startswith("%%solution") else lines)
    kept = [c for c in nb.cells if not (c.cell_type == "code" and body(c) in drop)]
    assert len(nb.cells) - len(kept) == len(drop), f"{lab}: not every solution to drop was found"
    nb.cells = kept
    return nbformat.writes(nb)


def run_labs(hub: Hub, core, user: str) -> None:
    """Each lab saved into the learner's workspace through their JupyterLab, then run by papermill in
    their server, with `solutions` on: the cells that are left decide what gets done."""
    token = hub.token(user)
    for lab, lab_file in LABS.items():
        name = f"test-{lab_file}"
        content = json.loads(partly_solved(lab_file, lab, SOLVED[user][lab]))
        put = requests.put(f"{hub.url}user/{user}/api/contents/labs/{name}", timeout=60,
                           headers={"Authorization": f"token {token}"},
                           json={"type": "notebook", "format": "json", "content": content})
        assert put.status_code in (200, 201), put.text[:300]
        parameters = {"solutions": True, "name_prefix": "", **({"web_port": 18080} if lab == "docker-basics" else {})}
        script = (f"import os, papermill\nos.chdir('{room.WORKSPACE}')\n"
                  "try:\n"
                  f"    papermill.execute_notebook('labs/{name}', '/tmp/out-{name}', cwd='labs',"
                  f" kernel_name='dockyard', progress_bar=False, parameters={parameters!r})\n"
                  "except papermill.PapermillExecutionError as e:\n"
                  "    print(e.ename, e.evalue, ''.join(e.traceback[-3:])[-1500:]); raise SystemExit(1)")
        result = in_pod(core, user, script, timeout=600)
        assert result.exit_code == 0, f"{user} {lab}: {result.stdout[-2000:]} {result.stderr[-500:]}"


def test_the_room(classroom, api):
    hub, core, made = classroom["hub"], classroom["core"], classroom["made"]

    # Every learner's server, started through the hub's REST API.
    hub.api("POST", "users", json={"usernames": LEARNERS})
    cold = {}
    with ThreadPoolExecutor(len(LEARNERS)) as pool:
        for user, seconds in zip(LEARNERS, pool.map(hub.start_and_wait, LEARNERS)):
            cold[user] = seconds
    record("classroom", "learner server start (cold)", max(cold.values()))
    for user in LEARNERS:
        pod = learner_pod(core, user)
        assert {c.name for c in pod.spec.containers} == {"notebook", "engine"}

    # Each learner works through the labs in their own server.
    started = time.monotonic()
    with ThreadPoolExecutor(len(LEARNERS)) as pool:
        list(pool.map(lambda user: run_labs(hub, core, user), LEARNERS))
    labs_seconds = time.monotonic() - started

    # The board shows exactly what each did: read over HTTP as the presenter.
    presenter_token = hub.token(room.PRESENTER)
    answer = requests.get(f"{hub.url}services/{room.PROGRESS_SERVICE}/api/scores", timeout=30,
                          headers={"Authorization": f"token {presenter_token}"})
    assert answer.status_code == 200, answer.text[:300]
    scores = answer.json()
    for lab in LABS:
        expected = {user: len(SOLVED[user][lab]) for user in LEARNERS}
        assert scores.get(lab) == expected, f"{lab}: board {scores.get(lab)}, expected {expected}"

    # A learner's token may not read the board.
    learner_token = hub.token("learner02")
    denied = requests.get(f"{hub.url}services/{room.PROGRESS_SERVICE}/api/scores", timeout=30,
                          headers={"Authorization": f"token {learner_token}"})
    assert denied.status_code == 403, denied.status_code

    check_presenters_part(core, "learner02")
    check_board_in_chromium(hub, made["presenter_password"])
    check_isolation(hub, core)

    # Memory of one learner who ran both labs, and a warm start (the same node, images there).
    from dockyard.classroom.status import rows
    table = {r["who"]: r for r in rows(api)}
    used = table["learner01"]["memory_mb"]
    assert used and used > 50, table["learner01"]
    record("classroom", "labs 1 and 4 in 3 learners' servers at once", labs_seconds, learner_memory_mib=used)
    hub.stop_and_wait("learner02")
    warm = hub.start_and_wait("learner02")
    record("classroom", "learner server start (warm)", warm)
    # The workspace survived the restart: the learner's saved lab is still there.
    token = hub.token("learner02")
    listing = requests.get(f"{hub.url}user/learner02/api/contents/labs", timeout=30,
                           headers={"Authorization": f"token {token}"}).json()
    assert "test-01-docker-basics.ipynb" in {item["name"] for item in listing["content"]}


def check_presenters_part(core, user: str) -> None:
    """Notebook 11 (nodes) as a learner: the nodes are listed, cordon and drain are the presenter's
    part (one line each), and the notebook runs to its end."""
    script = (f"import json, os, papermill\nos.chdir('{room.WORKSPACE}/notebooks')\n"
              "nb = papermill.execute_notebook('11-nodes.ipynb', '/tmp/out-11.ipynb', kernel_name='dockyard',"
              " progress_bar=False, parameters={'name_prefix': 'cls'})\n"
              "text = [json.dumps(o, ensure_ascii=False) for c in nb['cells'] for o in c.get('outputs', [])]\n"
              "print(sum('presenter’s part' in t for t in text), sum('dockyard-worker' in t for t in text))")
    result = in_pod(core, user, script, timeout=600)
    assert result.exit_code == 0, result.stdout[-1500:] + result.stderr[-1500:]
    parts, node_lines = map(int, result.stdout.split()[-2:])
    assert parts >= 5 and node_lines >= 1, result.stdout[-500:]


def check_board_in_chromium(hub: Hub, presenter_password: str) -> None:
    from support.chromium import chromium
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{hub.url}hub/login")
        page.fill("input[name=username]", room.PRESENTER)
        page.fill("input[name=password]", presenter_password)
        page.click("[type=submit]")
        page.wait_for_url("**/hub/**", timeout=60_000)
        page.goto(f"{hub.url}services/{room.PROGRESS_SERVICE}/")
        try:
            page.wait_for_selector("tr[data-user=learner01] .score", timeout=60_000)
        finally:
            page.screenshot(path=str(SHOTS / "classroom-board.png"), full_page=True)
        for user in LEARNERS:
            cell = page.locator(f"tr[data-user={user}] .score")
            # The board shows each learner's current lab: lab 4, run last.
            assert cell.get_attribute("data-done") == str(len(SOLVED[user]["kubernetes-pods"])), user
        # A learner logs in with the room's password, as on the login card, and lands in their JupyterLab.
        learner = browser.new_context().new_page()
        learner.goto(f"{hub.url}hub/login")
        learner.fill("input[name=username]", "learner03")
        learner.fill("input[name=password]", PASSWORD)
        learner.click("[type=submit]")
        learner.wait_for_url("**/user/learner03/lab**", timeout=120_000)
        learner.wait_for_selector(".jp-DirListing-item[title*='labs']", timeout=120_000)
        learner.screenshot(path=str(SHOTS / "classroom-learner-lab.png"))


def check_isolation(hub: Hub, core) -> None:
    one, two = LEARNERS[0], LEARNERS[1]
    ns_one, ns_two = f"{lifecycle.ROOM}-{one}", f"{lifecycle.ROOM}-{two}"
    k8s = ("from kubernetes import client, config\n"
           "api = config.new_client_from_config(context='classroom')\n"
           "core = client.CoreV1Api(api)\n")
    # Learner one's credentials list their own pods, and are refused another's.
    own = in_pod(core, one, k8s + f"print(len(core.list_namespaced_pod('{ns_one}').items))")
    assert own.exit_code == 0 and int(own.stdout.strip()) >= 1, own.stderr[-500:]
    other = in_pod(core, one, k8s + "from kubernetes.client import ApiException\n"
                   f"try:\n    core.list_namespaced_pod('{ns_two}'); print('listed')\n"
                   "except ApiException as e:\n    print(e.status)")
    assert other.stdout.strip() == "403", other.stdout + other.stderr[-500:]
    pvc = in_pod(core, one, k8s + "from kubernetes.client import ApiException\n"
                 f"try:\n    core.read_namespaced_persistent_volume_claim('workspace', '{ns_two}'); print('read')\n"
                 "except ApiException as e:\n    print(e.status)")
    assert pvc.stdout.strip() == "403", pvc.stdout
    # A pod above the quota is refused in the learner's own namespace.
    quota = in_pod(core, one, k8s + "from kubernetes.client import ApiException\n"
                   "pod = {'metadata': {'name': 'too-big'}, 'spec': {'containers': [{'name': 'm', "
                   "'image': 'dockyard/busybox:1.35', 'command': ['sleep', '1'], "
                   "'resources': {'limits': {'memory': '16Gi'}, 'requests': {'memory': '16Gi'}}}]}}\n"
                   f"try:\n    core.create_namespaced_pod('{ns_one}', pod); print('created')\n"
                   "except ApiException as e:\n    print(e.status, 'exceeded quota' in e.body)")
    assert quota.stdout.strip() == "403 True", quota.stdout
    # Each engine is the learner's own: one's web container (lab 1, solved) is not in two's engine.
    docker_ps = "import docker; print(sorted(c.name for c in docker.from_env().containers.list(all=True)))"
    mine = in_pod(core, one, docker_ps)
    assert "web" in mine.stdout, mine.stdout + mine.stderr[-300:]
    theirs = in_pod(core, two, docker_ps)
    assert theirs.exit_code == 0 and "web" not in theirs.stdout, theirs.stdout
    # One learner cannot read another's workspace through the hub, though the owner can.
    owner = requests.get(f"{hub.url}user/{one}/api/contents/labs", timeout=30,
                         headers={"Authorization": f"token {hub.token(one)}"})
    assert owner.status_code == 200
    intruder = requests.get(f"{hub.url}user/{one}/api/contents/labs", timeout=30, allow_redirects=False,
                            headers={"Authorization": f"token {hub.token(two)}"})
    assert intruder.status_code == 403, intruder.status_code


def test_down_leaves_nothing(classroom, api):
    """After `classroom down`: no namespace, role, pod or volume of the room on the cluster."""
    from kubernetes import client
    removed = lifecycle.down(log=lambda line: None)
    assert f"namespace {lifecycle.ROOM}-learner01" in removed, removed
    selector = f"{room.ROOM_LABEL}={lifecycle.ROOM}"
    core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    left = [ns.metadata.name for ns in core.list_namespace(label_selector=selector).items]
    left += [r.metadata.name for r in rbac.list_cluster_role(label_selector=selector).items]
    left += [b.metadata.name for b in rbac.list_cluster_role_binding(label_selector=selector).items]
    left += [p.metadata.name for p in core.list_pod_for_all_namespaces(label_selector=selector).items]
    assert not left, left
    # The workspaces' volumes go with their claims (the storage class deletes them).
    deadline = time.monotonic() + 60
    while True:
        volumes = [pv.metadata.name for pv in core.list_persistent_volume().items
                   if pv.spec.claim_ref and pv.spec.claim_ref.namespace.startswith(lifecycle.ROOM)]
        if not volumes or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not volumes, volumes


def test_bad_input_gets_one_line(api):
    """Checked before anything is made: more learners than the cluster holds, a port already taken."""
    import socket
    from dockyard.errors import DockyardError
    with pytest.raises(DockyardError) as too_many:
        lifecycle.check_capacity(api, 500)
    assert too_many.value.what.startswith("500 learners need") and "room for" in too_many.value.what
    lifecycle.check_capacity(api, len(LEARNERS))          # the room of the test fits
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(DockyardError) as busy:
            Forward(api, lifecycle.ROOM, "hub", 8000, port=taken.getsockname()[1])
    assert "cannot open 127.0.0.1:" in busy.value.what and "--port" in busy.value.fix
