"""Which engine the `docker` CLI would talk to: DOCKER_HOST, then DOCKER_CONTEXT, then the
CLI config's currentContext, then the platform's default socket.

Pure: the environment, the config folder and the platform are parameters, so unit tests
need no engine. Only files under the config folder are read.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from dockyard.errors import DockyardError

DEFAULT_CONTEXT = "default"
PLATFORM_DEFAULT = "platform default"
UNIX_DEFAULT_HOST = "unix:///var/run/docker.sock"
WINDOWS_DEFAULT_HOST = "npipe:////./pipe/docker_engine"
TLS_FILES = ("ca.pem", "cert.pem", "key.pem")


@dataclass(frozen=True)
class Endpoint:
    context: str                 # "default" or the name of a docker context
    host: str                    # unix://, npipe://, tcp:// or ssh:// URL
    source: str                  # what decided it, in words
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    tls: bool = False            # speak TLS (even without files: SkipTLSVerify alone turns it on)
    skip_tls_verify: bool = False

    @property
    def from_context(self) -> bool:
        return self.context != DEFAULT_CONTEXT

    @property
    def socket_path(self) -> str | None:
        return self.host[len("unix://"):] if self.host.startswith("unix://") else None


def platform_default_host(platform: str) -> str:
    return WINDOWS_DEFAULT_HOST if platform == "win32" else UNIX_DEFAULT_HOST


def default_config_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("DOCKER_CONFIG") or Path.home() / ".docker")


def context_dir_name(name: str) -> str:
    """The CLI stores a context under the SHA-256 of its name (names may hold any character)."""
    return hashlib.sha256(name.encode()).hexdigest()


def read_config(config_dir: Path) -> dict:
    path = config_dir / "config.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text() or "{}")
    except json.JSONDecodeError as exc:
        raise DockyardError(f"the Docker CLI config {path} is not valid JSON ({exc.msg}, line {exc.lineno})",
                            "fix or remove that file (the docker CLI refuses it too)") from None


def chosen_context(env: Mapping[str, str], config_dir: Path) -> tuple[str, str]:
    """(context name, what chose it). DOCKER_HOST means the default context, as in the CLI."""
    if env.get("DOCKER_HOST"):
        return DEFAULT_CONTEXT, "DOCKER_HOST"
    if env.get("DOCKER_CONTEXT"):
        return env["DOCKER_CONTEXT"], f"DOCKER_CONTEXT={env['DOCKER_CONTEXT']}"
    current = read_config(config_dir).get("currentContext")
    if current:
        return current, f"config currentContext={current}"
    return DEFAULT_CONTEXT, PLATFORM_DEFAULT


def _existing(folder: Path, name: str) -> Path | None:
    path = folder / name
    return path if path.is_file() else None


def default_endpoint(env: Mapping[str, str], config_dir: Path, platform: str, source: str) -> Endpoint:
    """The default context: DOCKER_HOST or the platform socket; TLS from the DOCKER_TLS* variables."""
    host = env.get("DOCKER_HOST") or platform_default_host(platform)
    verify = bool(env.get("DOCKER_TLS_VERIFY"))
    if not (verify or env.get("DOCKER_TLS")):
        return Endpoint(DEFAULT_CONTEXT, host, source)
    # Like the CLI: files missing from the cert folder are simply not used.
    folder = Path(env.get("DOCKER_CERT_PATH") or config_dir)
    ca, cert, key = (_existing(folder, name) for name in TLS_FILES)
    return Endpoint(DEFAULT_CONTEXT, host, source, ca, cert, key, tls=True, skip_tls_verify=not verify)


def _missing_context(name: str, source: str, detail: str) -> DockyardError:
    switch = "unset DOCKER_CONTEXT" if source.startswith("DOCKER_CONTEXT") else "run `docker context use default`"
    return DockyardError(f"the Docker context `{name}` ({source}) {detail}",
                         f"see `docker context ls`; to use the local engine, {switch}")


def context_endpoint(name: str, config_dir: Path, source: str) -> Endpoint:
    """A named context, from the CLI's context store."""
    digest = context_dir_name(name)
    meta_path = config_dir / "contexts" / "meta" / digest / "meta.json"
    if not meta_path.exists():
        raise _missing_context(name, source, f"does not exist (no {meta_path})")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError:
        raise _missing_context(name, source, f"is damaged ({meta_path} is not valid JSON)") from None
    docker_ep = (meta.get("Endpoints") or {}).get("docker") or {}
    if not docker_ep.get("Host"):
        raise _missing_context(name, source, "has no Docker endpoint")
    tls_dir = config_dir / "contexts" / "tls" / digest / "docker"
    ca, cert, key = (_existing(tls_dir, n) for n in TLS_FILES)
    skip = bool(docker_ep.get("SkipTLSVerify"))
    return Endpoint(name, docker_ep["Host"], source, ca, cert, key,
                    tls=skip or any((ca, cert, key)), skip_tls_verify=skip)


def resolve(env: Mapping[str, str] | None = None, config_dir: Path | str | None = None,
            platform: str | None = None) -> Endpoint:
    """The endpoint the docker CLI would use, with the same inputs."""
    env = os.environ if env is None else env
    config_dir = default_config_dir(env) if config_dir is None else Path(config_dir)
    platform = sys.platform if platform is None else platform
    name, source = chosen_context(env, config_dir)
    if name == DEFAULT_CONTEXT:
        return default_endpoint(env, config_dir, platform, source)
    return context_endpoint(name, config_dir, source)


def tls_settings(endpoint: Endpoint) -> dict | None:
    """Keyword arguments for docker.tls.TLSConfig, or None for a plain connection."""
    if not endpoint.tls:
        return None
    pair = (str(endpoint.cert), str(endpoint.key)) if endpoint.cert and endpoint.key else None
    return {"client_cert": pair, "ca_cert": str(endpoint.ca) if endpoint.ca else None,
            "verify": not endpoint.skip_tls_verify}
