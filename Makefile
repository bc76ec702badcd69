# Two commands on a fresh machine:  make reproduce  and  make test.
# Both create .venv if it is missing and install the project into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Use the shared raw-data copy beside the checkout when present; otherwise fetch downloads.
DATA_MIRROR ?= $(shell [ -d ../shared/data/raw ] && echo ../shared/data/raw)
export DATA_MIRROR
export MPLBACKEND := Agg
# Progress bars off in CI (CI=true), on for people.
QUIET ?= $(if $(filter true 1 yes,$(CI)),--quiet,)

.PHONY: install reproduce test lab notebooks build fetch clean-processed

# uv (from PyPI) installs the project in ~15 s where pip takes over two minutes; pip installs it when
# uv cannot be had. Both print what they install as they go.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet uv || echo "uv not available: installing with pip"
	if $(VENV)/bin/uv --version >/dev/null 2>&1; then \
	  $(VENV)/bin/uv pip install --python $(PY) -e ".[test]"; \
	else \
	  $(PY) -m pip install --progress-bar on -e ".[test]"; \
	fi
	$(PY) -m ipykernel install --sys-prefix --name ice-287g-claims --display-name "Python (ice-287g-claims)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

# The claims are judged on the archive panel (every sheet ICE posted, day by day), so the tests
# and the notebooks' stored outputs need it built as well as the curated tables.
fetch: $(STAMP)
	$(PY) -m analysis fetch --archive $(QUIET)

build: fetch
	$(PY) -m analysis build $(QUIET)
	$(PY) -m analysis build --archive $(QUIET)

reproduce: $(STAMP)
	$(PY) -m analysis reproduce $(QUIET)

# Test files spread over the cores (pytest-xdist), each file whole on one worker: a notebook's cells
# share one kernel and a module's fixtures are built once, longest files first (tests/conftest.py orders
# them; --no-loadscope-reorder keeps that order). Plain `pytest` runs them one by one.
test: build
	$(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# The notebooks are their own source, stored with outputs: after editing one (make lab),
# re-execute it in place so its stored outputs match its cells (NB=statistics for one).
notebooks: build
	$(PY) scripts/store_notebooks.py $(NB)

clean-processed:
	rm -rf data/processed/*.parquet data/processed/*.csv data/processed/*.json
