"""Build Go programs from their modules, with caches in one stable place.

Kubernetes cannot be `go install`ed: its go.mod replaces the staging modules
(k8s.io/api, k8s.io/client-go, ...) with local paths. We build it from a small
wrapper module that requires k8s.io/kubernetes and points every staging module
at its published v0.X.Y instead.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from dockyard import versions
from dockyard.cache_check import intact, seal
from dockyard.errors import CommandFailed, DockyardError
from dockyard.paths import cache_dir, tools_dir

KUBE_COMMANDS = ["kubeadm", "kubelet", "kubectl", "kube-apiserver",
                 "kube-controller-manager", "kube-scheduler", "kube-proxy"]
# kubeadm refuses a v0.0.0 build: stamp the version the way Kubernetes' own build does.
VERSION_PACKAGES = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]
BUILD_DATE = "2025-01-01T00:00:00Z"  # fixed, so identical inputs give identical binaries
# Settings that change what the compiler produces; the node image's recipe hashes them.
GO_SETTINGS = {"GOFLAGS": "-modcacherw", "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
STRIP = "-s -w"
# The go.sum of each of our wrapper modules, committed: Go checks every module it downloads or
# finds in its cache against these hashes, and a build that needed one more is refused.
GO_SUMS = Path(__file__).parent / "gosum"


def go_env() -> dict:
    root = cache_dir() / "go"
    env = dict(os.environ)
    env.update(GOMODCACHE=str(root / "mod"), GOCACHE=str(root / "build"), **GO_SETTINGS)
    return env


def go_version() -> tuple[int, int] | None:
    if not shutil.which("go"):
        return None
    out = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True).stdout
    m = re.match(r"go(\d+)\.(\d+)", out.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def staging_modules(kubernetes_go_mod: str) -> list[str]:
    """The module paths that k8s.io/kubernetes replaces with ./staging/src/... directories."""
    return sorted(set(re.findall(r"^\s*(k8s\.io/[\w.-]+)\s*=>\s*\./staging/", kubernetes_go_mod, re.M)))


def wrapper_go_mod(kube_version: str, staging: list[str]) -> str:
    """go.mod of the wrapper module: kubernetes itself plus each staging module at v0.X.Y."""
    staging_version = "v0" + kube_version[2:]
    lines = ["module dockyard.local/kubebuild", "", "go 1.24", "",
             f"require k8s.io/kubernetes {kube_version}", "", "replace ("]
    lines += [f"\t{mod} => {mod} {staging_version}" for mod in staging]
    lines += [")", ""]
    return "\n".join(lines)


def simple_wrapper_go_mod(module: str, requires: dict[str, str]) -> str:
    """go.mod of a wrapper that only requires modules: their own replace lines are ignored then."""
    lines = [f"module {module}", "", "go 1.24", "", "require ("]
    lines += [f"\t{mod} {ver}" for mod, ver in sorted(requires.items())]
    lines += [")", ""]
    return "\n".join(lines)


def check_go() -> tuple[int, int]:
    """The Go version, or a DockyardError naming the fix."""
    have = go_version()
    need = versions.GO_MIN_VERSION
    if have is None:
        raise DockyardError("Go is not installed; the cluster's programs are built from Go modules",
                            f"install Go {need[0]}.{need[1]} or newer (your distribution's golang package,"
                            " or the official release) and put `go` on PATH")
    if have < need:
        raise DockyardError(f"Go {have[0]}.{have[1]} is too old to build Kubernetes {versions.KUBERNETES_VERSION}",
                            f"install Go {need[0]}.{need[1]} or newer and put it first on PATH")
    return have


def version_ldflags(kube_version: str) -> str:
    major, minor = kube_version.lstrip("v").split(".")[:2]
    values = dict(gitVersion=kube_version, gitMajor=major, gitMinor=minor,
                  gitCommit="0" * 40, gitTreeState="clean", buildDate=BUILD_DATE)
    flags = [f"-X {pkg}.{key}={val}" for pkg in VERSION_PACKAGES for key, val in values.items()]
    return f"{STRIP} " + " ".join(flags)


# The go commands, one function each, used both to build and to describe the build in the
# node recipe (with placeholder paths), so the two cannot drift apart.

def kube_build_cmd(out_dir: str, kube_version: str = versions.KUBERNETES_VERSION) -> list[str]:
    pkgs = [f"k8s.io/kubernetes/cmd/{c}" for c in KUBE_COMMANDS]
    return ["go", "build", "-mod=mod", "-trimpath", "-ldflags", version_ldflags(kube_version),
            "-o", out_dir + "/"] + pkgs


def install_cmd(package_at_version: str) -> list[str]:
    return ["go", "install", "-trimpath", "-ldflags", STRIP, package_at_version]


def wrapper_build_cmd(out_file: str, package: str) -> list[str]:
    return ["go", "build", "-mod=mod", "-trimpath", "-ldflags", STRIP, "-o", out_file, package]


def _run(cmd: list[str], cwd: Path, log, what: str, extra_env: dict | None = None) -> None:
    """Run a go command in `cwd`. On failure: one line for people, Go's whole output in a file."""
    log(" ".join(cmd))
    proc = subprocess.run(cmd, cwd=cwd, env=go_env() | (extra_env or {}), capture_output=True, text=True)
    if proc.returncode != 0:
        output = cwd / "go-error.log"
        output.write_text(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        # Go's module check ends with a paragraph of advice; the line that names the module says more.
        last = next((line for line in lines if "checksum mismatch" in line), lines[-1] if lines else "no output")
        raise CommandFailed(f"{what} failed: {last}",
                            f"read Go's full output in {output}, fix what it names, "
                            "then run `dockyard cluster up` again",
                            command=cmd, returncode=proc.returncode, output=proc.stdout + proc.stderr)


def build_kubernetes(out_dir: Path, kube_version: str = versions.KUBERNETES_VERSION, log=print) -> Path:
    """Build the seven Kubernetes binaries in one `go build`, so shared packages compile once."""
    work = cache_dir() / "gobuild" / f"kubernetes-{kube_version}"
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "go.mod").exists():
        _run(["go", "mod", "download", f"k8s.io/kubernetes@{kube_version}"], work, log,
             what=f"downloading k8s.io/kubernetes@{kube_version}")
    mod_file = Path(go_env()["GOMODCACHE"]) / "cache/download/k8s.io/kubernetes/@v" / f"{kube_version}.mod"
    (work / "go.mod").write_text(wrapper_go_mod(kube_version, staging_modules(mod_file.read_text())))
    out_dir.mkdir(parents=True, exist_ok=True)
    with pinned_sums(work):
        _run(kube_build_cmd(str(out_dir), kube_version), work, log, what=f"building Kubernetes {kube_version}")
    return out_dir


