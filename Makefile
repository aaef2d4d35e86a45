# make demo  - run the whole graph on a simulated AWS account and print where the events went
# make test  - lint and run the whole test suite (what CI runs)
# make ui    - open the production code location in the Dagster UI (needs AWS + intake settings)
# make demo-ui - open the demo code location in the Dagster UI

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_HOME := $(CURDIR)/.demo/dagster_home
UI_HOME ?= $(CURDIR)/.dagster_home
QUIET_LOGS := {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

.PHONY: demo test lint ui demo-ui clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	@mkdir -p $(DEMO_HOME)
	@cp dagster.yaml $(DEMO_HOME)/dagster.yaml
	DAGSTER_HOME=$(DEMO_HOME) $(BIN)/dagster asset materialize \
		-m iam_assets.demo.definitions --select '*' --config-json '$(QUIET_LOGS)'
	@DAGSTER_HOME=$(DEMO_HOME) $(BIN)/python -m iam_assets.demo.report

test: $(VENV)/.installed lint
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .

demo-ui: $(VENV)/.installed
	@mkdir -p $(DEMO_HOME)
	@cp dagster.yaml $(DEMO_HOME)/dagster.yaml
	DAGSTER_HOME=$(DEMO_HOME) $(BIN)/dagster dev -m iam_assets.demo.definitions -h 127.0.0.1 -p 3000

ui: $(VENV)/.installed
	@mkdir -p $(UI_HOME)
	@cp dagster.yaml $(UI_HOME)/dagster.yaml
	DAGSTER_HOME=$(UI_HOME) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache *.egg-info
