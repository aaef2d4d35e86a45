"""Both code locations load, expose the same graph, and refuse missing configuration clearly."""

import itertools

import dagster as dg
import pytest

from iam_assets.defs.aws_resource import AWSCredentialsMissing, IAMResource
from iam_assets.defs.destinations import INTAKE_COPY, SekoiaIntakeResource
from iam_assets.defs.keys import GROUP
from iam_assets.defs.ocsf_resource import OCSFProfileResource
from iam_assets.defs.settings import sink_resource_from_env
from iam_assets_tests.support.graph import ASSETS, CHECKS, CONTROL_CHECKS

GRAPH = ["raw_iam_users", "enriched_iam_users", "ocsf_user_inventory", "sekoia_user_inventory"]


def load(module: str) -> dg.Definitions:
    import importlib

    return importlib.import_module(module).defs


@pytest.mark.parametrize("module", ["iam_assets.definitions", "iam_assets.demo.definitions"])
def test_code_location_loads_the_whole_lineage(module):
    defs = load(module)
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == set(GRAPH)
    for upstream, downstream in itertools.pairwise(GRAPH):
        parents = graph.get(dg.AssetKey(downstream)).parent_keys
        assert dg.AssetKey(upstream) in parents
    checks = {key.name for key in graph.asset_check_keys}
    assert checks == {key.name for check in CHECKS for key in check.check_keys} | {
        "iam_fields_known",  # emitted by raw_iam_users itself
        "root_account_secure",  # likewise
        "security_relevant_changes",  # emitted by enriched_iam_users itself
        "change_tracking_state",  # likewise
        "freshness_check",  # no delivery for 26 hours
        *CONTROL_CHECKS,  # the CIS / Security Hub controls, emitted by enriched_iam_users
    }
    sensors = {sensor.name for sensor in defs.sensors}
    assert sensors == {"check_failure_alerts", "run_failure_alerts", "delivery_freshness_sensor"}
    assert all(sensor.default_status == dg.DefaultSensorStatus.RUNNING for sensor in defs.sensors)
    for asset in ASSETS:
        spec = next(iter(asset.specs))
        assert spec.group_name == GROUP and spec.owners and spec.kinds and spec.description


def test_ocsf_checks_are_blocking():
    blocking = {spec.name for check in CHECKS for spec in check.check_specs if spec.blocking}
    assert blocking == {
        "ocsf_required_fields",
        "ocsf_constants_consistent",
        "ocsf_types_valid",
        "ocsf_one_event_per_user",
    }


def test_daily_schedule_runs_at_six_utc_and_is_on_by_default():
    schedule = load("iam_assets.definitions").resolve_schedule_def("daily_iam_inventory")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "iam_inventory_job"


def launch(iam_proxy, state, intake):
    """The whole graph with this intake: the launch is what is under test, IAM must stay unread."""
    return dg.materialize(
        [*ASSETS, *CHECKS],
        resources={
            "iam": IAMResource(endpoint_url=iam_proxy.url),
            "intake": intake,
            "state": state,
            "ocsf": OCSFProfileResource(),
        },
    )


def test_missing_intake_key_is_a_launch_error_naming_the_variable(monkeypatch, iam_proxy, state):
    monkeypatch.delenv("SEKOIA_INTAKE_KEY", raising=False)
    with pytest.raises(Exception, match="SEKOIA_INTAKE_KEY") as raised:
        launch(iam_proxy, state, sink_resource_from_env(INTAKE_COPY))
    assert iam_proxy.actions == {}, raised.value  # failed before reading IAM


def test_empty_intake_key_is_a_launch_error_naming_the_variable(iam_proxy, state):
    with pytest.raises(dg.DagsterResourceFunctionError) as raised:
        launch(iam_proxy, state, SekoiaIntakeResource(intake_key=""))
    assert "SEKOIA_INTAKE_KEY is empty" in str(raised.value.__cause__)
    assert iam_proxy.actions == {}


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"SEKOIA_INTAKE_URL": "http://intake.example.com"}, "SEKOIA_INTAKE_ALLOW_HTTP"),
        ({"SEKOIA_INTAKE_KEY": "s3cr3t-\u00e9t\u00e9-\u20ac"}, "SEKOIA_INTAKE_KEY"),
        ({"SEKOIA_INTAKE_KEY": "s3cr3t-key\r\nX-Injected: 1"}, "SEKOIA_INTAKE_KEY"),
    ],
)
def test_intake_settings_that_cannot_work_fail_at_launch_naming_the_variable(
    monkeypatch, iam_proxy, state, settings, named
):
    monkeypatch.setenv("SEKOIA_INTAKE_KEY", "s3cr3t-key")
    for variable, value in settings.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(dg.DagsterResourceFunctionError) as raised:
        launch(iam_proxy, state, sink_resource_from_env(INTAKE_COPY))
    message = str(raised.value.__cause__)
    assert named in message
    assert "s3cr3t" not in message
    assert iam_proxy.actions == {}  # before reading IAM


