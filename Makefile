# Set-up and the two main jobs. Everything installs from this project's own files.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup system-packages bench bench-products bench-workers lock server worker prefect-setup

# Every package at the version in constraints.txt: the set the suite was run with.
$(BIN)/kijkglas: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=25,<27"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $(BIN)/kijkglas

# Re-resolve constraints.txt from pyproject.toml's ranges (then run `make test` before committing it).
lock: setup
	$(BIN)/pip install --quiet -c constraints.txt -e ".[lock]"
	$(BIN)/uv pip compile pyproject.toml --extra test --extra lock --extra profile --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu --annotation-style line -o constraints.txt

# System packages, installed when missing (as root, with apt-get): PostgreSQL for the integration
# tests' Prefect server and Chromium for the dashboard's browser tests (both required by `make test`);
# HarfBuzz-Subset (faster PDFs) and poppler-utils (pdftoppm) are optional: the product works without them.
system-packages:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
				|| { echo "could not install chromium (apt-get)"; exit 1; }; \
		else echo "Chromium is missing: install the chromium package"; exit 1; fi; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 \
				|| { echo "could not install postgresql (apt-get)"; exit 1; }; \
			service postgresql stop >/dev/null 2>&1 || true; \
		else echo "PostgreSQL (initdb) is missing: install the postgresql package"; exit 1; fi; \
	fi
	-@command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && { ! ldconfig -p | grep -q libharfbuzz-subset || ! command -v pdftoppm >/dev/null; } \
		&& (apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq libharfbuzz-subset0 poppler-utils >/dev/null 2>&1) || true

setup: system-packages $(BIN)/kijkglas

# The main job: generate a demo extract, validate it, produce Kijkglas 1 through Prefect (local ephemeral server).
demo: setup
	PREFECT_HOME=$(CURDIR)/demo/.prefect $(BIN)/kijkglas demo --workdir demo

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# Rewrite the golden outbox tests/golden/ after a deliberate change of the output (then review `git diff tests/golden`).
.PHONY: golden
golden: setup
	KIJKGLAS_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py

# The production days and the national backfill (issue 11): wall, peak memory, compute only, render floor.
# Takes ~40 minutes; a quicker run: $(BIN)/python bench/bench_day.py --days april --skip-backfill
bench: setup
	$(BIN)/python bench/bench_day.py

# The foundation (generate, validate) and the products one by one.
bench-products: setup
	$(BIN)/python bench/bench_foundation.py
	$(BIN)/python bench/bench_kijkglas.py

# A backfill of the small series spread over one worker, then two (PostgreSQL-backed server).
bench-workers: setup
	$(BIN)/python bench/bench_workers.py

# --- Running it in production (README, "Running it in production") --------------------------------
# The server's address; the UI and every client and worker use it (set before the server starts, so
# the UI talks to this address and not to Prefect's default).
PREFECT_HOST ?= 127.0.0.1
PREFECT_PORT ?= 4200
# deployments/prefect.env, for every key the environment does not set already (only in these targets:
# `make test` and `make demo` keep their own temporary server)
PREFECT_ENV = : "$${PREFECT_API_URL:=http://$(PREFECT_HOST):$(PREFECT_PORT)/api}"; export PREFECT_API_URL; set -a; eval "$$(sed -n 's/^\([A-Z_][A-Z0-9_]*\)=\(.*\)/: "$${\1:=\2}"/p' deployments/prefect.env)"; set +a;
# Worker processes per machine: productions one at a time (their documents use every core already),
# the flows that only wait for productions (production day, backfill, withdrawal) up to four.
PRODUCTIES_PER_MACHINE ?= 1

server: setup
	$(PREFECT_ENV) $(BIN)/prefect server start --host $(PREFECT_HOST) --port $(PREFECT_PORT)

# MACHINES: how many machines run workers (more than one: PostgreSQL, and the crash automation is set up)
MACHINES ?= 1
prefect-setup: setup
	$(PREFECT_ENV) $(BIN)/python -m deployments.setup --machines $(MACHINES)

worker: setup
	@$(PREFECT_ENV) trap 'trap - INT TERM; kill 0' INT TERM; \
	$(BIN)/prefect worker start --pool kijkglas --work-queue kalender --limit 4 --name "kalender-$$(hostname)" & \
	$(BIN)/prefect worker start --pool kijkglas --work-queue producten --limit $(PRODUCTIES_PER_MACHINE) \
		--name "producten-$$(hostname)" & \
	wait
