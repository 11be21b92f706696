# Thin wrappers: every target is a line or two. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv demo test test-fast bench serve mlflow-ui lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[serve,train,dev,scale]"
	touch $(STAMP)

venv: $(STAMP)

demo: venv          ## simulate -> train -> register -> evaluate -> serve -> a brief over HTTP
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

test: lint          ## lint (ruff check + format, mypy), then the whole test suite (unit + integration)
	$(BIN)/python -m pytest -q

test-fast: venv     ## unit tests only
	$(BIN)/python -m pytest -q tests/unit

bench: venv         ## speed and memory tables (on demand)
	$(BIN)/python benchmarks/bench_pipeline.py

serve: venv         ## the BentoML service on 127.0.0.1:3000 (champion from the registry); calls need a key
	@echo "API keys: $(BIN)/matcher keys add --brand BRAND [--admin]; send 'Authorization: Bearer <key>' (docs/security.md)"
	$(BIN)/bentoml serve serving.service:MatcherService --host 127.0.0.1 --port 3000

mlflow-ui: venv     ## MLflow UI on 127.0.0.1:5000 over the local store
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --default-artifact-root ./mlruns --host 127.0.0.1 --port 5000

lint: venv          ## ruff check, ruff format --check, mypy (versions pinned in pyproject's dev extra)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src serving

clean:
	rm -rf data models/latest models/champion mlruns/* mlflow.db .cache reports
