# Agora — the commands of DESIGN.md. `make run` and `make test` need nothing but Rust.

SHELL := /bin/bash
CARGO ?= cargo
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
MYSQL_URL ?= mysql://root@127.0.0.1:3306/test
AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/%2f
# Names this run's test databases (agora_t_<run>_…) so that cleaning up spares other runs.
ifndef TEST_RUN
  TEST_RUN := $(shell date +%s)
endif
# Tests (modules named `rabbitmq`) that need a real broker; only test-integration runs them.
INTEGRATION_ONLY := test(/^rabbitmq::/)
# Fault drills start private PostgreSQL/RabbitMQ instances; only `make drills` runs them.
DRILLS := binary(drills)
SUITES := (package(persistence) | package(e2e) | package(admin-cli) | package(migration) | package(ai-worker) | package(messaging)) - $(DRILLS)

.PHONY: run run-release worker admin migrate test test-unit test-integration drills lint fmt arch machete bench bench-ai bench-board bench-chat docker-check fuzz fuzz-sqlite clean-test-databases nextest

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

test-unit: nextest
	$(CARGO) nextest run --workspace --no-fail-fast -E 'not ($(INTEGRATION_ONLY) | $(DRILLS))'

nextest:
	@$(CARGO) nextest --version >/dev/null 2>&1 || { \
	  echo "cargo-nextest is missing: cargo install cargo-nextest --locked" >&2; exit 1; }

lint: fmt arch deny machete
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

.PHONY: deny deny-advisories

## Supply chain (deny.toml): licences, banned crates (rsa), crates in two versions (warnings)
## and sources. Needs no network. The RustSec advisories need github.com: deny-advisories.
deny:
	@$(CARGO) deny --version >/dev/null 2>&1 || { \
	  echo "cargo-deny is missing: cargo install cargo-deny --locked" >&2; exit 1; }
	$(CARGO) deny --offline --locked check --hide-inclusion-graph bans licenses sources

## RustSec advisories: fetches the advisory database from github.com (unreachable on the
## machines this project is built on, so not part of lint; .ci/run runs it where it can).
deny-advisories:
	$(CARGO) deny --locked check advisories

fmt:
	$(CARGO) fmt --all -- --check

arch:
	python3 scripts/check-architecture.py

## Fails on a dependency that a crate declares and never uses.
machete:
	@$(CARGO) machete --version >/dev/null 2>&1 || { \
	  echo "cargo-machete is missing: cargo install cargo-machete --locked" >&2; exit 1; }
	$(CARGO) machete

## The adapter and end-to-end suites against PostgreSQL, MariaDB and RabbitMQ. Fails, never
## skips, when one of them is unreachable.
test-integration: nextest
	scripts/require-services.sh "$(PG_URL)" "$(MYSQL_URL)" "$(AMQP_URL)"
	@echo "== PostgreSQL =="
	AGORA_TEST_RUN=$(TEST_RUN) AGORA_TEST_DATABASE_URL="$(PG_URL)" AGORA_TEST_AMQP_URL="$(AMQP_URL)" \
	  $(CARGO) nextest run --workspace --no-fail-fast -E '$(SUITES)'
	@echo "== MariaDB =="
	AGORA_TEST_RUN=$(TEST_RUN) AGORA_TEST_DATABASE_URL="$(MYSQL_URL)" AGORA_TEST_AMQP_URL="$(AMQP_URL)" \
	  $(CARGO) nextest run --workspace --no-fail-fast -E '$(SUITES)'
	$(MAKE) clean-test-databases TEST_RUN=$(TEST_RUN)

## Fault drills: real processes on private PostgreSQL and RabbitMQ instances the drills
## start, break and restart themselves (needs root for initdb/rabbitmq-server as their
## service users). Serial; the last stage of CI.
drills: nextest
	$(CARGO) build --workspace --bins --locked
	$(CARGO) nextest run --workspace --no-fail-fast --test-threads 1 -E '$(DRILLS)'

## API fuzzing: schemathesis 4 (from PyPI, into target/fuzz-venv) against a live server's
## OpenAPI document, as a user and as an admin, on SQLite, PostgreSQL and MariaDB in turn
## (each engine refuses different input). FUZZ_EXAMPLES bounds the cases per operation;
## `make fuzz-sqlite` runs the first alone and needs no service.
## The server passes take fewer cases (FUZZ_SERVER_EXAMPLES): what differs there is how the
## engine stores and compares text, which the coverage phase's edge cases reach.
FUZZ_EXAMPLES ?= 40
FUZZ_SERVER_EXAMPLES ?= 15
fuzz: fuzz-sqlite
	scripts/require-services.sh "$(PG_URL)" "$(MYSQL_URL)" "$(AMQP_URL)"
	scripts/fuzz/run.sh $(FUZZ_SERVER_EXAMPLES) "$(PG_URL)"
	scripts/fuzz/run.sh $(FUZZ_SERVER_EXAMPLES) "$(MYSQL_URL)"

fuzz-sqlite:
	scripts/fuzz/run.sh $(FUZZ_EXAMPLES)

## Benchmarks (not tests). `make bench` builds once, runs all three below and writes
## BENCHMARKS.md (this machine's description and every figure; scripts/bench.sh).
bench:
	CARGO="$(CARGO)" AMQP_URL="$(AMQP_URL)" scripts/bench.sh

## bench-ai: inference jobs per second, submitted to completion, and p50/p99
## submit-to-result latency with `?wait=`: in-process, then through RabbitMQ with one
## ai-worker process (AMQP_URL; the database is SQLite unless AGORA_TEST_DATABASE_URL is set).

bench-ai:
	$(CARGO) build --release --workspace --bins
	AGORA_TEST_AMQP_URL="$(AMQP_URL)" target/release/bench-ai $(ARGS)

## bench-board: the board routes (post read, post list, comment write, beside /health/live
## and /users/me) against a release server on SQLite, driven by concurrent clients; prints
## requests/s and p50/p99 per route; then /health/live latency alone and during 200
## concurrent bcrypt-12 logins. BENCH_SECONDS, BENCH_CONCURRENCY, BENCH_POSTS, BENCH_ROUTES
## and BENCH_LOGINS tune it (crates/bench).
bench-board:
	$(CARGO) build --release --workspace --bins
	target/release/bench

## Drops the databases this run created on the servers (agora_t_<run>_*; TEST_RUN=all for
## every run's).
clean-test-databases:
	scripts/drop-test-databases.sh "$(PG_URL)" "$(MYSQL_URL)" "$(TEST_RUN)"

## Syntax-checks the container stack without a Docker engine (Debian's docker-compose v1
## reads and validates the compose file) and the Grafana dashboard JSON.
docker-check:
	docker-compose -f docker/docker-compose.yml --env-file docker/.env.example config -q
	python3 -m json.tool docker/grafana/dashboards/agora.json > /dev/null
	@echo "docker stack: syntax OK"

## Chat WebSocket load on a release build (not a test): messages delivered per second,
## p50/p99 delivery latency, and server memory per idle socket. Tune with
## ARGS="--sessions 100 --clients 10 --rates 100,500,1000 --seconds 10".
bench-chat:
	$(CARGO) build --release --workspace --bins
	target/release/chat-bench $(ARGS)
