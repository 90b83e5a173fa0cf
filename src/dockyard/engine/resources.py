"""What the engine says about itself (`docker info`, `docker system df`), read into plain facts.

Docker Desktop, WSL2 and remote engines run on another kernel than this process: their memory
and disk are only visible through the engine. Pure functions, unit-tested on recorded shapes.
"""
from __future__ import annotations

from dataclasses import dataclass

BUILDKIT_DEFAULT_SINCE = 23   # Engine 23.0 made BuildKit the default builder on Linux
CONTAINERD_SNAPSHOTTER = "io.containerd.snapshotter.v1"


@dataclass(frozen=True)
class EngineFacts:
    version: str
    api: str                     # "" when only `info` was read (it carries no API version)
    os: str                      # OperatingSystem, e.g. "Docker Desktop", "Debian GNU/Linux 12 (bookworm)"
    os_type: str                 # "linux" or "windows"
    name: str
    kernel: str
    ncpu: int
    mem_total: int               # bytes the engine's kernel has (the VM's, for Docker Desktop)
    root_dir: str                # DockerRootDir, on the engine's file system
    driver: str
    is_desktop: bool
    is_rootless: bool
    is_wsl2: bool
    containerd_store: bool       # image IDs are then manifest digests, not config digests
    builder: str                 # what `docker build` uses by default: "BuildKit" or "classic"

    @property
    def mem_total_gb(self) -> float:
        return self.mem_total / 2**30


def major_version(version: str) -> int | None:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _driver_status(info: dict) -> dict:
    return {pair[0]: pair[1] for pair in info.get("DriverStatus") or [] if len(pair) == 2}


def engine_facts(info: dict, version: dict | None = None) -> EngineFacts:
    """Facts from `client.info()`; pass `client.version()` too for the API version."""
    server = info.get("ServerVersion", "")
    kernel = info.get("KernelVersion", "")
    security = info.get("SecurityOptions") or []
    major = major_version(server)
    return EngineFacts(
        version=server,
        api=(version or {}).get("ApiVersion", ""),
        os=info.get("OperatingSystem", ""),
        os_type=info.get("OSType", ""),
        name=info.get("Name", ""),
        kernel=kernel,
        ncpu=int(info.get("NCPU") or 0),
        mem_total=int(info.get("MemTotal") or 0),
        root_dir=info.get("DockerRootDir", ""),
        driver=info.get("Driver", ""),
        is_desktop=info.get("OperatingSystem") == "Docker Desktop",
        is_rootless=any(opt.split(",")[0] == "name=rootless" for opt in security),
        is_wsl2="microsoft-standard-wsl2" in kernel.lower(),
        containerd_store=_driver_status(info).get("driver-type") == CONTAINERD_SNAPSHOTTER,
        builder="BuildKit" if major is not None and major >= BUILDKIT_DEFAULT_SINCE else "classic",
    )


def read_engine_facts(client) -> EngineFacts:
    """The facts of the engine behind a docker-py client (two API calls)."""
    return engine_facts(client.info(), client.version())


def describe(facts: EngineFacts) -> str:
    """The facts a learner should know about the engine at hand, in a few words."""
    notes = [facts.os] if facts.os else []
    notes += [n for n, on in (("WSL2", facts.is_wsl2 and not facts.is_desktop), ("rootless", facts.is_rootless),
                              ("containerd image store", facts.containerd_store)) if on]
    return ", ".join(notes)


@dataclass(frozen=True)
class DiskUsage:
    images: int
    containers: int
    volumes: int
    build_cache: int

    @property
    def total(self) -> int:
        return self.images + self.containers + self.volumes + self.build_cache


def disk_usage(df: dict) -> DiskUsage:
    """Bytes in use from `client.df()`, counted as `docker system df` does."""
    volumes = [((v.get("UsageData") or {}).get("Size", -1)) for v in df.get("Volumes") or []]
    return DiskUsage(
        images=int(df.get("LayersSize") or 0),   # shared layers once, unlike summing image sizes
        containers=sum(int(c.get("SizeRw") or 0) for c in df.get("Containers") or []),
        volumes=sum(size for size in volumes if size > 0),   # -1: the engine did not measure it
        build_cache=sum(int(b.get("Size") or 0) for b in df.get("BuildCache") or [] if not b.get("Shared")),
    )


def host_readings_apply(platform: str, socket_path: str | None, facts: EngineFacts | None) -> bool:
    """Whether /proc and statvfs on this machine describe the engine: a Linux host whose engine
    listens on a local socket and is not Docker Desktop's VM."""
    return platform == "linux" and socket_path is not None and not (facts and facts.is_desktop)
