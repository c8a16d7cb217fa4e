# Two commands on a fresh machine (Python >= 3.11, package registries only):
#   make report   set up .venv, then run the default job (params/default.yaml)
#   make test     set up .venv, then lint and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
QUARTO_VERSION := 1.9.38
PARAMS ?= params/default.yaml

.PHONY: setup report test test-fast mutation lint lab quarto-optional benchmark clean readme-pages

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name reality --display-name "REALITY (.venv)" >/dev/null
	touch $@

# Quarto renders the manuscript. Its PyPI package downloads the Quarto binary at build time, which
# fails on machines that reach only the package registries: tried once per .venv, never fatal.
$(VENV)/.quarto-tried: $(STAMP)
	@timeout 300 $(BIN)/python -m pip install --quiet quarto-cli==$(QUARTO_VERSION) >$(VENV)/quarto-install.log 2>&1 \
	  && echo "quarto-cli $(QUARTO_VERSION) installed into $(VENV)" \
	  || echo "note: optional quarto-cli could not be installed here (log: $(VENV)/quarto-install.log); the run writes report/preview.html instead of the Quarto report"
	@touch $@

quarto-optional: $(VENV)/.quarto-tried

report: setup quarto-optional
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m helpers run $(PARAMS)

# JupyterLab from .venv on notebooks/ (kernel "REALITY (.venv)"); run `make report` first so that
# the notebooks' defaults find the default run's analysis datasets (output/default/adam)
lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: setup
	$(BIN)/python -m ruff check .

test: setup lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

# Page images of the default report shown in the README (needs pdftoppm from poppler-utils).
PAGES ?= 1 5 6
readme-pages: report
	mkdir -p docs/pages
	for p in $(PAGES); do pdftoppm -png -r 60 -f $$p -l $$p -singlefile \
	  output/default/report/index.pdf docs/pages/page-$$p; done

# The edit loop: every test but the slow ones (whole pipeline runs) and the Quarto render.
test-fast: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -m "not slow and not quarto"

# Each curated rule mutation (tests/mutation/mutations.py) against the fast rule tests; exits
# non-zero if any mutation survives or the list is stale. Not part of `make test` (~25 min).
mutation: setup
	$(BIN)/python tests/mutation/run.py $(MUTATIONS)

benchmark: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/run.py $(BENCHMARK_ARGS)

clean:
	rm -rf output/*/ .pytest_cache
