# Quick start: `make demo` trains and tests CPSP, `make test` runs the tests.
# Each target creates the virtual environment .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

DEMO_DATA ?= data/ave
DEMO_WORK_DIR ?= work_dirs/demo_cpsp_fully_ave
DEMO_EPOCHS ?= 6
DEMO_AVVP_DATA ?= data/llp
DEMO_AVVP_WORK_DIR ?= work_dirs/demo_cpsp_avvp_llp
DEMO_AVVP_EPOCHS ?= 6

.PHONY: venv demo demo-avvp test test-slow test-all lint

$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt requirements/demo.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/runtime.txt -r requirements/tests.txt -r requirements/demo.txt
	$(PY) -m pip install -q --no-build-isolation --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	PYTHON=$(PY) bash tools/demo.sh $(DEMO_DATA) $(DEMO_WORK_DIR) $(DEMO_EPOCHS)

demo-avvp: $(STAMP)
	PYTHON=$(PY) bash tools/demo_avvp.sh $(DEMO_AVVP_DATA) $(DEMO_AVVP_WORK_DIR) $(DEMO_AVVP_EPOCHS)

test: $(STAMP)
	$(PY) -m pytest -m "not slow" tests

test-slow: $(STAMP)
	$(PY) -m pytest -m slow tests

test-all: $(STAMP)
	$(PY) -m pytest tests

lint: $(STAMP)
	$(PY) -m ruff check .
