# Two commands on a fresh machine:
#   make demo   - create .venv, install, derive and print the LaTeX ODEs of a default model, write a plot
#   make test   - create .venv, install with test extras, run the fast test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEMO_OUT ?= out

.PHONY: demo test test-all lint format bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-plot: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[plot]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed-plot
	$(BIN)/fixedpoints derive soft-committee --set k=2 --set m=2 --format latex --plot $(DEMO_OUT)/soft-committee.png --time 120
	@echo "plot written to $(DEMO_OUT)/soft-committee.png"

# one pytest-xdist worker per core; a module's test functions, or a class's methods (a study's
# claims: tests/test_derivations.py), stay on one worker
XDIST ?= -n auto --dist loadscope

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -p no:cacheprovider $(XDIST)

test-all: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m "slow or not slow" $(XDIST)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check fixedpoints tests benchmarks derivations
	$(BIN)/ruff format --check fixedpoints tests benchmarks derivations

format: $(VENV)/.installed-test
	$(BIN)/ruff format fixedpoints tests benchmarks derivations
	$(BIN)/ruff check --fix fixedpoints tests benchmarks derivations

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[docs]'
	touch $@

docs: $(VENV)/.installed-docs
	$(BIN)/mkdocs build --strict --quiet
	@echo "documentation written to site/index.html"

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_derive.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache *.egg-info site
