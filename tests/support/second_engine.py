"""A second Docker engine on this machine, as a machine that never saw the kit has it: an empty data
root, its own socket, bridge, address pool, containerd and config file. The machine's own engine
(its containers, images, networks, docker0, iptables chains) is left exactly as it was.

How, and why (ENVIRONMENT.md has the facts behind each choice):
- Debian's dockerd, the same binary as the main engine, with its own --data-root, --exec-root,
  --pidfile, -H unix:///run/dysim/docker.sock and --config-file (never /etc/docker/daemon.json).
- Its own bridge, made here (`dysim0`, 10.213.0.1/24) and named in its config. Never
  `--bridge none`: dockerd then deletes the main engine's docker0. Its `default-address-pools`
  (10.213.128.0/17 in /24s, where kind's network `kind` lands) and the bridge share one range that
  overlaps no route of the host and no network or pool of the main engine (checked at start).
- "iptables": false. Each dockerd removes and recreates the DOCKER chains when it starts, so two
  of them managing iptables clobber each other. This module does dockerd's part for its own
  bridges only: one MASQUERADE rule for the engine's range, and per bridge of this engine (the
  default one, and each network made on it, seen through the engine's event stream) the FORWARD
  rules the host's DROP policy needs. Each rule carries the comment `dysim-second-engine:<name>`,
  so teardown removes exactly those, even after a crash.
- Its own containerd: dockerd starts a managed one, state under <exec-root>/containerd, root under
  <data-root>/containerd; shims hash the containerd address into their socket name, so nothing is
  shared with the main engine's (the start check proves it).
- The kit's capability filter (dockyard.engine.capfilter) as its default runtime, reusing the
  wrapper already installed for the main engine, so privileged containers (kind nodes) start.
- Teardown always: containers and networks removed, dockerd stopped (SIGTERM, then SIGKILL),
  stray processes that name our directories killed one by one, mounts under our directories
  unmounted, directories, bridges and rules removed, then `leftovers()` must be empty.
"""
from __future__ import annotations

import contextlib
import grp
import ipaddress
import json
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard.engine import capfilter

DOCKERD = "/usr/sbin/dockerd"
MAIN_HOST = "unix:///var/run/docker.sock"
MAIN_DAEMON_JSON = Path("/etc/docker/daemon.json")   # read only, for the main engine's pools
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Docker's built-in default-address-pools, used by an engine whose daemon.json sets none.
DOCKER_DEFAULT_POOLS = [f"172.{n}.0.0/16" for n in range(17, 32)] + ["192.168.0.0/16"]
TAG_PREFIX = "dysim-second-engine"


class SecondEngineError(RuntimeError):
    pass


