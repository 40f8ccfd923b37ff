# Each target works on a fresh machine with Python 3.11 and make: it creates .venv and installs the project first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/dagster_home

.PHONY: install demo dev test test-fast bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

# The dbt project's manifest (dagster-dbt reads it when the definitions load), parsed again when a file of the
# project changed. The definitions would parse a missing or stale one themselves; here it is done once, up front.
DBT_PROJECT := liveperson_dbt
MANIFEST := $(DBT_PROJECT)/target/manifest.json
$(MANIFEST): $(INSTALLED) $(shell find $(DBT_PROJECT) -path '$(DBT_PROJECT)/target' -prune -o -path '$(DBT_PROJECT)/logs' -prune -o -type f \( -name '*.sql' -o -name '*.yml' \) -print)
	$(BIN)/python -m liveperson_dagster.marts

install: $(INSTALLED) $(MANIFEST)

## demo: local emulator -> config assets + the last three complete days of conversations -> DuckDB; prints row counts.
## ACCOUNTS=2 (or 3): that many emulated accounts in an accounts file, each loaded in its own group and time zone
ACCOUNTS ?= 1
demo: install
	$(BIN)/python scripts/demo.py --accounts $(ACCOUNTS)

## dev: local emulator + `dagster dev` on http://127.0.0.1:$(PORT) with the environment set (fails fast if PORT is taken)
PORT ?= 3000
dev: install
	$(BIN)/python scripts/dev.py --port $(PORT)

## test: the whole suite, on three workers (pytest-xdist; each test has its own temp dir, ports, databases and
## DAGSTER_HOME, and a time limit). Three on 2 cores: the suite waits on servers and subprocesses a third of the time
## (measured idle: 666 s with two workers, 530 s with three; 712 s with three since several accounts, 618 tests;
## 715 s on 2026-12-07, where it had taken 834 s before the runs' overhead was cut; the same suite took 843 s and 893 s
## on the same machine later that day: its speed varies by a fifth from hour to hour)
XDIST := -n 3 --dist loadfile --no-loadscope-reorder
test: install
	$(BIN)/python -m pytest $(XDIST)

## test-fast: the suite less its end-to-end modules (conftest.SLOW_MODULES), for the edit loop
test-fast: install
	$(BIN)/python -m pytest $(XDIST) -m "not slow"

## bench: throughput, late-changes, request-slots, backfill and start-up benchmarks against the emulator (print tables and targets met/missed)
bench: install
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/updates.py
	$(BIN)/python benchmarks/request_slots.py
	$(BIN)/python benchmarks/backfill.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) data dagster_home/storage dagster_home/history dagster_home/logs dagster_home/schedules
