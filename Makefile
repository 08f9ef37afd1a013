# The targets CI, the README and a newcomer all run. Everything installs itself on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The classifier's compiled core (Rust, built by pip through setuptools-rust): edits rebuild it.
NATIVE := native/Cargo.toml native/Cargo.lock $(wildcard native/src/*.rs)
# rustup's cargo, for shells that never read ~/.cargo/env
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run test lint chart unit integration stack down bench-e2e deploy-check model clean

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
	$(MAKE) --no-print-directory chart
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

## chart: helm lint, and the chart rendered (defaults; every Secret file, autoscaler, CronJob and
## custom resource on) validated against Kubernetes 1.37's schemas and the CRDs' (part of lint, so of CI)
GOBIN ?= $(HOME)/go/bin
DUMMY_DB := postgresql://user:secret@db:5432/payeeflow
# every file and login the chart can take from a Secret, the autoscalers and every CronJob, so they are checked too
CHART_FILES := --set kafka.tls.secret=kafka-tls,kafka.tls.certKey=user.crt,kafka.tls.keyKey=user.key \
  --set kafka.sasl.secret=kafka-user,kafka.sasl.usernameKey=username,cardNetwork.signingKeySecret=card-network \
  --set autoscaling.api.enabled=true,autoscaling.workers.enabled=true,scheduledJobs.suppliers-sync.enabled=true
# the custom resources' schemas, from the CRDs in KEDA's and the Prometheus operator's Go modules
KEDA := github.com/kedacore/keda/v2@v2.18.0
PROMETHEUS_OPERATOR := github.com/prometheus-operator/prometheus-operator@v0.85.0
module_dir = $$(go mod download -json $(1) | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
chart: $(STAMP)
	test -x $(GOBIN)/helm || GOBIN=$(GOBIN) go install helm.sh/helm/v3/cmd/helm@v3.22.0
	$(GOBIN)/helm lint --quiet helm/payeeflow --set database.url=$(DUMMY_DB)
	mkdir -p .stack && $(GOBIN)/helm template payeeflow helm/payeeflow --set database.url=$(DUMMY_DB) > .stack/chart.yaml
	$(BIN)/kubernetes-validate -k 1.37.0 --strict --quiet .stack/chart.yaml
	$(GOBIN)/helm template payeeflow helm/payeeflow --set database.url=$(DUMMY_DB) $(CHART_FILES) \
	  --api-versions monitoring.coreos.com/v1/PrometheusRule > .stack/chart-files.yaml
	$(BIN)/kubernetes-validate -k 1.37.0 --strict --quiet --no-warn .stack/chart-files.yaml
	keda=$(call module_dir,$(KEDA)) && operator=$(call module_dir,$(PROMETHEUS_OPERATOR)) \
	  && $(BIN)/python helm/crds.py .stack/chart-files.yaml $$keda/config/crd/bases/keda.sh_scaledobjects.yaml \
	  $$operator/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml

## deploy-check: the chart, `docker compose config`, and the AsyncAPI document validated by the
## AsyncAPI CLI (4.x: 6.x needs Node 24)
deploy-check: chart
	test -x $(GOBIN)/docker-compose || (cd "$$(go mod download -json github.com/docker/compose/v2@v2.40.3 \
	  | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" \
	  && GOFLAGS=-mod=mod go build -o $(GOBIN)/docker-compose ./cmd)
	$(GOBIN)/docker-compose -f docker-compose.kafka.yml config -q
	test -x .stack/asyncapi/node_modules/.bin/asyncapi || (mkdir -p .stack/asyncapi && cd .stack/asyncapi \
	  && npm install --no-audit --no-fund --silent @asyncapi/cli@4.1.1)
	ASYNCAPI_ANALYTICS_DISABLED=true .stack/asyncapi/node_modules/.bin/asyncapi validate asyncapi.yaml

## model: rebuild the classifier's lexicon from ../shared/data (deterministic)
model: $(STAMP)
	$(BIN)/payeeflow model train --data ../shared/data

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache native/target payeeflow/_native*.so
