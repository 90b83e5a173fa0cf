"""A learner on a machine that never saw the kit: a non-root account with its own home, its own
clone of the kit, and a PATH that has neither Go nor mmdebstrap.

/root is mode 700 here, so the learner cannot use root's Python, venv or caches: everything it
runs comes from the system (/usr/bin/python3) or from what it makes itself. The clone is of
committed code, as CI runs it: DOCKYARD_LAPTOP_SOURCE names another repository or URL to clone,
and DOCKYARD_LAPTOP_WORKTREE=1 lays the source's uncommitted changes over the clone (for
development, before a commit).

PATH is `<home>/bin` (what the learner installed: kind) and `<home>/system-bin`, a folder of
links to every program of /usr/local/bin and /usr/bin except the ones a fresh laptop would not
have (Go, mmdebstrap: this machine has them, for the main engine's from-source build).
"""
from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .second_engine import SecondEngineError, sh, shielded

REPO = Path(__file__).resolve().parents[2]
SOURCE_ENV = "DOCKYARD_LAPTOP_SOURCE"
WORKTREE_ENV = "DOCKYARD_LAPTOP_WORKTREE"
SYSTEM_DIRS = ("/usr/local/bin", "/usr/bin")
# What this machine has for the main engine's from-source build and a fresh laptop does not.
NOT_ON_A_LAPTOP = frozenset({"go", "gofmt", "mmdebstrap", "kind"})
# Facts of this machine every program of it needs, the learner's too (TLS through the proxy's CA).
MACHINE_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT",
               "GIT_SSL_CAINFO", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


