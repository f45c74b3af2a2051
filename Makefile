# Two commands on a fresh machine: `make demo` runs the product locally, `make test` runs the tests.
# Each creates .venv and installs requirements.txt the first time (and again when it changes), and
# builds the rules' C speedups (rules/_accel.c; the rules run on their Python code where that fails).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench chaos worker web accel

$(VENV)/.installed: requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# setup.py rebuilds only when rules/_accel.c changed; a failed build leaves the Python code deciding.
accel: $(VENV)/.installed
	$(BIN)/python setup.py -q build_ext --inplace

demo: $(VENV)/.installed accel
	$(BIN)/python -m middleware demo

test: $(VENV)/.installed accel
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(VENV)/.installed accel
	$(BIN)/python -m bench all

chaos: $(VENV)/.installed accel
	$(BIN)/python -m bench chaos
