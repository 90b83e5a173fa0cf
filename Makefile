# Thin targets: each calls the dockyard CLI inside the project's virtual environment.
VENV      := .venv
PY        := $(VENV)/bin/python
DOCKYARD  := $(VENV)/bin/dockyard
PYTEST    := $(PY) -m pytest
# JupyterLab stays on loopback; another address needs DOCKYARD_LAB_PASSWORD (see the README).
LAB_HOST  ?= 127.0.0.1
LAB_PORT  ?= 8888
# `make lab PREPARE_FLAGS=--no-cluster` skips the Kubernetes cluster (Docker topics only).
PREPARE_FLAGS ?=

.PHONY: venv reset-timings lab test prepare images cluster clean unit notebooks labs variants timings doctor

venv: $(VENV)/.installed
# Exactly the locked versions, each checked against its sha256; then the kit itself, without deps.
$(VENV)/.installed: pyproject.toml requirements.lock
	@start=$$(date +%s); \
	python3 -m venv $(VENV) || { echo "✗ python3 cannot make a virtual environment — install it: apt-get install python3-venv"; exit 1; }; \
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock && \
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e . && \
	$(PY) -m ipykernel install --sys-prefix --name dockyard --display-name "Python (dockyard)" >/dev/null && \
	touch $@ && \
	$(PY) -c "from dockyard.timings import record; record('prepare', 'venv', $$(date +%s) - $$start)"

prepare: venv
	$(DOCKYARD) prepare $(PREPARE_FLAGS)

lab: prepare
	$(DOCKYARD) jupyter --host $(LAB_HOST) --port $(LAB_PORT)

# The unit tests first (seconds), then the live ones; the timings table is printed either way.
# The cluster tests go last but one: one of them restarts dockerd.
test: reset-timings prepare
	@$(DOCKYARD) browser && $(PYTEST) tests/unit -q && \
	$(PYTEST) tests/integration tests/notebooks tests/labs tests/browser tests/cluster tests/finally \
		-v --durations=20 --timeout=1500 -p no:cacheprovider; \
	status=$$?; $(DOCKYARD) timings; exit $$status

reset-timings:
	@rm -f build/timings.json

unit: venv
	$(PYTEST) tests/unit -q

notebooks: venv
	$(PYTEST) tests/notebooks -v

labs: venv
	$(PYTEST) tests/labs -v

# The presenter's and the learner's copies of every notebook and lab, under build/variants/.
variants: venv
	$(DOCKYARD) variant presenter && $(DOCKYARD) variant learner

images: venv
	$(DOCKYARD) images

cluster: venv
	$(DOCKYARD) cluster up

doctor: venv
	$(DOCKYARD) doctor

timings: venv
	@$(DOCKYARD) timings

clean: venv
	$(DOCKYARD) clean
