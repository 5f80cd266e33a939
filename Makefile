# Set-up and everyday commands. `make demo` and `make test` work on a fresh machine:
# each creates .venv when it is missing and installs what it needs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= runs/demo

.PHONY: demo test test-slow test-all install install-dev bench-speed bench-accuracy peers bench-peers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/pinn solve poisson2d --out $(DEMO_OUT)

# The timed suite (CI): everything but the end-to-end solves marked slow.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

# The end-to-end solves at small budgets (minutes each on 2 cores).
test-slow: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -q -m slow

test-all: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -q

bench-speed: $(VENV)/.installed
	$(BIN)/python benchmarks/speed.py

bench-accuracy: $(VENV)/.installed
	$(BIN)/python benchmarks/accuracy.py

# The outside engines (DeepXDE + PyTorch, folx) in their own venv: never in CI or `make test`.
PEERS := .venv-peers
$(PEERS)/.installed: pyproject.toml
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS)/bin/python -m pip install --quiet -e ".[peers]"
	touch $@

peers: $(PEERS)/.installed

bench-peers: $(PEERS)/.installed
	$(PEERS)/bin/python benchmarks/peers/run.py
	$(PEERS)/bin/python benchmarks/folx_laplacian.py

clean:
	rm -rf $(VENV) $(PEERS) runs .pytest_cache
