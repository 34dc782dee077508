# Two commands a newcomer needs: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint gallery docs bench clean bytecode

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The stamp files re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# PyTorch is the oracle of tests/test_against_torch.py (skipped without it). Only the CPU build
# in the machine's local wheel folder is installed: an unpinned or registry torch pulls gigabytes
# of CUDA packages.
TORCH_WHEELS ?= /opt/wheels

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	if ls $(TORCH_WHEELS)/torch-2.13.0+cpu*.whl >/dev/null 2>&1; then \
	  $(BIN)/pip install -q --find-links $(TORCH_WHEELS) 'torch==2.13.0+cpu'; \
	else echo "no local CPU torch wheel: the comparisons with PyTorch will be skipped"; fi
	touch $@ $(VENV)/.installed

# Python keeps each module's compiled bytecode (__pycache__) after its first import, unless
# PYTHONDONTWRITEBYTECODE is set, as it is on the 2-core VM: there every command compiled nnctl's
# 15 000 lines anew, 0.3 s of each start (0.97 against 0.65 s for a sweep's imports, measured
# 2026-12-01). pip compiles a package it installs, but not an editable one: this does, and
# compiles again only what changed.
bytecode: | $(BIN)/python
	$(BIN)/python -m compileall -q nnctl

demo: $(VENV)/.installed bytecode
	$(BIN)/nnctl train configs/moons.yaml

# The suite's files run on every core at once (pytest-xdist; one file stays on one worker, so a
# module's fixtures are made once). The suite outgrew five minutes in one process on the 2-core VM
# with the notebooks and searches; in two it took 208 s (2026-12-01).
test: $(VENV)/.installed-dev bytecode
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check nnctl tests benchmarks

# docs/gallery: the five seed configs trained, each picture at nnctl plot's size (about 800 px)
# and its film (960 px, 20 log-spaced frames); about a minute on 2 cores. Commit what changes.
gallery: $(VENV)/.installed bytecode
	$(BIN)/python docs/make_gallery.py

# Every command output, number and picture the docs show, made anew by running the commands in a
# temporary folder: README.md, docs/*.md, the comments of configs/*.yaml, the gallery. Timings are
# written with where and when they were measured; tests/test_docs.py checks everything else.
docs: gallery
	$(BIN)/python docs/make_docs.py

# nnctl against PyTorch and scikit-learn on workloads W1-W5 (about 9 minutes on 2 cores; keep
# the machine otherwise idle), then the floors under the targets not met (about 2 minutes), then
# the CSV loader against np.loadtxt (about 1 minute), then prediction against scikit-learn and
# onnxruntime and `nnctl predict` on 100 000 rows (about 2 minutes)
bench: $(VENV)/.installed-dev bytecode
	$(BIN)/python benchmarks/peers.py
	$(BIN)/python benchmarks/floors.py
	$(BIN)/python benchmarks/csv_load.py
	$(BIN)/python benchmarks/predict.py

clean:
	rm -rf $(VENV) runs/*/ .pytest_cache
