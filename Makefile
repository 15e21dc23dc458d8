# ECG Workstation: `make run` opens the workstation on the bundled sample ECG,
# `make test` runs the whole suite, `make app` builds the desktop app (dist/ecgws/ecgws)
# and runs its self-test. All create the environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TRAIN_STAMP := $(VENV)/.train

# torch is only for training, fine-tuning and the ONNX export (the [train] extra, which
# `make test` installs; `make run` and `make app` do not). It is the CPU build, explicitly: the
# pinned "+cpu" version exists only on the PyTorch CPU index, never on PyPI, so pip cannot fall
# back to the multi-GB CUDA build. Point TORCH_INDEX at a mirror, or TORCH at another build
# (e.g. TORCH=torch==2.13.0 TORCH_INDEX=https://download.pytorch.org/whl/cu126 for a GPU).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
ifeq ($(shell uname -s),Darwin)
TORCH ?= torch==2.13.0
else
TORCH ?= torch==2.13.0+cpu
endif

.PHONY: run test lint bench env env-train clean app

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

# torch alone from TORCH_INDEX (its dependencies then come from the usual index)
$(TRAIN_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --no-deps --extra-index-url $(TORCH_INDEX) "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[test,eval,train]"
	touch $(TRAIN_STAMP)

env: $(STAMP)

env-train: $(TRAIN_STAMP)

run: $(STAMP)
	$(BIN)/ecgws open --sample

test: $(TRAIN_STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# One-folder PyInstaller build (packaging/README.md), then the frozen app's self-test headless.
# The app is built in an environment of its own (.venv-app: the run-time dependencies and
# PyInstaller, no test or training tools), with OpenCV rebuilt from its source release with
# only the modules the workstation uses (packaging/opencv.py: about 10 minutes the first time,
# cached in build/opencv). OPENCV_MINIMAL=0 keeps PyPI's wheel (147 MiB more, no compiler).
APP := dist/ecgws/ecgws
APP_VENV ?= .venv-app
APP_BIN := $(APP_VENV)/bin
OPENCV_MINIMAL ?= 1
$(APP_VENV)/.installed: pyproject.toml packaging/opencv.py
	$(PYTHON) -m venv $(APP_VENV)
	$(APP_BIN)/pip install --quiet --upgrade pip
	$(APP_BIN)/pip install --quiet -e ".[packaging]"
ifeq ($(OPENCV_MINIMAL),1)
	$(APP_BIN)/python packaging/opencv.py --out build/opencv --install \
		|| echo "OpenCV's minimal build failed (see above): the app keeps PyPI's OpenCV"
endif
	touch $@

app: $(APP_VENV)/.installed
	$(APP_BIN)/pyinstaller packaging/ecgws.spec --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller
	QT_QPA_PLATFORM=offscreen $(APP) --self-test
	du -sh dist/ecgws

bench: $(TRAIN_STAMP)
	$(BIN)/python benchmarks/open_files.py

clean:
	rm -rf $(VENV) $(APP_VENV) build dist .pytest_cache .hypothesis