def go_sum_lines(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip()} if path.exists() else set()


@contextlib.contextmanager
def pinned_sums(work: Path):
    """The wrapper's build runs with the kit's committed go.sum, and may not add to it."""
    pinned = GO_SUMS / f"{work.name}.sum"
    fix = ("if the pins in versions.py changed on purpose: build once, run "
           "`python -m dockyard.host.gobuild write-sums`, review and commit src/dockyard/host/gosum/")
    if not pinned.exists():
        raise DockyardError(f"the kit pins no module hashes for {work.name} ({pinned} is missing)", fix)
    (work / "go.sum").write_text(pinned.read_text())
    yield
    grown = sorted(go_sum_lines(work / "go.sum") - go_sum_lines(pinned))
    if grown:
        raise DockyardError(f"building {work.name} used {len(grown)} module hash(es) the kit's go.sum does not pin "
                            f"(first: {grown[0]})", fix)


def write_sums() -> list[Path]:
    """After a build: copy each wrapper's go.sum from the build folder into the kit (a developer's step)."""
    names = [f"kubernetes-{versions.KUBERNETES_VERSION}"] + [wrapper_plan(n)[0] for n, (how, _, _) in PROGRAMS.items()
                                                            if how != "install"]
    written = []
    for name in names:
        built = cache_dir() / "gobuild" / name / "go.sum"
        if built.exists():
            GO_SUMS.mkdir(exist_ok=True)
            (GO_SUMS / f"{name}.sum").write_text(built.read_text())
            written.append(GO_SUMS / f"{name}.sum")
    return written


