PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install services chromium bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate, seed, and run engine + Asterisk twin + web on embedded defaults
demo: install
	$(BIN)/atende demo

services:
	scripts/ensure-services

chromium:
	scripts/ensure-chromium

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

## make test: lint, type-check, and the whole suite on real Redis, SQLite and PostgreSQL
test: install services chromium lint typecheck
	$(BIN)/pytest -q -n 4 --dist loadgroup

bench: install
	$(BIN)/python bench/ami_ingest.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/erp_orders.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/screen_pop.py
	$(BIN)/python bench/live_push.py
	$(BIN)/python bench/dialer_sim.py
	$(BIN)/python bench/dialer_campaign.py
	$(BIN)/python bench/list_upload.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
