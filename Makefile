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

.PHONY: venv reset-timings lab present test prepare images cluster clean unit notebooks labs laptop variants timings doctor \
        site nb-text nb-ipynb classroom

venv: $(VENV)/.installed
# Exactly the locked versions, each checked against its sha256; then the kit itself, without deps.
# jupytext (for `make nb-text`) brings a JupyterLab extension the learner does not need: off.
$(VENV)/.installed: pyproject.toml requirements.lock
	@start=$$(date +%s); \
	python3 -m venv $(VENV) || { echo "✗ python3 cannot make a virtual environment — install it: apt-get install python3-venv"; exit 1; }; \
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock && \
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e . && \
	$(PY) -m ipykernel install --sys-prefix --name dockyard --display-name "Python (dockyard)" >/dev/null && \
	$(VENV)/bin/jupyter labextension disable --level=sys_prefix jupyterlab-jupytext >/dev/null 2>&1 && \
	touch $@ && \
	$(PY) -c "from dockyard.timings import record; record('prepare', 'venv', $$(date +%s) - $$start)"

prepare: venv
	$(DOCKYARD) prepare $(PREPARE_FLAGS)

lab: prepare
	$(DOCKYARD) jupyter --host $(LAB_HOST) --port $(LAB_PORT)

# The presenter's copies, each notebook also a slideshow (Alt+R), in ~/dockyard-workspace-presenter.
present: prepare
	$(DOCKYARD) jupyter --presenter --host $(LAB_HOST) --port $(LAB_PORT)

# The unit tests first (seconds), then the live ones in two lanes side by side: the machine's own
# engine and cluster (notebooks, labs, JupyterLab in chromium, then a classroom of three on the
# cluster, while the other lane's longest tests still run), and engines the tests start themselves
# (faults, a current Engine 29, a laptop that never saw the kit, a machine with only the bundle:
# tests/support/second_engine.py).
# The site is built from both lanes' executed copies and read in chromium (tests/site), every
# presenter's cell that took long is checked for its `slow` tag (tests/cells), then the
# cluster tests go (one restarts dockerd), tests/finally last. The timings table is
# printed either way; the second lane's log is printed when it ends and kept in build/second-lane.log.
LIVE_MAIN   := tests/integration tests/notebooks tests/labs tests/browser tests/classroom
LIVE_SECOND := tests/faults tests/engine29 tests/laptop tests/bundle
LIVE_SITE   := tests/site tests/cells
PYTEST_LIVE := $(PYTEST) -v --durations=20 --timeout=1500 -p no:cacheprovider

test: reset-timings prepare
	@$(DOCKYARD) browser && $(PYTEST) tests/unit -q || exit 1; \
	mkdir -p build; rm -f build/second-lane.rc; $(PY) -m dockyard.host.cpu start; \
	( $(PYTEST_LIVE) $(LIVE_SECOND) > build/second-lane.log 2>&1; echo $$? > build/second-lane.rc ) & \
	$(PYTEST_LIVE) $(LIVE_MAIN); main=$$?; \
	wait; second=$$(cat build/second-lane.rc 2>/dev/null || echo 1); $(PY) -m dockyard.host.cpu record "two lanes"; \
	echo "━━ second lane: $(LIVE_SECOND) ━━"; cat build/second-lane.log; \
	$(PYTEST_LIVE) $(LIVE_SITE); site=$$?; \
	$(PYTEST_LIVE) tests/cluster tests/finally; last=$$?; $(PY) -m dockyard.host.cpu record "live tests"; \
	$(DOCKYARD) timings; \
	echo "lanes: main $$main, second $$second, site $$site, cluster and finally $$last"; \
	[ $$main -eq 0 ] && [ $$second -eq 0 ] && [ $$site -eq 0 ] && [ $$last -eq 0 ]

reset-timings:
	@rm -f build/timings.json

unit: venv
	$(PYTEST) tests/unit -q

notebooks: venv
	$(PYTEST) tests/notebooks -v

labs: venv
	$(PYTEST) tests/labs -v

# A laptop that never saw the kit, simulated beside the main engine (tests/laptop/test_laptop.py).
laptop: prepare
	$(PYTEST) tests/laptop -v -s --timeout=1500 -p no:cacheprovider

# A classroom of three on the kit's cluster, end to end (tests/classroom/test_classroom.py).
classroom: prepare
	$(PYTEST) tests/classroom -v --timeout=1500 -p no:cacheprovider

# The presenter's and the learner's copies of every notebook and lab, under build/variants/.
variants: venv
	$(DOCKYARD) variant presenter && $(DOCKYARD) variant learner

# The executed notebooks and labs (build/executed, written by the tests) as a static site in build/site.
site: venv
	$(DOCKYARD) site

# Edit a notebook as text (jupytext's percent format): `make nb-text NB=notebooks/04-containers.ipynb`
# writes build/text/04-containers.py (TEXT=path to put it elsewhere); `make nb-ipynb NB=...` writes it back,
# without outputs, each cell keeping its id, tags and metadata. comment_magics=false: else jupytext
# reads a markdown line such as "## rm" back as "# rm".
NB       ?=
TEXT     ?= build/text/$(basename $(notdir $(NB))).py
JUPYTEXT := $(VENV)/bin/jupytext --quiet --opt comment_magics=false
NB_NAMED  = test -n "$(NB)" || { echo "✗ name the notebook: make $@ NB=notebooks/04-containers.ipynb"; exit 1; }

nb-text: venv
	@$(NB_NAMED); mkdir -p $(dir $(TEXT)) && $(JUPYTEXT) --to py:percent $(NB) -o $(TEXT) && \
	echo "✓ $(TEXT): edit it, then make nb-ipynb NB=$(NB)$(if $(filter command line,$(origin TEXT)), TEXT=$(TEXT))"

nb-ipynb: venv
	@$(NB_NAMED); $(JUPYTEXT) $(if $(wildcard $(NB)),--update,--set-kernel dockyard --update-metadata '{"language_info": {"name": "python"}}') --to ipynb $(TEXT) -o $(NB) && \
	$(VENV)/bin/nbstripout --keep-id --extra-keys metadata.jupytext $(NB) && echo "✓ $(NB) written from $(TEXT), without outputs"

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