def install_module(package_at_version: str, out_dir: Path, log=print) -> None:
    """`go install` a program that builds straight from its module (kind, crictl, ...)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env_dir = cache_dir() / "gobuild"
    env_dir.mkdir(parents=True, exist_ok=True)
    _run(install_cmd(package_at_version), env_dir, log,
         what=f"go install {package_at_version}", extra_env={"GOBIN": str(out_dir)})


# CoreDNS with the plugins kubeadm's Corefile uses plus a few a workshop shows. Its default
# build compiles every plugin, cloud SDKs and tracers included, which takes several times longer.
COREDNS_PLUGINS = ["bind", "cache", "debug", "errors", "forward", "health", "hosts", "kubernetes",
                   "loadbalance", "log", "loop", "metrics", "ready", "reload", "rewrite", "template", "whoami"]


def coredns_main_go(plugins: list[str] = COREDNS_PLUGINS) -> str:
    """main.go of the CoreDNS wrapper: coremain plus the chosen plugins (each registers itself)."""
    imports = ['\t_ "github.com/coredns/coredns/core/dnsserver"']
    imports += [f'\t_ "github.com/coredns/coredns/plugin/{name}"' for name in sorted(plugins)]
    return ("// CoreDNS for the kit's cluster, with a chosen set of plugins (see gobuild.py).\n"
            "package main\n\nimport (\n\t\"github.com/coredns/coredns/coremain\"\n\n"
            + "\n".join(imports) + "\n)\n\nfunc main() {\n\tcoremain.Run()\n}\n")


def build_in_wrapper(name: str, requires: dict[str, str], package: str, out_file: Path,
                     log=print, main_go: str = "") -> Path:
    """`go build` in a wrapper module: for modules whose go.mod has local replaces (etcd), or
    for our own main package over a module's libraries (CoreDNS with fewer plugins)."""
    work = cache_dir() / "gobuild" / name
    work.mkdir(parents=True, exist_ok=True)
    (work / "go.mod").write_text(simple_wrapper_go_mod(f"dockyard.local/{name}", requires))
    if main_go:
        (work / "main.go").write_text(main_go)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with pinned_sums(work):
        _run(wrapper_build_cmd(str(out_file), package), work, log, what=f"building {name}")
    return out_file


# Every Go program of the node image apart from Kubernetes itself: name -> how to build it.
# Each lands in cache_dir()/bin/<name>-<version>/ and is rebuilt only when missing.
PROGRAMS = {
    "kind": ("install", f"sigs.k8s.io/kind@{versions.KIND_VERSION}", versions.KIND_VERSION),
    "crictl": ("install", f"sigs.k8s.io/cri-tools/cmd/crictl@{versions.CRICTL_VERSION}", versions.CRICTL_VERSION),
    "coredns": ("main", "github.com/coredns/coredns", versions.COREDNS_VERSION),
    "local-path-provisioner": ("install", "github.com/rancher/local-path-provisioner@"
                               + versions.LOCAL_PATH_PROVISIONER_VERSION, versions.LOCAL_PATH_PROVISIONER_VERSION),
    "etcd": ("wrapper", "go.etcd.io/etcd/server/v3", versions.ETCD_VERSION),
}


