"""A current Docker Engine, built here from Go modules, to run beside the machine's own engine.

Laptops run Engine 27-29: the containerd image store (an image's ID is its manifest digest),
BuildKit as the builder, API 1.4x-1.5x. The machine the kit is built on has Debian's 20.10. To try
the notebooks against what learners really have, the kit builds the current engine's programs
from their Go modules (pins in versions.py) into one folder,

    cache_dir()/bin/engine-<moby module version>-<recipe hash>/
        dockerd, docker-proxy   github.com/moby/moby/v2/cmd/...   (Engine 29's daemon)
        runc                    github.com/opencontainers/runc    (Debian's 1.1 cannot start its
                                                                  containers: "namespace time")
        buildx                  github.com/docker/buildx/cmd/buildx (the CLI plugin `docker build`
                                                                  needs for BuildKit)

and tests/engine29 starts them as a second engine (tests/support/second_engine.py). The recipe
hash covers every command and setting below, so a new pin or flag means a new folder; a folder
gets its name only when every build in it has finished, and each binary carries a sha256
(cache_check), so a damaged one is built again.

Debian's containerd 1.6 runs under this dockerd (dockerd starts it as its managed containerd), so
containerd is not built: CONTAINERD_BUILD below says how, should a later engine refuse 1.6.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from dockyard import versions
from dockyard.cache_check import intact, seal
from dockyard.errors import CommandFailed, DockyardError
from dockyard.host.gobuild import go_env
from dockyard.paths import cache_dir

MOBY_MODULE = "github.com/moby/moby/v2"
VERSION_PACKAGE = f"{MOBY_MODULE}/dockerversion"   # where moby's own build stamps the version


@dataclass(frozen=True)
class Build:
    """One `go install` of one or more commands of one module, into the engine's folder."""
    name: str
    module: str
    version: str
    commands: tuple[str, ...]          # package paths inside the module ("" = the module root)
    binaries: tuple[str, ...]          # what lands in the folder
    tags: tuple[str, ...] = ()
    stamps: tuple[tuple[str, str], ...] = ()   # -X variable=value
    cgo: bool = False

    def packages(self) -> list[str]:
        return [f"{self.module}{'/' + c if c else ''}@{self.version}" for c in self.commands]

    def command(self) -> list[str]:
        ldflags = " ".join(["-s -w", *(f"-X {var}={value}" for var, value in self.stamps)])
        cmd = ["go", "install", "-trimpath"]
        if self.tags:
            cmd += ["-tags", " ".join(self.tags)]
        return cmd + ["-ldflags", ldflags, *self.packages()]

    def settings(self) -> dict[str, str]:
        return {"CGO_ENABLED": "1" if self.cgo else "0"}


# dockerd with the tags of moby's static build (hack/make.sh): pure Go resolvers and user lookup,
# no WebAssembly NRI plugins. Its version comes from the ldflags, as in moby's hack/make/.go-autogen;
# without them it says "library-import". The proxy serves no commit, so GitCommit is the module version.
MOBY_BUILD = Build(
    name="dockerd", module=MOBY_MODULE, version=versions.CURRENT_ENGINE_MODULE_VERSION,
    commands=("cmd/dockerd", "cmd/docker-proxy"), binaries=("dockerd", "docker-proxy"),
    tags=("netgo", "osusergo", "static_build", "nri_no_wasm"),
    stamps=((f"{VERSION_PACKAGE}.Version", versions.CURRENT_ENGINE_VERSION),
            (f"{VERSION_PACKAGE}.GitCommit", versions.CURRENT_ENGINE_MODULE_VERSION)))

# runc needs cgo (its nsenter is C) and, with the `seccomp` tag, Debian's libseccomp-dev. Its own
# go.mod from v1.3.4 on has no replace directive, so `go install` builds it exactly as runc pins it
# (a wrapper module would ignore a replace silently, and v1.3.3's replaced selinux with a patched copy).
# The version comes from its embedded VERSION file; the commit ldflag names the module version.
RUNC_BUILD = Build(
    name="runc", module="github.com/opencontainers/runc", version=versions.CURRENT_ENGINE_RUNC_VERSION,
    commands=("",), binaries=("runc",), tags=("seccomp", "urfave_cli_no_docs"),
    stamps=(("main.gitCommit", versions.CURRENT_ENGINE_RUNC_VERSION),), cgo=True)

# `docker build` on Engine 23+ is BuildKit, driven by the buildx CLI plugin; the machine's Docker CLI
# has none, and docker-py's build call is the classic builder. The plugin is built to prove BuildKit
# works on this engine, and found through a DOCKER_CONFIG of the test's own (cli-plugins/docker-buildx).
BUILDX_BUILD = Build(
    name="buildx", module="github.com/docker/buildx", version=versions.CURRENT_ENGINE_BUILDX_VERSION,
    commands=("cmd/buildx",), binaries=("buildx",),
    stamps=(("github.com/docker/buildx/version.Version", versions.CURRENT_ENGINE_BUILDX_VERSION),
            ("github.com/docker/buildx/version.Revision", versions.CURRENT_ENGINE_BUILDX_VERSION)))

