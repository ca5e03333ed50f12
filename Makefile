# homeportal — the two commands that matter: `make run` and `make test`.
.PHONY: run test test-fast bench lint format

run:            ## start a working instance on SQLite in ./data (onboarding in the browser)
	@scripts/run

test:           ## install what the tests need (system packages when root) and run them all
	@scripts/test

test-fast:      ## the suite without browser and external-server tests
	@scripts/test -m "not browser and not services"

bench:          ## the benchmarks in bench/
	@scripts/bench

lint:           ## ruff (style, common mistakes) and mypy (types); CI runs it before the tests
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

format:
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .
