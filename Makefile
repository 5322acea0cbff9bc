# Agora — the commands of DESIGN.md. `make run` and `make test` need nothing but Rust.

SHELL := /bin/bash
CARGO ?= cargo
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
MYSQL_URL ?= mysql://root@127.0.0.1:3306/test
AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/%2f
# Tests (modules named `rabbitmq`) that need a real broker; only test-integration runs them.
INTEGRATION_ONLY := test(/^rabbitmq::/)

NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)
ifeq ($(NEXTEST),yes)
  TEST_CMD = $(CARGO) nextest run --workspace --no-fail-fast
else
  TEST_CMD = $(CARGO) test --workspace --no-fail-fast
endif

.PHONY: run run-release worker admin migrate test test-unit test-integration lint fmt arch bench docker-check clean-test-databases

## Serve on the embedded default: SQLite and files under data/, in-process job queue.
run:
	$(CARGO) run -p app

run-release:
	$(CARGO) run --release -p app

## Consume AI jobs from RabbitMQ (set APP__AMQP__URL).
worker:
	$(CARGO) run -p ai-worker

## Administer from the terminal: make admin ARGS="create-admin --name root --email root@example.com"
admin:
	$(CARGO) run -p admin-cli -- $(ARGS)

## Apply pending migrations to APP__DATABASE__URL (default: the SQLite file under data/).
migrate:
	$(CARGO) run -p migration -- up

## Formatting, lints, the architecture rule, every crate's unit tests and the end-to-end
## suite on SQLite with the in-process queue. No database server or broker needed.
test: lint test-unit

test-unit:
ifeq ($(NEXTEST),yes)
	$(TEST_CMD) -E 'not ($(INTEGRATION_ONLY))'
else
	$(TEST_CMD)
endif

lint: fmt arch
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all -- --check

arch:
	python3 scripts/check-architecture.py

## The adapter and end-to-end suites against PostgreSQL, MariaDB and RabbitMQ. Fails, never
## skips, when one of them is unreachable.
test-integration:
	scripts/require-services.sh "$(PG_URL)" "$(MYSQL_URL)" "$(AMQP_URL)"
	@echo "== PostgreSQL =="
	AGORA_TEST_DATABASE_URL="$(PG_URL)" AGORA_TEST_AMQP_URL="$(AMQP_URL)" \
	  $(CARGO) nextest run --workspace --no-fail-fast -E 'package(persistence) | package(e2e) | package(admin-cli) | package(migration)'
	@echo "== MariaDB =="
	AGORA_TEST_DATABASE_URL="$(MYSQL_URL)" AGORA_TEST_AMQP_URL="$(AMQP_URL)" \
	  $(CARGO) nextest run --workspace --no-fail-fast -E 'package(persistence) | package(e2e) | package(admin-cli) | package(migration)'
	$(MAKE) clean-test-databases

## Load benchmark (not a test): a release build of the server on SQLite, driven by
## concurrent clients; prints requests/s and p50/p99 per route. BENCH_SECONDS,
## BENCH_CONCURRENCY and BENCH_POSTS tune it.
bench:
	$(CARGO) build --release --workspace --bins
	target/release/bench

## Drops the databases the suites created on the servers (agora_t_*).
clean-test-databases:
	scripts/drop-test-databases.sh "$(PG_URL)" "$(MYSQL_URL)"

## Syntax-checks the container stack without a Docker engine (Debian's docker-compose v1
## reads and validates the compose file) and the Grafana dashboard JSON.
docker-check:
	docker-compose -f docker/docker-compose.yml --env-file docker/.env.example config -q
	python3 -m json.tool docker/grafana/dashboards/agora.json > /dev/null
	@echo "docker stack: syntax OK"
