# ECG Workstation: `make run` opens the workstation on the bundled sample ECG,
# `make test` runs the whole suite. Both create the environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench env clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the CPU build of torch first, so no dependency pulls a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test,eval]"
	touch $(STAMP)

env: $(STAMP)

run: $(STAMP)
	$(BIN)/ecgws open --sample

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/open_files.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
