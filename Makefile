# Two commands on a fresh machine: `make demo` runs the product locally, `make test` runs the tests.
# Each creates .venv and installs requirements.txt the first time (and again when it changes).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench chaos worker web

$(VENV)/.installed: requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

demo: $(VENV)/.installed
	$(BIN)/python -m middleware demo

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(VENV)/.installed
	$(BIN)/python -m bench all

chaos: $(VENV)/.installed
	$(BIN)/python -m bench chaos
