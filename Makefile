# The two commands a newcomer needs:  make run  and  make test.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint setup bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools>=77"
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

setup: $(STAMP)

## make run: set up, then serve on http://127.0.0.1:8470 with ./var/fakewatch.db
run: $(STAMP)
	$(BIN)/fakewatch serve

## make test: set up, lint, type-check and run the whole test suite
test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check server bot tests bench scripts
	$(BIN)/ruff format --check server bot tests bench scripts
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/links_quality.py
	$(BIN)/python bench/links_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