def sh(cmd: list[str], check: bool = True, timeout: float | None = 120, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()[-800:]
        raise SecondEngineError(f"`{shlex.join(cmd)}` failed (exit {proc.returncode}): {detail}")
    return proc


# -- the host's networks -----------------------------------------------------------------------

def egress_interface() -> str:
    """The interface of the default route: where containers' traffic leaves the machine."""
    routes = json.loads(sh(["ip", "-j", "-4", "route", "show", "default"]).stdout or "[]")
    if not routes:
        raise SecondEngineError("this machine has no IPv4 default route")
    return routes[0]["dev"]


def host_networks() -> dict[str, ipaddress.IPv4Network]:
    """Every IPv4 network the host routes or has an address in, by where it was seen."""
    found = {}
    for route in json.loads(sh(["ip", "-j", "-4", "route", "show", "table", "all"]).stdout or "[]"):
        dst = route.get("dst", "")
        if dst and dst != "default" and route.get("type", "unicast") == "unicast":
            with contextlib.suppress(ValueError):
                found[f"route {dst} dev {route.get('dev', '?')}"] = ipaddress.ip_network(dst, strict=False)
    for link in json.loads(sh(["ip", "-j", "-4", "addr"]).stdout or "[]"):
        for addr in link.get("addr_info", []):
            net = ipaddress.ip_network(f"{addr['local']}/{addr['prefixlen']}", strict=False)
            if not net.is_loopback:
                found[f"address {addr['local']}/{addr['prefixlen']} on {link['ifname']}"] = net
    return found


def main_engine_networks(host: str = MAIN_HOST) -> dict[str, ipaddress.IPv4Network]:
    """The main engine's network subnets and the pools it will take new ones from."""
    found = {}
    try:
        daemon = json.loads(MAIN_DAEMON_JSON.read_text())
    except (OSError, ValueError):
        daemon = {}
    pools = [p["base"] for p in daemon.get("default-address-pools", [])] or DOCKER_DEFAULT_POOLS
    for pool in pools:
        found[f"main engine pool {pool}"] = ipaddress.ip_network(pool)
    import docker
    try:
        client = docker.DockerClient(base_url=host, timeout=20)
    except Exception:  # no main engine: nothing of it to overlap
        return found
    with contextlib.closing(client):
        for net in client.networks.list():
            for cfg in (net.attrs.get("IPAM") or {}).get("Config") or []:
                subnet = cfg.get("Subnet", "")
                if subnet and ":" not in subnet:
                    found[f"main engine network {net.name} {subnet}"] = ipaddress.ip_network(subnet)
    return found


def overlaps(ours: ipaddress.IPv4Network, others: dict[str, ipaddress.IPv4Network]) -> list[str]:
    return sorted(where for where, net in others.items() if net.overlaps(ours))


def link_exists(name: str) -> bool:
    return sh(["ip", "link", "show", "dev", name], check=False).returncode == 0


# -- iptables, only ever our own rules ----------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    table: str
    chain: str
    matches: tuple[str, ...]
    target: tuple[str, ...]

    def command(self, action: str, tag: str) -> list[str]:
        return ["iptables", "-w", "5", "-t", self.table, action, self.chain, *self.matches,
                "-m", "comment", "--comment", tag, *self.target]


def bridge_rules(bridge: str, egress: str) -> list[Rule]:
    """What dockerd with iptables on would allow for one of its bridges: traffic within it, out of
    the machine, and the answers. The host's FORWARD policy is DROP (set by the main engine)."""
    return [Rule("filter", "FORWARD", ("-i", bridge, "-o", bridge), ("-j", "ACCEPT")),
            Rule("filter", "FORWARD", ("-i", bridge, "-o", egress), ("-j", "ACCEPT")),
            Rule("filter", "FORWARD", ("-i", egress, "-o", bridge, "-m", "conntrack",
                                       "--ctstate", "RELATED,ESTABLISHED"), ("-j", "ACCEPT"))]


def masquerade_rule(subnet: str, egress: str) -> Rule:
    return Rule("nat", "POSTROUTING", ("-s", subnet, "-o", egress), ("-j", "MASQUERADE"))


def tagged_rules(tag: str) -> list[tuple[str, str]]:
    """(table, `-A ...` line) of every rule carrying exactly this comment, from iptables-save."""
    found = []
    for table in ("filter", "nat"):
        for line in sh(["iptables-save", "-t", table]).stdout.splitlines():
            if line.startswith("-A ") and tag in shlex.split(line):
                found.append((table, line))
    return found


def delete_tagged_rules(tag: str) -> None:
    for table, line in tagged_rules(tag):
        args = shlex.split(line)
        sh(["iptables", "-w", "5", "-t", table, "-D", *args[1:]], check=False)


# -- processes and mounts ---------------------------------------------------------------------

def processes_naming(paths: list[str]) -> dict[int, str]:
    """pid -> command line of every process whose command line names one of these paths."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(p in cmdline for p in paths):
            found[int(entry.name)] = cmdline.strip()
    return found


def mounts_under(paths: list[Path]) -> list[str]:
    """Mount points at or below these directories (in our mount namespace), deepest first."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        if any(point == str(p) or point.startswith(str(p) + "/") for p in paths):
            found.append(point)
    return sorted(set(found), key=lambda p: -p.count("/"))


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.2)
    return False


