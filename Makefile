# The targets CI, the README and a newcomer all run. Everything installs itself on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The classifier's compiled core (Rust, built by pip through setuptools-rust): edits rebuild it.
NATIVE := native/Cargo.toml native/Cargo.lock $(wildcard native/src/*.rs)
# rustup's cargo, for shells that never read ~/.cargo/env
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run test lint unit integration stack down bench-e2e deploy-check model clean

$(STAMP): pyproject.toml constraints.txt $(NATIVE)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

## run: the main job on local defaults (Kafka + PostgreSQL + workers + sink + API, samples pushed through)
run: $(STAMP)
	$(BIN)/payeeflow run

## test: lint, the compiled core's own tests, then unit and integration tests on a Kafka broker
## and a PostgreSQL of their own (started by the tests on free ports, never the running stack's);
## a test that cannot start that stack, or finds no ../shared/data, fails here (`unit` skips it)
test: lint
	cargo test --manifest-path native/Cargo.toml --release --lib --quiet
	PAYEEFLOW_REQUIRE_STACK=1 PAYEEFLOW_REQUIRE_SHARED_DATA=1 $(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/payeeflow schemas check
	$(BIN)/payeeflow asyncapi --check -o asyncapi.yaml
	$(BIN)/payeeflow settings --check -o docs/settings.md
	$(BIN)/lint-imports --no-cache
	test -x $(GOBIN)/promtool || GOBIN=$(GOBIN) go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0
	$(GOBIN)/promtool check rules helm/payeeflow/files/alerts.yaml
	cd helm/payeeflow/files && $(GOBIN)/promtool test rules alerts.test.yaml
	cargo fmt --manifest-path native/Cargo.toml --check
	cargo clippy --manifest-path native/Cargo.toml --release --quiet -- -D warnings

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP)
	PAYEEFLOW_REQUIRE_STACK=1 $(BIN)/pytest -q tests/integration

stack: $(STAMP)
	$(BIN)/payeeflow stack up

down: $(STAMP)
	$(BIN)/payeeflow stack down

## bench-e2e: N payees (default 100000) through the running stack; prints throughput, latency, RSS
bench-e2e: stack
	$(BIN)/python benchmarks/e2e.py $(ARGS)

## deploy-check: helm lint + template validated against Kubernetes 1.37 schemas, `docker compose config`,
## and the AsyncAPI document validated by the AsyncAPI CLI (4.x: 6.x needs Node 24)
GOBIN ?= $(HOME)/go/bin
DUMMY_DB := postgresql://user:secret@db:5432/payeeflow
# every file and login the chart can take from a Secret, and the API's autoscaler, so they are checked too
CHART_FILES := --set kafka.tls.secret=kafka-tls,kafka.tls.certKey=user.crt,kafka.tls.keyKey=user.key \
  --set kafka.sasl.secret=kafka-user,kafka.sasl.usernameKey=username,cardNetwork.signingKeySecret=card-network \
  --set autoscaling.api.enabled=true
deploy-check: $(STAMP)
	test -x $(GOBIN)/helm || go install helm.sh/helm/v3/cmd/helm@v3.22.0
	test -x $(GOBIN)/docker-compose || (cd "$$(go mod download -json github.com/docker/compose/v2@v2.40.3 \
	  | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" \
	  && GOFLAGS=-mod=mod go build -o $(GOBIN)/docker-compose ./cmd)
	$(BIN)/pip install -q kubernetes-validate
	$(GOBIN)/helm lint helm/payeeflow --set database.url=$(DUMMY_DB)
	mkdir -p .stack && $(GOBIN)/helm template payeeflow helm/payeeflow --set database.url=$(DUMMY_DB) > .stack/chart.yaml
	$(BIN)/kubernetes-validate -k 1.37.0 --strict .stack/chart.yaml
	$(GOBIN)/helm template payeeflow helm/payeeflow --set database.url=$(DUMMY_DB) $(CHART_FILES) > .stack/chart-files.yaml
	$(BIN)/kubernetes-validate -k 1.37.0 --strict .stack/chart-files.yaml
	$(GOBIN)/docker-compose -f docker-compose.kafka.yml config -q
	test -x .stack/asyncapi/node_modules/.bin/asyncapi || (mkdir -p .stack/asyncapi && cd .stack/asyncapi \
	  && npm install --no-audit --no-fund --silent @asyncapi/cli@4.1.1)
	ASYNCAPI_ANALYTICS_DISABLED=true .stack/asyncapi/node_modules/.bin/asyncapi validate asyncapi.yaml

## model: rebuild the classifier's lexicon from ../shared/data (deterministic)
model: $(STAMP)
	$(BIN)/payeeflow model train --data ../shared/data

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache native/target payeeflow/_native*.so
