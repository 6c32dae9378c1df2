# The two commands of the README: `make benchmark` and `make test`.
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.geoarena-env
PKGS   := $(wildcard packages/*/pyproject.toml)
export MLFLOW_DISABLE_TELEMETRY := true
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export YOLO_OFFLINE := 1

.PHONY: env samples benchmark test test-fast lint format

$(STAMP): requirements/constraints.txt requirements/dev.txt $(PKGS) tools/setup_env.sh
	bash tools/setup_env.sh
	@touch $(STAMP)

env: $(STAMP)

samples: $(STAMP)
	$(BIN)/python tools/fetch_samples.py

benchmark: samples
	$(BIN)/python tools/run_benchmark.py --suite default

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff format --check . && $(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .
