# The targets CI, the README and a newcomer all run. Everything installs itself on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint unit integration stack down bench bench-e2e model clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

## run: the main job on local defaults (Kafka + PostgreSQL + workers + sink + API, samples pushed through)
run: $(STAMP)
	$(BIN)/payeeflow run

## test: lint, then unit and integration tests on the real broker and database (started if needed)
test: lint stack
	PAYEEFLOW_REQUIRE_STACK=1 $(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy .

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: stack
	PAYEEFLOW_REQUIRE_STACK=1 $(BIN)/pytest -q tests/integration

stack: $(STAMP)
	$(BIN)/payeeflow stack up

down: $(STAMP)
	$(BIN)/payeeflow stack down

## bench-e2e: N payees (default 100000) through the running stack; prints throughput, latency, RSS
bench-e2e: stack
	$(BIN)/python benchmarks/e2e.py $(ARGS)

## model: rebuild the classifier's lexicon from ../shared/data (deterministic)
model: $(STAMP)
	$(BIN)/payeeflow model train --data ../shared/data

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
