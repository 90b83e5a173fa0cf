"""requirements.lock pins the venv: every dependency of pyproject.toml, each with a sha256."""
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, list[str]]:
    """name -> hashes, from the lock's `name==version \\` entries and their `--hash=` lines."""
    entries, current = {}, None
    for line in (REPO / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+", line)
        if m:
            current = norm(m.group(1))
            entries[current] = []
        elif current and "--hash=sha256:" in line:
            entries[current].append(line.split("--hash=sha256:")[1].split()[0])
    return entries


def test_every_dependency_is_locked_with_hashes():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    lock = locked()
    for requirement in wanted:
        name = norm(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])
        assert name in lock, f"{name} is in pyproject.toml but not in requirements.lock: run dev/lock"
    for name, hashes in lock.items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), f"{name} has no sha256"
