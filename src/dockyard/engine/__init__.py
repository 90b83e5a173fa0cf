"""Find and reach the Docker engine; provision one on a bare Debian machine."""
from dockyard.engine.probe import connect, engine_status, EngineStatus  # noqa: F401