def wrapper_plan(name: str) -> tuple[str, dict[str, str], str, str]:
    """For a program built in a wrapper module: its folder name, requires, package and main.go."""
    how, target, version = PROGRAMS[name]
    if how == "main":
        return f"{name}-{version}", {target: version}, ".", coredns_main_go()
    return f"{name}-{version}", {target: version}, target, ""


def program_path(name: str) -> Path:
    how, _, version = PROGRAMS[name]
    folder = f"{name}-{version}"
    if how == "main":  # our own main.go decides what is inside: a new plugin list, a new build
        import hashlib
        folder += "-" + hashlib.sha256(coredns_main_go().encode()).hexdigest()[:8]
    return cache_dir() / "bin" / folder / name


def recipe_inputs(programs: list[str] | None = None) -> dict[str, str]:
    """How the given programs ("kubernetes" for its seven; default all) are built, as text: commands,
    settings and the files we generate (go.mod, main.go). Paths are placeholders; no source is read."""
    programs = ["kubernetes", *PROGRAMS] if programs is None else programs
    kube = versions.KUBERNETES_VERSION
    out = {"env": " ".join(f"{k}={v}" for k, v in sorted(GO_SETTINGS.items()))}
    if "kubernetes" in programs:
        out["kubernetes build"] = " ".join(kube_build_cmd("OUT", kube))
        out["kubernetes go.mod"] = wrapper_go_mod(kube, [])   # the staging list comes from the pinned module
    for name in sorted(set(programs) - {"kubernetes"}):
        how, target, _ = PROGRAMS[name]
        if how == "install":
            out[f"{name} build"] = " ".join(install_cmd(target))
            continue
        work, requires, package, main_go = wrapper_plan(name)
        out[f"{name} build"] = " ".join(wrapper_build_cmd("OUT", package))
        out[f"{name} go.mod"] = simple_wrapper_go_mod(f"dockyard.local/{work}", requires)
        if main_go:
            out[f"{name} main.go"] = main_go
    return out


def kube_binaries_present() -> bool:
    """Every Kubernetes binary is there and whole (a truncated one means a rebuild)."""
    return all(intact(tools_dir() / c) for c in KUBE_COMMANDS)


def ensure_program(name: str, log=print) -> Path:
    path = program_path(name)
    if intact(path):
        return path
    if path.exists():
        log(f"the cached {path} is damaged (its sha256 changed): building it again")
    how, target, _ = PROGRAMS[name]
    tmp = path.parent.with_name(path.parent.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    if how == "install":
        install_module(target, tmp, log)
    else:
        work, requires, package, main_go = wrapper_plan(name)
        build_in_wrapper(work, requires, package, tmp / name, log, main_go=main_go)
    shutil.rmtree(path.parent, ignore_errors=True)
    seal(tmp / name)
    tmp.rename(path.parent)  # only a finished build gets the real name
    return path


def ensure_kubernetes(log=print) -> Path:
    if not kube_binaries_present():
        build_kubernetes(tools_dir(), log=log)
        for command in KUBE_COMMANDS:
            seal(tools_dir() / command)
    return tools_dir()


def tool(name: str) -> str | None:
    """Our built binary if present (Kubernetes' own, or a program like kind), else PATH, else None."""
    candidates = [tools_dir() / name] + ([program_path(name)] if name in PROGRAMS else [])
    ours = next((c for c in candidates if c.exists()), None)
    return str(ours) if ours else shutil.which(name)


if __name__ == "__main__":
    import sys, time
    t = time.time()
    target = tools_dir()
    if sys.argv[1:] == ["kind"]:
        install_module(f"sigs.k8s.io/kind@{versions.KIND_VERSION}", target)
    elif sys.argv[1:] == ["write-sums"]:
        for path in write_sums():
            print(f"wrote {path}")
    elif sys.argv[1:2] == ["program"]:
        for name in sys.argv[2:]:
            print(ensure_program(name))
    else:
        build_kubernetes(target)
    print(f"done in {time.time()-t:.0f}s")