def test_plain_http_beyond_loopback_works_once_allowed(monkeypatch):
    monkeypatch.setenv("SEKOIA_INTAKE_URL", "http://intake.internal:8080")
    monkeypatch.setenv("SEKOIA_INTAKE_ALLOW_HTTP", "true")
    assert sink_resource_from_env(INTAKE_COPY).allow_http is True
    monkeypatch.setenv("SEKOIA_INTAKE_ALLOW_HTTP", "maybe")
    with pytest.raises(ValueError, match="SEKOIA_INTAKE_ALLOW_HTTP must be true or false"):
        sink_resource_from_env(INTAKE_COPY)


def test_intake_url_defaults_to_sekoia_and_is_read_from_the_environment(monkeypatch):
    assert sink_resource_from_env(INTAKE_COPY).url == "https://intake.sekoia.io"
    monkeypatch.setenv("SEKOIA_INTAKE_URL", "https://app.usa1.sekoia.io/api/v1/intake-http")
    url = sink_resource_from_env(INTAKE_COPY).url
    assert isinstance(url, dg.EnvVar) and url.env_var_name == "SEKOIA_INTAKE_URL"
    assert url.get_value() == "https://app.usa1.sekoia.io/api/v1/intake-http"


def test_unknown_strategy_is_a_launch_error_naming_the_variable(monkeypatch, state):
    from iam_assets.defs.settings import iam_resource_from_env

    monkeypatch.setenv("IAM_ASSETS_STRATEGY", "fastest")
    with pytest.raises(dg.DagsterResourceFunctionError) as raised:
        dg.materialize(ASSETS[:1], resources={"iam": iam_resource_from_env(), "state": state})
    assert "IAM_ASSETS_STRATEGY" in str(raised.value.__cause__)


def test_no_aws_credentials_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(AWSCredentialsMissing, match="AWS_ACCESS_KEY_ID"):
        IAMResource().get_client()


def test_every_variable_the_code_reads_is_in_the_readme_configuration_table():
    """A setting the README does not name is one nobody can use."""
    import re
    from pathlib import Path

    import iam_assets

    package = Path(iam_assets.__file__).parent
    read = {
        name
        for source in package.rglob("*.py")
        for name in re.findall(r"\"((?:IAM_ASSETS|SEKOIA)_[A-Z_]+)\"", source.read_text())
    }
    readme = (package.parent / "README.md").read_text()
    table = {
        name
        for line in readme.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`((?:IAM_ASSETS|SEKOIA)_[A-Z_]+)`", line.split(" | ")[0])
    }
    assert len(read) > 10
    assert read - table == set()


def test_only_the_settings_module_reads_the_environment():
    """One place to look for what can be configured: the pure stages take what they need as
    arguments. The demo reads its own folders; http_post.py reads the CA bundle variables the
    way OpenSSL and requests do."""
    import ast
    from pathlib import Path

    import iam_assets

    package = Path(iam_assets.__file__).parent
    allowed = {"defs/settings.py", "demo/definitions.py", "deliver/http_post.py"}
    readers = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            reads = isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}
            if reads and isinstance(node.value, ast.Name) and node.value.id == "os":
                readers.add(str(source.relative_to(package)))
    assert readers - allowed == set()
    assert "defs/settings.py" in readers


def test_the_schedule_follows_its_variable(monkeypatch):
    monkeypatch.setenv("IAM_ASSETS_SCHEDULE_CRON", "30 2 * * *")
    from iam_assets.defs.code_location import build_definitions

    defs = build_definitions(iam=IAMResource(), intake=SekoiaIntakeResource(intake_key="k"))
    assert defs.resolve_schedule_def("daily_iam_inventory").cron_schedule == "30 2 * * *"
