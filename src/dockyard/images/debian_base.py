"""The kit's Debian base image, made without a registry: mmdebstrap, then `docker import`."""
from __future__ import annotations

import glob
import re
import subprocess
import tempfile
from pathlib import Path

from dockyard.errors import CommandFailed, DockyardError


def parse_deb822(text: str) -> list[dict]:
    """Stanzas of a deb822 .sources file, keys lower-cased."""
    stanzas, current, key = [], {}, None
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                stanzas.append(current)
            current, key = {}, None
        elif line[0] in " \t" and key:
            current[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            current[key] = value.strip()
    if current:
        stanzas.append(current)
    return stanzas


def apt_source_lines(suite: str, sources_texts: list[str], list_texts: list[str]) -> list[str]:
    """One-line `deb` entries for `suite` (and its -updates/-security) from the machine's apt config."""
    lines = []
    for text in sources_texts:
        for stanza in parse_deb822(text):
            if "deb" not in stanza.get("types", "").split():
                continue
            for uri in stanza.get("uris", "").split():
                for s in stanza.get("suites", "").split():
                    if s.startswith(suite):
                        lines.append(f"deb {uri} {s} {stanza.get('components', 'main')}")
    for text in list_texts:
        for line in text.splitlines():
            line = re.sub(r"\[[^]]*\]\s*", "", line.split("#")[0])  # drop [options] and comments
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and parts[2].startswith(suite):
                lines.append(" ".join(parts))
    return list(dict.fromkeys(lines))


def machine_apt_sources(suite: str) -> list[str]:
    sources = [Path(p).read_text() for p in glob.glob("/etc/apt/sources.list.d/*.sources")]
    lists = [Path(p).read_text() for p in ["/etc/apt/sources.list", *glob.glob("/etc/apt/sources.list.d/*.list")]
             if Path(p).exists()]
    lines = apt_source_lines(suite, sources, lists)
    if not lines:
        raise DockyardError(f"no apt source for Debian {suite} in /etc/apt",
                            "add a Debian mirror to /etc/apt/sources.list.d, or use a machine with a registry")
    return lines


def build_rootfs(suite: str, packages: tuple, out: Path, log=print) -> None:
    from dockyard.engine.provision import apt_install
    import shutil
    if not shutil.which("mmdebstrap"):
        apt_install(["mmdebstrap"], log)
    cmd = ["mmdebstrap", "--variant=minbase", "--quiet",
           "--aptopt=Acquire::Languages \"none\"", "--dpkgopt=path-exclude=/usr/share/doc/*",
           "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/locale/*"]
    if packages:
        cmd.append("--include=" + ",".join(packages))
    cmd += [suite, str(out), "\n".join(machine_apt_sources(suite))]
    log("mmdebstrap " + suite)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CommandFailed.of("mmdebstrap", proc, "check the apt sources and free disk space")


def import_base(client, ref: str, suite: str, packages: tuple, labels: dict, log=print) -> None:
    """Build the root filesystem in a temporary folder and import it as `ref`."""
    repository, tag = ref.rsplit(":", 1)
    with tempfile.TemporaryDirectory(prefix="dockyard-rootfs-") as tmp:
        tar = Path(tmp) / "rootfs.tar"
        build_rootfs(suite, packages, tar, log)
        log(f"docker import {tar.stat().st_size // 2**20} MB as {ref}")
        changes = [f'LABEL {k}="{v}"' for k, v in labels.items()] + ['CMD ["bash"]']
        with open(tar, "rb") as data:
            client.api.import_image_from_data(data, repository=repository, tag=tag, changes=changes)