@contextlib.contextmanager
def sigterm_as_interrupt():
    """A SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so teardown runs."""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None):
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def shielded(note: str):
    """Teardown is not cut short by a second Ctrl-C: it is noted and teardown goes on."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: print(f"\n(interrupt ignored: {note})", flush=True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# -- the engine ------------------------------------------------------------------------------

class SecondEngine:
    """`with SecondEngine(...) as engine:` a started engine; on the way out, nothing of it is left.

    engine.host is its DOCKER_HOST; engine.client() a docker-py client; engine.docker(...) the CLI.
    """

    def __init__(self, name: str = "dysim", *, root: Path | str | None = None,
                 run_dir: Path | str | None = None, bridge: str | None = None,
                 subnet: str = "10.213.0.0/16", bridge_address: str = "10.213.0.1/24",
                 pool: str = "10.213.128.0/17", pool_size: int = 24, mirrors: tuple[str, ...] = (),
                 group: str | None = None, log_path: Path | str | None = None,
                 start_timeout: float = 60, stop_timeout: float = 60, extra_config: dict | None = None,
                 dockerd: str | None = None, data_root: Path | str | None = None,
                 programs: Path | str | None = None):
        self.name = name
        self._dockerd = dockerd          # another dockerd binary (a newer engine); None: DOCKERD
        self.programs = programs         # a folder put first on dockerd's PATH (its runc, docker-proxy)
        self.root = Path(root or f"/var/lib/{name}")          # ext4 here: overlay2 works on it
        self.run_dir = Path(run_dir or f"/run/{name}")
        # A data root of the caller's (a small filesystem, to fill) is emptied at teardown, not removed.
        self.data_root = Path(data_root) if data_root else self.root / "data"
        self.callers_data_root = data_root is not None
        self.exec_root = self.run_dir / "exec"
        self.socket = self.run_dir / "docker.sock"
        self.host = f"unix://{self.socket}"
        self.pidfile = self.run_dir / "docker.pid"
        self.config_file = self.run_dir / "daemon.json"
        self.log_path = Path(log_path) if log_path else self.root / "dockerd.log"
        self.bridge = bridge or f"{name}0"
        self.subnet = ipaddress.ip_network(subnet)
        self.bridge_address = ipaddress.ip_interface(bridge_address)
        self.pool = ipaddress.ip_network(pool)
        self.pool_size = pool_size
        self.mirrors = tuple(mirrors)
        self.group = group
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.extra_config = dict(extra_config or {})
        self.tag = f"{TAG_PREFIX}:{name}"
        self.egress = ""
        self.proc: subprocess.Popen | None = None
        self.timings: dict[str, float] = {}
        self.bridges: set[str] = set()          # every bridge of this engine seen so far
        self.container_ids: set[str] = set()    # every container of this engine seen at teardown
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._watch: threading.Thread | None = None
        self._stream = None
        self._watch_error: BaseException | None = None
        for inner, outer in ((self.bridge_address.network, self.subnet), (self.pool, self.subnet)):
            if not inner.subnet_of(outer):
                raise ValueError(f"{inner} is not inside the engine's range {outer}")

    # -- public --

    def __enter__(self) -> "SecondEngine":
        with sigterm_as_interrupt():
            try:
                self.start()
            except BaseException:
                self.stop()
                raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self, timeout: int = 300):
        import docker
        return docker.DockerClient(base_url=self.host, timeout=timeout)

    def docker(self, *args: str, check: bool = True, timeout: float | None = 600) -> subprocess.CompletedProcess:
        return sh(["docker", "-H", self.host, *args], check=check, timeout=timeout)

    def load_from_main(self, refs: list[str], timeout: float = 900) -> None:
        """Copy images from the machine's engine into this one (`docker save | docker load`):
        there is no registry to pull them from."""
        save = subprocess.Popen(["docker", "-H", MAIN_HOST, "save", *refs], stdout=subprocess.PIPE)
        try:
            sh(["docker", "-H", self.host, "load", "-q"], stdin=save.stdout, timeout=timeout)
        finally:
            save.stdout.close()
            if save.wait() != 0:
                raise SecondEngineError(f"`docker save {' '.join(refs)}` on the main engine failed")

    def env(self) -> dict[str, str]:
        """What a client of this engine needs in its environment."""
        return {"DOCKER_HOST": self.host}

    @property
    def dockerd(self) -> str:
        return self._dockerd or DOCKERD   # the module's DOCKERD, read now (tests may patch it)

    def config(self) -> dict:
        config = {
            "bridge": self.bridge,
            "iptables": False,
            "ip-masq": False,
            "ip-forward": True,
            "default-address-pools": [{"base": str(self.pool), "size": self.pool_size}],
            "registry-mirrors": list(self.mirrors),
        }
        if self.group:
            config["group"] = self.group
        if capfilter.WRAPPER_PATH.exists():
            config["runtimes"] = {capfilter.RUNTIME_NAME: {"path": str(capfilter.WRAPPER_PATH)}}
            config["default-runtime"] = capfilter.RUNTIME_NAME
        config.update(self.extra_config)
        return config

    def start(self) -> None:
        started = time.monotonic()
        self.preflight()
        self.egress = egress_interface()
        for path in (self.data_root, self.exec_root):
            path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o755)
        self.config_file.write_text(json.dumps(self.config(), indent=2) + "\n")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)

        sh(["ip", "link", "add", self.bridge, "type", "bridge"])
        self.bridges.add(self.bridge)
        sh(["ip", "addr", "add", str(self.bridge_address), "dev", self.bridge])
        sh(["ip", "link", "set", self.bridge, "up"])
        self._add_rule(masquerade_rule(str(self.subnet), self.egress))
        self._allow_bridge(self.bridge)

        self._launch()
        self._start_watch()
        self.timings["start"] = time.monotonic() - started

    def dockerd_pid(self) -> int | None:
        """The running dockerd of this engine (a test may kill it)."""
        return self._dockerd_pid()

    def revive(self) -> None:
        """Start dockerd again on the same roots, after it was killed: its containers, images and
        volumes are still there. Its network store is not: Debian's dockerd 20.10, restarted after a
        kill with a bridge of its own, deletes the host's `docker0`, the main engine's bridge (seen
        here). On a laptop that bridge is the engine's own; beside a main engine it must not go."""
        if self._dockerd_pid() is not None:
            raise SecondEngineError(f"the second engine {self.name} still runs")
        self._stop_watch()
        # The killed dockerd's containerd and shims live on; a new dockerd starts its own, and on a
        # busy machine the old one held the socket until the new dockerd gave up (seen in a run).
        self._kill_strays()
        # The killed containerd may linger as a zombie, which the machine's init reaps late: the new
        # dockerd read its pid file, took it for alive, and gave up waiting on its socket (seen in a
        # run). Without the file it starts a containerd of its own.
        (self.exec_root / "containerd" / "containerd.pid").unlink(missing_ok=True)
        (self.data_root / "network" / "files" / "local-kv.db").unlink(missing_ok=True)
        self._launch()
        self._start_watch()

    def _launch(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "NOTIFY_SOCKET"))}
        env["PATH"] = f"{self.programs}:{SYSTEM_PATH}" if self.programs else SYSTEM_PATH
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [self.dockerd, "--config-file", str(self.config_file), "--data-root", str(self.data_root),
                 "--exec-root", str(self.exec_root), "--pidfile", str(self.pidfile), "-H", self.host],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True)
        self._wait_answers()
        self._secure_socket()

    def preflight(self) -> None:
        if os.geteuid() != 0:
            raise SecondEngineError("a second engine needs root (it starts dockerd and makes a bridge)")
        if not Path(self.dockerd).exists():
            raise SecondEngineError(f"{self.dockerd} is missing" + (": apt-get install docker.io"
                                                                    if self.dockerd == "/usr/sbin/dockerd" else ""))
        missing = capfilter.host_missing_capabilities()
        if missing and not capfilter.WRAPPER_PATH.exists():
            raise SecondEngineError(f"this host cannot grant {', '.join(missing)} and the capability filter "
                                    f"{capfilter.WRAPPER_PATH} is not installed: run `dockyard engine up` first")
        left = self.leftovers()
        if left:
            raise SecondEngineError("a second engine named " f"{self.name!r} left things behind: {'; '.join(left)} "
                                    f"(remove them with SecondEngine({self.name!r}).stop())")
        others = {**host_networks(), **main_engine_networks()}
        clash = overlaps(self.subnet, others)
        if clash:
            raise SecondEngineError(f"the second engine's range {self.subnet} overlaps {', '.join(clash)}: "
                                    "pass another subnet=, bridge_address= and pool=")
        if self.group:
            grp.getgrnam(self.group)   # KeyError names a missing group

    def stop(self) -> None:
        """Remove everything; safe to call twice, or after a half-done start or a crash."""
        errors: list[str] = []

        def step(what, action):
            try:
                action()
            except Exception as exc:  # go on: the other steps still have things to remove
                errors.append(f"{what}: {type(exc).__name__}: {exc}")

        started = time.monotonic()
        with shielded(f"removing the second engine {self.name}"):
            if self._answers():
                step("remove its containers", self._remove_containers)
                step("remove its networks", self._remove_networks)
            step("stop watching its networks", self._stop_watch)
            step("stop dockerd", self._stop_dockerd)
            step("stop stray processes", self._kill_strays)
            step("unmount", self._unmount)
            step("remove bridges", self._remove_bridges)
            step("remove iptables rules", self._remove_rules)
            step("remove directories", self._remove_dirs)
        self.timings["stop"] = time.monotonic() - started
        left = self.leftovers()
        if errors or left:
            raise SecondEngineError("tearing down the second engine: " + "; ".join(errors + [f"left: {x}" for x in left]))

    def leftovers(self) -> list[str]:
        """What of this engine still exists on the machine, in words; [] when nothing."""
        left = []
        procs = processes_naming([str(self.exec_root), str(self.data_root), str(self.socket)])
        left += [f"process {pid} ({cmd[:120]})" for pid, cmd in sorted(procs.items())]
        left += [f"mount {m}" for m in mounts_under([self.root, self.run_dir])]
        left += [f"bridge {b}" for b in sorted(self.bridges | self._bridges_in_range()) if link_exists(b)]
        left += [f"iptables -t {t} {line}" for t, line in tagged_rules(self.tag)]
        left += [f"directory {p}" for p in (self.root, self.run_dir) if p.exists()]
        left += [f"container cgroup {c}" for c in self._container_cgroups()]
        return left

    # -- start helpers --

    def _wait_answers(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SecondEngineError(f"dockerd exited ({self.proc.returncode}) while starting:\n{self.log_tail()}")
            if self.socket.exists():
                try:
                    proc = self.docker("version", "--format", "{{.Server.Version}}", check=False, timeout=10)
                except subprocess.TimeoutExpired:   # a busy machine: ask again until start_timeout
                    last = "no answer within 10 s"
                    continue
                if proc.returncode == 0:
                    return
                last = proc.stderr.strip()
            time.sleep(0.3)
        raise SecondEngineError(f"dockerd did not answer within {self.start_timeout:.0f}s ({last}):\n{self.log_tail()}")

    def _secure_socket(self) -> None:
        """The socket: root and the learner's group, 660 (dockerd does this with "group"; make sure)."""
        gid = grp.getgrnam(self.group).gr_gid if self.group else 0
        st = self.socket.stat()
        if st.st_gid != gid:
            os.chown(self.socket, 0, gid)
        if st.st_mode & 0o777 != 0o660:
            os.chmod(self.socket, 0o660)

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- iptables for our bridges --

    def _add_rule(self, rule: Rule) -> None:
        with self._lock:
            if rule in self._rules:
                return
            sh(rule.command("-A", self.tag))
            self._rules.append(rule)

    def _allow_bridge(self, bridge: str) -> None:
        with self._lock:
            self.bridges.add(bridge)
        for rule in bridge_rules(bridge, self.egress):
            self._add_rule(rule)

    def _forget_bridge(self, bridge: str) -> None:
        for rule in bridge_rules(bridge, self.egress):
            with self._lock:
                if rule in self._rules:
                    sh(rule.command("-D", self.tag), check=False)
                    self._rules.remove(rule)

    @staticmethod
    def _bridge_of(attrs: dict) -> str | None:
        if attrs.get("Driver") != "bridge":
            return None
        return (attrs.get("Options") or {}).get("com.docker.network.bridge.name") or f"br-{attrs['Id'][:12]}"

    def _start_watch(self) -> None:
        """Follow the engine's network events: each new bridge network gets its FORWARD rules."""
        client = self.client(timeout=None)
        self._stream = client.api.events(decode=True, filters={"type": "network"})   # subscribed now
        self._bridges_by_id: dict[str, str] = {}

        def follow():
            try:
                for event in self._stream:
                    net_id = (event.get("Actor") or {}).get("ID", "")
                    if event.get("Action") == "create":
                        with contextlib.suppress(Exception):   # gone already: nothing to allow
                            bridge = self._bridge_of(client.api.inspect_network(net_id))
                            if bridge:
                                self._bridges_by_id[net_id] = bridge
                                self._allow_bridge(bridge)
                    elif event.get("Action") == "destroy" and net_id in self._bridges_by_id:
                        self._forget_bridge(self._bridges_by_id.pop(net_id))
            except Exception as exc:  # the stream ends with an error when closed at teardown
                if self._stream is not None:
                    self._watch_error = exc
            finally:
                client.close()

        self._watch = threading.Thread(target=follow, name=f"{self.name}-bridges", daemon=True)
        self._watch.start()
        # Networks made before the subscription (a reused data root): allow them too.
        for attrs in client.api.networks():
            bridge = self._bridge_of(attrs)
            if bridge:
                self._bridges_by_id[attrs["Id"]] = bridge
                self._allow_bridge(bridge)

    # -- stop helpers --

    def _answers(self) -> bool:
        return self.socket.exists() and self.docker("version", check=False, timeout=10).returncode == 0

    def _remove_containers(self) -> None:
        ids = self.docker("ps", "-aq", "--no-trunc").stdout.split()
        self.container_ids.update(ids)
        if ids:
            self.docker("rm", "-f", "-v", *ids, timeout=300)

    def _remove_networks(self) -> None:
        with contextlib.closing(self.client()) as client:
            for attrs in client.api.networks():
                bridge = self._bridge_of(attrs)
                if bridge:
                    self.bridges.add(bridge)
                if attrs["Name"] not in ("bridge", "host", "none"):
                    client.api.remove_network(attrs["Id"])

    def _stop_watch(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
        if self._watch is not None:
            self._watch.join(timeout=10)
            self._watch = None

    def _dockerd_pid(self) -> int | None:
        if self.proc is not None and self.proc.poll() is None:
            return self.proc.pid
        try:   # started by an earlier run that crashed: the pid file says which, the cmdline proves it
            pid = int(self.pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return None
        return pid if str(self.exec_root) in cmdline else None

    def _stop_dockerd(self) -> None:
        pid = self._dockerd_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        if not wait_gone(pid, self.stop_timeout):
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid, 10)
        if self.proc is not None and self.proc.pid == pid:
            self.proc.wait(timeout=10)

    def _kill_strays(self) -> None:
        """containerd and shims of this engine that outlived dockerd: by pid, each named by our paths."""
        for _ in range(2):
            strays = processes_naming([str(self.exec_root), str(self.data_root), str(self.socket)])
            for pid in strays:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM if _ == 0 else signal.SIGKILL)
            for pid in strays:
                wait_gone(pid, 10)

    def _unmount(self) -> None:
        for point in mounts_under([self.root, self.run_dir, self.data_root]):
            if self.callers_data_root and point == str(self.data_root):
                continue   # the caller's own filesystem
            if sh(["umount", point], check=False).returncode != 0:
                sh(["umount", "-l", point], check=False)

    def _bridges_in_range(self) -> set[str]:
        """Bridges with an address in our range: this engine's, even ones a crashed run left."""
        found = set()
        for link in json.loads(sh(["ip", "-j", "-4", "addr"]).stdout or "[]"):
            for addr in link.get("addr_info", []):
                if ipaddress.ip_address(addr["local"]) in self.subnet:
                    found.add(link["ifname"])
        return found

    def _remove_bridges(self) -> None:
        """Only bridges of this engine: its own, and those with an address in its range. A name seen
        in its events alone is never enough (a revived engine once named the main engine's docker0)."""
        for bridge in sorted({self.bridge} | self._bridges_in_range()):
            if link_exists(bridge):
                sh(["ip", "link", "del", bridge])

    def _remove_rules(self) -> None:
        with self._lock:
            for rule in self._rules:
                sh(rule.command("-D", self.tag), check=False)
            self._rules.clear()
        delete_tagged_rules(self.tag)   # rules of a crashed run carry the same comment

    def _remove_dirs(self) -> None:
        still = mounts_under([self.root, self.run_dir])
        if still:   # never delete through a mount into something that is not ours
            raise SecondEngineError(f"still mounted, not deleting: {', '.join(still)}")
        for path in (self.root, self.run_dir):
            if path.exists():
                shutil.rmtree(path)

    def _container_cgroups(self) -> list[str]:
        return [f"{c[:12]}" for c in sorted(self.container_ids)
                if Path(f"/sys/fs/cgroup/pids/docker/{c}").exists()
                or Path(f"/sys/fs/cgroup/systemd/docker/{c}").exists()]


# -- pytest ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def second_engine_options() -> dict:
    """Keyword arguments for SecondEngine; a test module overrides this fixture to add mirrors, a group."""
    return {}


@pytest.fixture(scope="module")
def second_engine(second_engine_options):
    """A started second engine for the module's tests; removed afterwards, also on failure and Ctrl-C."""
    try:
        engine = SecondEngine(**second_engine_options)
        with engine:
            yield engine
    except SecondEngineError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def sigterm_unwinds():
    """A SIGTERM (a CI time limit, `kill`) unwinds like Ctrl-C, so every fixture's teardown runs.
    Autouse in each conftest that imports it."""
    with sigterm_as_interrupt():
        yield
