"""The house rules a newcomer relies on: imports follow the data (collect -> analysis -> ocsf ->
deliver), only the Dagster layer imports Dagster, and no module grows past a screenful or two."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "iam_assets"
STAGES = ("collect", "analysis", "ocsf", "deliver")  # in the order the data flows
DAGSTER_LAYER = ("defs", "demo", "definitions")
MAX_LINES = 300


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def part_of(path: Path) -> str:
    """The first folder under iam_assets/ (or the module's own name at the top)."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "iam_assets":
                names.update(f"iam_assets.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_data(path):
    own = part_of(path)
    for name in imported(path):
        parts = name.split(".")
        if parts[0] in {"dagster", "dagster_aws", "dagster_slack"} or parts[0].startswith(
            "dagster_"
        ):
            assert own in DAGSTER_LAYER, f"{path.name} ({own}) imports {name}: Dagster layer only"
        if parts[0] != "iam_assets" or len(parts) < 2:
            continue
        target = parts[1]
        if own in STAGES:
            assert target in STAGES, f"{path.name} ({own}) imports {name}, outside the stages"
            assert STAGES.index(target) <= STAGES.index(own), (
                f"{path.name} ({own}) imports {name}: against the data flow"
            )
        elif own == "defs":
            assert target != "demo", f"{path.name} imports the demo"


def test_every_stage_and_the_dagster_layer_say_what_they_hold():
    for package in (*STAGES, "defs", "demo"):
        doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
        assert doc and len(doc) > 40, f"iam_assets/{package}/__init__.py needs a docstring"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_grows_past_three_hundred_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES
