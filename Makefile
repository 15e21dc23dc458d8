# ECG Workstation: `make run` opens the workstation on the bundled sample ECG,
# `make test` runs the whole suite, `make app` builds the desktop app (dist/ecgws/ecgws)
# and runs its self-test. All create the environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench env clean app

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

# One-folder PyInstaller build (packaging/README.md), then the frozen app's self-test headless.
APP := dist/ecgws/ecgws
$(VENV)/.packaging: $(STAMP)
	$(BIN)/pip install --quiet -e ".[packaging]"
	touch $@

app: $(VENV)/.packaging
	$(BIN)/pyinstaller packaging/ecgws.spec --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller
	QT_QPA_PLATFORM=offscreen $(APP) --self-test
	du -sh dist/ecgws

bench: $(STAMP)
	$(BIN)/python benchmarks/open_files.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