# Not built: Debian's containerd 1.6 works with this dockerd. The build, should it stop working.
CONTAINERD_BUILD = Build(
    name="containerd", module="github.com/containerd/containerd/v2",
    version=versions.CURRENT_ENGINE_CONTAINERD_VERSION,
    commands=("cmd/containerd", "cmd/containerd-shim-runc-v2"),
    binaries=("containerd", "containerd-shim-runc-v2"), tags=("no_btrfs",),
    stamps=(("github.com/containerd/containerd/v2/version.Version", versions.CURRENT_ENGINE_CONTAINERD_VERSION),))

BUILDS = (MOBY_BUILD, RUNC_BUILD, BUILDX_BUILD)
SYSTEM_PACKAGES = {"runc": ["libseccomp-dev", "gcc", "pkg-config"]}   # Debian's, for cgo builds


def recipe(builds=BUILDS) -> str:
    """Every command and setting that decides the binaries, as text (hashed into the folder name)."""
    settings = {k: v for k, v in go_env().items() if k in ("GOFLAGS", "GOTOOLCHAIN")}
    lines = [" ".join(f"{k}={v}" for k, v in sorted(settings.items()))]
    for build in builds:
        env = " ".join(f"{k}={v}" for k, v in sorted(build.settings().items()))
        lines.append(f"{env} {' '.join(build.command())}")
    return "\n".join(lines) + "\n"


def engine_dir(builds=BUILDS) -> Path:
    digest = hashlib.sha256(recipe(builds).encode()).hexdigest()[:8]
    return cache_dir() / "bin" / f"engine-{versions.CURRENT_ENGINE_MODULE_VERSION}-{digest}"


def binaries(builds=BUILDS) -> list[str]:
    return [name for build in builds for name in build.binaries]


def present(folder: Path | None = None, builds=BUILDS) -> bool:
    """Every binary is in the folder and matches its recorded sha256."""
    folder = folder or engine_dir(builds)
    return all(intact(folder / name) for name in binaries(builds))


def missing_system_packages(builds=BUILDS) -> list[str]:
    """Debian packages a cgo build needs that are not installed (dpkg's word)."""
    wanted = sorted({p for b in builds if b.cgo for p in SYSTEM_PACKAGES.get(b.name, [])})
    if not wanted or not shutil.which("dpkg-query"):
        return []
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *wanted],
                         capture_output=True, text=True).stdout
    installed = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
    return [p for p in wanted if p not in installed]


def _go(build: Build, out_dir: Path, log) -> float:
    """One go install into out_dir; its wall time. On failure one line, Go's output in a file."""
    work = cache_dir() / "gobuild" / f"engine-{build.name}"
    work.mkdir(parents=True, exist_ok=True)
    cmd = build.command()
    log(" ".join(cmd))
    env = go_env() | build.settings() | {"GOBIN": str(out_dir)}
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        output = work / "go-error.log"
        output.write_text(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        last = next((line.strip() for line in reversed(proc.stderr.splitlines()) if line.strip()), "no output")
        raise CommandFailed(f"building {build.name} {build.version} failed: {last}",
                            f"read Go's full output in {output}, fix what it names, then build again",
                            command=cmd, returncode=proc.returncode, output=proc.stdout + proc.stderr)
    return seconds


def ensure_engine(log=print, builds=BUILDS) -> Path:
    """The folder with the current engine's binaries: found whole in the cache, or built now."""
    folder = engine_dir(builds)
    if present(folder, builds):
        return folder
    if folder.exists():
        log(f"{folder} is incomplete or damaged (a sha256 changed): building it again")
    missing = missing_system_packages(builds)
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):   # as for the engine: root on Debian installs
        from dockyard.engine.provision import apt_install
        apt_install(missing, log=log)
        missing = missing_system_packages(builds)
    if missing:
        raise DockyardError(f"building runc needs Debian's {', '.join(missing)}",
                            f"apt-get install {' '.join(missing)}")
    from dockyard.timings import record
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for build in builds:
        seconds = _go(build, partial, log)
        record("engine29", f"go {build.name} {build.version}", seconds)
        log(f"built {', '.join(build.binaries)} in {seconds:.0f}s")
        for name in build.binaries:
            seal(partial / name)
    (partial / "recipe.txt").write_text(recipe(builds))
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)   # only a finished build gets the real name
    return folder


def reported_versions(folder: Path) -> dict[str, str]:
    """What each built program says its version is (the first line of `--version`)."""
    said = {}
    for name in ("dockerd", "runc"):
        proc = subprocess.run([str(folder / name), "--version"], capture_output=True, text=True, timeout=30)
        said[name] = (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.returncode == 0 else ""
    return said


if __name__ == "__main__":
    import sys
    where = ensure_engine()
    print(where)
    for name, line in reported_versions(where).items():
        print(f"{name}: {line}")
    sys.exit(0)
