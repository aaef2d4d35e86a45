# make demo  - run the whole graph on a simulated AWS account and print where the events went
# make test  - lint, `dg check defs`, then the whole test suite (what CI runs)
# make test-fast - lint, then the tests not marked slow (the loop while you work); prints its time
# make docs  - regenerate the generated parts of docs/ (the mapping tables of docs/mapping.md)
# make check-defs - load and validate the production definitions with `dg check defs`
# make ui    - open the production code location in the Dagster UI (needs AWS + intake settings)
# make demo-ui - open the demo code location in the Dagster UI

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_HOME := $(CURDIR)/.demo/dagster_home
UI_HOME ?= $(CURDIR)/.dagster_home
QUIET_LOGS := {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

.PHONY: demo test test-fast docs lint check-defs ui demo-ui clean ocsf-schema

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# dg launch is what Dagster 1.13 recommends over `dagster asset materialize`; the graph's one root
# selects all four assets without the beta warning that the '*' selection prints.
demo: $(VENV)/.installed
	@mkdir -p $(DEMO_HOME)
	@cp dagster.yaml $(DEMO_HOME)/dagster.yaml
	DAGSTER_HOME=$(DEMO_HOME) VIRTUAL_ENV="$(CURDIR)/$(VENV)" $(BIN)/dg launch \
		-m iam_assets.demo.definitions --assets 'raw_iam_users*' --config-json '$(QUIET_LOGS)'
	@DAGSTER_HOME=$(DEMO_HOME) $(BIN)/python -m iam_assets.demo.report

test: $(VENV)/.installed lint check-defs
	$(BIN)/pytest

# The wall time covers lint and pytest, so the figure in docs/performance.md is the whole loop.
test-fast: $(VENV)/.installed
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint && $(BIN)/pytest -q -m "not slow"; \
	status=$$?; echo "make test-fast: $$(( $$(date +%s) - start )) s wall"; exit $$status

docs: $(VENV)/.installed
	$(BIN)/python -m iam_assets.ocsf.mapping_table docs/mapping.md

# dg reads [tool.dg] in pyproject.toml and loads iam_assets.definitions:defs. A throwaway
# DAGSTER_HOME holding our dagster.yaml (telemetry: enabled: false) keeps dg's telemetry off and
# nothing written to ~/.dagster; VIRTUAL_ENV is what activating .venv would set.
check-defs: $(VENV)/.installed
	@home=$$(mktemp -d) && cp dagster.yaml "$$home/dagster.yaml" && \
	DAGSTER_HOME="$$home" VIRTUAL_ENV="$(CURDIR)/$(VENV)" $(BIN)/dg check defs; \
	status=$$?; rm -rf "$$home"; exit $$status

# ruff on everything, then mypy on the package ([tool.mypy] in pyproject.toml)
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

demo-ui: $(VENV)/.installed
	@mkdir -p $(DEMO_HOME)
	@cp dagster.yaml $(DEMO_HOME)/dagster.yaml
	DAGSTER_HOME=$(DEMO_HOME) $(BIN)/dagster dev -m iam_assets.demo.definitions -h 127.0.0.1 -p 3000

ui: $(VENV)/.installed
	@mkdir -p $(UI_HOME)
	@cp dagster.yaml $(UI_HOME)/dagster.yaml
	DAGSTER_HOME=$(UI_HOME) $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache .mypy_cache *.egg-info

# Refresh the OCSF 1.6.0 extract the tests use and the schema the package ships, from ../shared.
ocsf-schema: $(VENV)/.installed
	$(BIN)/python -m iam_assets_tests.support.ocsf_schema ../shared/ocsf/ocsf-1.6.0-user-inventory.json
