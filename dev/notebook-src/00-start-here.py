# %% [markdown]
# # Start here
#
# Welcome to **dockyard**: a hands-on tour of Docker and Kubernetes, driven from Python.
# Every cell talks to a *real* Docker engine (through [docker-py](https://docker-py.readthedocs.io))
# or a *real* Kubernetes cluster (through the official `kubernetes` client).
# After each live step comes a **check** cell: it looks at the real state and says ✓ or ✗.
#
# This notebook does two things:
# 1. a **preflight**: is everything the workshop needs in place?
# 2. your **first container**: run it, read its output, remove it.
#
# Run the cells from top to bottom with **Shift-Enter**. Running a cell twice is always safe.

# %% tags=["parameters"]
# Papermill may override these (tests use a unique prefix and 127.0.0.1).
name_prefix = "dy"            # prefix for everything this notebook names
publish_host = "127.0.0.1"    # "0.0.0.0" when presenting to a room
workshop = "dockyard"         # value of the dockyard.workshop label
cleanup = True                # remove what we made at the end

# %% [markdown]
# ## 1. Preflight
#
# The same checks as `dockyard doctor` in a terminal: the engine, the tools, the cluster,
# disk and memory. A ✗ line says what to run to fix it.

# %%
import docker
from dockyard import doctor
from dockyard.display import table
from dockyard.notebook import labels, require_engine, setup

setup()  # errors from the kit print one line, not a traceback
checks = doctor.run_checks()
table([{"": c.mark, "check": c.name, "result": c.detail, "fix": "" if c.ok else c.fix} for c in checks])

# %% tags=["check"]
from dockyard.checks import expect

expect(doctor.healthy(checks), "every required check passes",
       found=[c.name for c in checks if c.required and not c.ok])

# %% [markdown]
# ## 2. Connect to the engine
#
# `docker.from_env()` is what the `docker` command does too: it reads `DOCKER_HOST`, or uses the
# local socket `/var/run/docker.sock`. `version()` asks the engine (the *server*) who it is.

# %%
require_engine()  # stops here with one clear line if the engine is down
client = docker.from_env()
server = client.version()
print(f"Docker Engine {server['Version']}, API {server['ApiVersion']}, {server['Os']}/{server['Arch']}")

# %% tags=["check"]
expect(client.ping(), "the engine answers a ping")

# %% [markdown]
# ## 3. Your first container
#
# `docker run busybox echo hello` in Python. We give the container a name (so we can find it again)
# and the workshop label (so `dockyard clean` can always find it).
# The image comes from the kit's catalog, which was built on this machine: no registry needed.

# %%
from dockyard.images import image

name = f"{name_prefix}-hello"
for old in client.containers.list(all=True, filters={"name": f"^{name}$"}):
    old.remove(force=True)  # a previous run's container: running twice is harmless

container = client.containers.run(
    image("busybox").ref, ["echo", "hello from a container"],
    name=name, labels=labels(workshop), detach=True)
result = container.wait(timeout=30)
container.reload()
print(f"{container.name}: status={container.status} exit code={result['StatusCode']}")

# %% tags=["check"]
expect(container.status == "exited", "the container ran and exited", found=container.status)
expect(result["StatusCode"] == 0, "exit code 0", found=result["StatusCode"])

# %% [markdown]
# ## 4. Read its output
#
# What the process printed is kept by the engine as the container's log (`docker logs`).

# %%
output = container.logs()
print(output.decode())

# %% tags=["check"]
expect(output == b"hello from a container\n", "the log holds exactly what echo printed", found=output)

# %% [markdown]
# ## 5. Remove it
#
# A stopped container still exists (and still holds its writable layer) until removed: `docker rm`.

# %%
if cleanup:
    container.remove()
remaining = client.containers.list(all=True, filters={"name": f"^{name}$"})
remaining

# %% tags=["check"]
expect(not cleanup or remaining == [], "no container with that name is left", found=remaining)

# %% [markdown]
# ## Where next
#
# | notebook | what you do |
# |---|---|
# | `01-what-docker-is` | containers against VMs, namespaces, layers, the claims measured |
# | `02-data` | ephemeral containers, volumes, bind mounts |
# | `03-architecture` | client and server, the daemon on a TLS socket |
# | `04-containers` … `09-dockerfile` | the Docker commands, one topic each |
# | Kubernetes notebooks | master, nodes, pods, services, labels |
#
# `dockyard clean` in a terminal removes everything the workshop made.
