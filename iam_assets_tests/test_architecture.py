"""The house rules a newcomer relies on: imports follow the data (collect -> analysis -> ocsf ->
deliver), only the Dagster layer imports Dagster, and no module grows past a screenful or two.

Each rule is one test that lists every module breaking it, so one run shows all the work."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "iam_assets"
STAGES = ("collect", "analysis", "ocsf", "deliver")  # in the order the data flows
DAGSTER_LAYER = ("defs", "demo", "definitions")
MAX_LINES = 300


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def name_of(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


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


def is_dagster(name: str) -> bool:
    return name.split(".")[0] == "dagster" or name.startswith("dagster_")


def stage_offence(own: str, name: str) -> str | None:
    """Why importing ``name`` from part ``own`` breaks the data flow, or None."""
    parts = name.split(".")
    if parts[0] != "iam_assets" or len(parts) < 2:
        return None
    target = parts[1]
    if own in STAGES:
        if target not in STAGES:
            return "outside the stages"
        if STAGES.index(target) > STAGES.index(own):
            return "against the data flow"
    elif own == "defs" and target == "demo":
        return "the production layer imports the demo"
    return None


def test_only_the_dagster_layer_imports_dagster():
    offenders = [
        f"{name_of(path)} imports {name}"
        for path in modules()
        if part_of(path) not in DAGSTER_LAYER
        for name in sorted(imported(path))
        if is_dagster(name)
    ]
    assert offenders == [], "\n".join(offenders)


def test_imports_follow_the_data():
    offenders = [
        f"{name_of(path)} imports {name}: {why}"
        for path in modules()
        for name in sorted(imported(path))
        if (why := stage_offence(part_of(path), name))
    ]
    assert offenders == [], "\n".join(offenders)


def test_the_rules_see_an_offence_when_there_is_one():
    """The rules above, on imports that break them and imports that do not."""
    assert stage_offence("collect", "iam_assets.ocsf.rules") == "against the data flow"
    assert stage_offence("ocsf", "iam_assets.defs.keys") == "outside the stages"
    assert stage_offence("defs", "iam_assets.demo.seed") == "the production layer imports the demo"
    assert stage_offence("deliver", "iam_assets.collect.records") is None
    assert stage_offence("defs", "iam_assets.ocsf.rules") is None
    assert is_dagster("dagster_aws.s3") and is_dagster("dagster") and not is_dagster("pandas")
    assert len(modules()) > 50 and {part_of(path) for path in modules()} >= {*STAGES, "defs"}


def test_every_stage_and_the_dagster_layer_say_what_they_hold():
    offenders = []
    for package in (*STAGES, "defs", "demo"):
        doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
        if not doc or len(doc) <= 40:
            offenders.append(f"iam_assets/{package}/__init__.py needs a docstring")
    assert offenders == [], "\n".join(offenders)


def test_no_module_grows_past_three_hundred_lines():
    sizes = {name_of(p): len(p.read_text(encoding="utf-8").splitlines()) for p in modules()}
    offenders = [f"{name}: {lines} lines" for name, lines in sizes.items() if lines > MAX_LINES]
    assert offenders == [], f"over {MAX_LINES} lines:\n" + "\n".join(offenders)