class Learner:
    """`with Learner() as learner:` the account exists, owns `learner.base`, and has a clone at
    `learner.repo`. `learner.run(...)` runs a command as that user with `learner.env()`."""

    def __init__(self, user: str = "dysim", source: str | None = None, worktree: bool | None = None,
                 parent: str = "/var/tmp"):
        self.user = user
        self.source = source or os.environ.get(SOURCE_ENV) or str(REPO)
        self.worktree = (os.environ.get(WORKTREE_ENV, "") == "1") if worktree is None else worktree
        self.parent = parent
        self.created_user = False
        self.made_uid: int | None = None   # the uid of the account we made, kept after it is removed
        self.base = Path()
        self.uid = self.gid = -1
        self.extra_env: dict[str, str] = {}

    # -- where things are --

    @property
    def home(self) -> Path:
        return self.base / "home"

    @property
    def bin(self) -> Path:
        return self.home / "bin"

    @property
    def system_bin(self) -> Path:
        return self.home / "system-bin"

    @property
    def repo(self) -> Path:
        return self.home / "dockyard"

    @property
    def tmp(self) -> Path:
        return self.home / "tmp"

    @property
    def kubeconfig(self) -> Path:
        return self.home / "kubeconfig"

    @property
    def cache(self) -> Path:
        return self.home / ".cache"

    @property
    def group(self) -> str:
        return grp.getgrgid(self.gid).gr_name

    def path(self) -> str:
        return f"{self.bin}:{self.system_bin}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: os.environ[k] for k in MACHINE_ENV if k in os.environ}
        env.update(HOME=str(self.home), USER=self.user, LOGNAME=self.user, SHELL="/bin/sh",
                   PATH=self.path(), LANG="C.UTF-8", KUBECONFIG=str(self.kubeconfig),
                   TMPDIR=str(self.tmp))   # pytest's and Jupyter's temporary files stay in the base
        env.update(self.extra_env)
        env.update(extra)
        return env

    # -- lifetime --

    def __enter__(self) -> "Learner":
        if os.geteuid() != 0:
            raise SecondEngineError("making a learner account needs root")
        try:
            self._make()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def _make(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix=f"{self.user}-learner-", dir=self.parent))
        try:
            pwd.getpwnam(self.user)
        except KeyError:
            sh(["useradd", "--no-create-home", "--home-dir", str(self.home), "--shell", "/bin/sh",
                "--user-group", self.user])
            self.created_user = True
        entry = pwd.getpwnam(self.user)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        if self.created_user:
            self.made_uid = self.uid
        for folder in (self.home, self.bin, self.system_bin, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self._link_system_programs()
        self._clone()
        sh(["chown", "-R", f"{self.uid}:{self.gid}", str(self.base)])
        os.chmod(self.base, 0o755)

    def _link_system_programs(self) -> None:
        for folder in SYSTEM_DIRS:
            for program in sorted(os.listdir(folder)):
                link = self.system_bin / program
                if program in NOT_ON_A_LAPTOP or link.exists() or link.is_symlink():
                    continue
                target = Path(folder) / program
                if target.is_file() and os.access(target, os.X_OK):
                    link.symlink_to(target)

    def _clone(self) -> None:
        started = time.monotonic()
        sh(["git", "clone", "--quiet", "--no-hardlinks", self.source, str(self.repo)], timeout=600)
        if self.worktree and Path(self.source).is_dir():
            self._overlay_worktree(Path(self.source))
        self.clone_seconds = time.monotonic() - started

    def _overlay_worktree(self, source: Path) -> None:
        """The source's uncommitted changes: modified and new (not ignored) files, and deletions."""
        def listed(*flags: str) -> list[str]:
            out = sh(["git", "-C", str(source), "ls-files", "-z", *flags]).stdout
            return [p for p in out.split("\0") if p]
        for rel in listed("--modified", "--others", "--exclude-standard"):
            src, dst = source / rel, self.repo / rel
            if src.is_file():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
        for rel in listed("--deleted"):
            with contextlib.suppress(FileNotFoundError):
                (self.repo / rel).unlink()

    def install_program(self, path: Path | str, name: str | None = None) -> Path:
        """Put a program on the learner's PATH, as a learner who installed it would have it."""
        target = self.bin / (name or Path(path).name)
        shutil.copy2(path, target)
        os.chown(target, self.uid, self.gid)
        os.chmod(target, 0o755)
        return target

    def run(self, cmd: list[str], cwd: Path | None = None, timeout: float | None = None,
            log: Path | None = None, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
        """Run `cmd` as the learner (no root groups), stdout and stderr together; also into `log`."""
        proc = subprocess.Popen(cmd, cwd=str(cwd or self.repo), env=env or self.env(), user=self.uid,
                                group=self.gid, extra_groups=[], umask=0o022, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        lines = []
        timed_out = threading.Event()
        timer = threading.Timer(timeout, lambda: (timed_out.set(), self._end(proc, shield=False))) if timeout else None
        try:
            if timer:
                timer.start()
            with open(log, "a") if log else contextlib.nullcontext() as out:
                for line in proc.stdout:
                    lines.append(line)
                    if out:
                        out.write(line)
                        out.flush()
            proc.wait()
        except BaseException:
            self._end(proc)
            raise
        finally:
            if timer:
                timer.cancel()
        if timed_out.is_set():
            raise SecondEngineError(f"as {self.user}: `{' '.join(cmd)}` did not finish within {timeout:.0f}s:\n"
                                    + "".join(lines[-30:]))
        result = subprocess.CompletedProcess(cmd, proc.returncode, "".join(lines), "")
        if check and proc.returncode != 0:
            raise SecondEngineError(f"as {self.user}: `{' '.join(cmd)}` failed ({proc.returncode}):\n"
                                    + "".join(lines[-30:]))
        return result

    def interrupt_when(self, cmd: list[str], ready, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run `cmd` as the learner and press Ctrl-C (SIGINT to its process group, as a terminal
        does) once `ready()` is true; return what it printed by the time it ended."""
        # A terminal's Ctrl-C reaches a program that listens to SIGINT; `make test` runs this lane as
        # a background job, whose children start with SIGINT ignored, so it is listened to again here.
        proc = subprocess.Popen(cmd, cwd=str(self.repo), env=self.env(), user=self.uid, group=self.gid,
                                extra_groups=[], umask=0o022, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        deadline = time.monotonic() + timeout
        try:
            while not ready():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SecondEngineError(f"as {self.user}: `{' '.join(cmd)}` ended or ran {timeout:.0f}s "
                                            "before the moment to interrupt it:\n" + "".join(lines[-30:]))
                time.sleep(0.2)
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=timeout)
        except BaseException:
            self._end(proc)
            raise
        reader.join(timeout=10)
        return subprocess.CompletedProcess(cmd, proc.returncode, "".join(lines), "")

    @staticmethod
    def _end(proc: subprocess.Popen, shield: bool = True) -> None:
        """Ctrl-C or a timeout: the learner's command and what it started stop (its own session)."""
        with shielded("stopping the learner's command") if shield else contextlib.nullcontext():
            for sig, wait in ((2, 20), (15, 10), (9, 5)):   # SIGINT first: the kit cleans up on it
                if proc.poll() is not None:
                    break
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=wait)

    def which(self, program: str) -> str:
        """Where the learner's shell finds `program`; "" when it does not."""
        proc = self.run(["sh", "-c", f"command -v {program} || true"], cwd=self.home)
        return proc.stdout.strip()

    def processes(self) -> list[int]:
        out = sh(["pgrep", "-u", str(self.uid)], check=False).stdout if self.uid >= 0 else ""
        return [int(p) for p in out.split()]

    def remove(self) -> None:
        with shielded(f"removing the learner {self.user}"):
            if self.created_user:   # an account of our own: whatever runs as it is ours, each by pid
                for pid in self.processes():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, 9)
            if self.base != Path() and self.base.exists():
                shutil.rmtree(self.base)
            if self.created_user:   # what a program of our account left outside TMPDIR is ours too
                for path in self.files_elsewhere():
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)
                sh(["userdel", self.user], check=False)
                with contextlib.suppress(KeyError):
                    grp.getgrnam(self.user)
                    sh(["groupdel", self.user], check=False)
                self.created_user = False

    def files_elsewhere(self) -> list[Path]:
        """Entries of the shared temporary folders owned by the account (only when we made it)."""
        if self.made_uid is None:
            return []
        found = []
        for folder in ("/tmp", "/var/tmp", "/dev/shm"):
            with contextlib.suppress(OSError):
                found += [p for p in Path(folder).iterdir() if p.lstat().st_uid == self.made_uid]
        return found

    def leftovers(self) -> list[str]:
        left = [f"process {p}" for p in self.processes()] if self.made_uid is not None else []
        left += [f"file {p}" for p in self.files_elsewhere()]
        if self.base != Path() and self.base.exists():
            left.append(f"directory {self.base}")
        return left
