"""The docs a newcomer reads say what the code and the tree hold: the generated tables are the
code's, the configuration table names what the code reads, the layouts list what exists, every
path and link resolves, and nothing speaks of one machine or of the project's history."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from iam_assets.ocsf import mapping_table

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MAPPING = DOCS / "mapping.md"
DEVELOPMENT = DOCS / "development.md"
README_LIMIT = 12 * 1024  # bytes: what a newcomer reads before anything else

# An absolute path on one machine (a home, a root, a work folder), not a URL's path: nothing
# that could be a host or a word may precede its first slash.
MACHINE_PATH = re.compile(r"(?<![\w.\-~])/(?:work|home|root|Users)/")
# The project's history: an issue's number ("issue", then maybe "-", " " or "#", then digits).
HISTORY = re.compile(r"\bissue[- ]?#?[0-9]+", re.IGNORECASE)
NOT_OURS = ("iam_assets_tests/data/",)  # a copy of the official OCSF schema, as published


def project_files() -> list[str]:
    """Every file of the project: tracked, or new and not ignored (so it is caught before it
    is committed)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


def text_of(name: str) -> str | None:
    """A file's text, or None when it is not text."""
    data = (ROOT / name).read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def documents() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def test_no_file_names_a_machine_path_or_the_project_history():
    offenders = []
    for name in project_files():
        if name.startswith(NOT_OURS):
            continue
        text = text_of(name)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for pattern in (MACHINE_PATH, HISTORY):
                for match in pattern.finditer(line):
                    offenders.append(f"{name}:{number}: {match.group(0)!r} in {line.strip()!r}")
    assert offenders == [], "\n".join(offenders)


def test_the_scan_catches_what_it_is_for():
    """The two patterns above, on the kind of text they must catch and the kind they must not
    (the examples are built from pieces so that this file does not hold them whole)."""
    slash = "/"
    assert MACHINE_PATH.search(f"git clone {slash}work/main {slash}tmp/x")
    assert MACHINE_PATH.search(f"see {slash}home/alice/iam-assets")
    assert MACHINE_PATH.search(f"cd {slash}root/src")
    assert not MACHINE_PATH.search(f"https://example.com{slash}home/page and src{slash}work/x")
    word = "issue"
    assert HISTORY.search(f"17.2 s before {word.title()} 16")
    assert HISTORY.search(f"until the {word}-12 change")
    assert HISTORY.search(f"({word} #7)")
    assert not HISTORY.search(f"an {word} with 16 users")


# -- generated parts -------------------------------------------------------------------------


def test_the_mapping_tables_are_the_ones_the_code_generates():
    text = MAPPING.read_text(encoding="utf-8")
    assert text.count(mapping_table.START) == 1 and text.count(mapping_table.END) == 1
    assert mapping_table.block_matches(text), f"{MAPPING.name} is stale: run `make docs`"


def test_make_docs_rewrites_a_stale_block_in_place_and_nothing_else(tmp_path):
    stale = tmp_path / "mapping.md"
    stale.write_text(
        f"intro\n{mapping_table.START}\n| stale |\n{mapping_table.END}\nrest\n", encoding="utf-8"
    )
    assert not mapping_table.block_matches(stale.read_text(encoding="utf-8"))
    assert mapping_table.main([str(stale)]) == 0
    rendered = stale.read_text(encoding="utf-8")
    assert mapping_table.block_matches(rendered)
    assert rendered.startswith("intro\n") and rendered.endswith(f"{mapping_table.END}\nrest\n")
    for profile in mapping_table.PROFILES:
        assert mapping_table.markdown(profile) in rendered
    assert "| stale |" not in rendered
    unmarked = tmp_path / "unmarked.md"
    unmarked.write_text("no markers\n", encoding="utf-8")
    assert mapping_table.main([str(unmarked)]) == 1
    assert unmarked.read_text(encoding="utf-8") == "no markers\n"
    with pytest.raises(ValueError, match="profile must be one of"):
        mapping_table.markdown("splunk")


def test_the_makefile_docs_target_regenerates_the_mapping_document():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^docs:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "make docs is missing"
    assert "-m iam_assets.ocsf.mapping_table docs/mapping.md" in recipe.group(1)


# -- the README ------------------------------------------------------------------------------


def test_the_readme_fits_a_first_read():
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes; move detail into docs/"
    first_screen = "\n".join(README.read_text(encoding="utf-8").splitlines()[:20])
    assert "make demo" in first_screen and "make test" in first_screen


def configuration_table() -> set[str]:
    """The variables the README's configuration table documents (its first column)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return {
        name
        for line in section.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split(" | ")[0])
    }


def test_the_configuration_table_documents_only_variables_the_code_reads():
    """The other direction is ``test_definitions``: a stale row misleads as much as a missing
    one."""
    read = {
        name
        for source in (ROOT / "iam_assets").rglob("*.py")
        for name in re.findall(r"\"((?:IAM_ASSETS|SEKOIA)_[A-Z_]+)\"", source.read_text())
    }
    documented = {name for name in configuration_table() if name.startswith(("IAM_", "SEKOIA_"))}
    assert len(documented) > 10
    assert documented - read == set()


def code_block_after(path: Path, heading: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    return section.split("```", 2)[1].splitlines()[1:]


def test_the_readme_layout_lists_the_tree():
    """Every top-level entry and every package of ``iam_assets`` is there, and nothing else."""
    named: set[str] = set()
    for line in code_block_after(README, "## Layout"):
        if line and not line[0].isspace():
            named.add(line.split()[0].rstrip("/"))
        elif line.startswith("  ") and not line.startswith("   "):
            named.add("iam_assets/" + line.split()[0].rstrip("/"))
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert missing == [], f"the README's layout names what does not exist: {missing}"
    files = project_files()
    top = {name.split("/")[0] for name in files} - {"README.md", ".gitignore"}
    package = re.compile(r"iam_assets/\w+/__init__\.py")
    packages = {str(Path(name).parent) for name in files if package.fullmatch(name)}
    listed = {name.split("/")[0] for name in named} | named
    assert sorted((top | packages) - listed) == [], "the README's layout leaves these out"


DETAILED = ("iam_assets/", "iam_assets_tests/", "benchmarks/")


def test_the_development_layout_lists_every_file_and_no_other():
    """docs/development.md names each file under its folder (``__init__.py`` aside)."""
    listed: set[str] = set()
    folder = ""
    for line in code_block_after(DEVELOPMENT, "## Layout"):
        if line and not line[0].isspace():
            folder = line.split()[0]
        elif line.startswith("  ") and not line.startswith("   "):
            listed.add(folder + line.split()[0])
    actual = {
        name
        for name in project_files()
        if name.startswith(DETAILED) and not name.endswith("__init__.py")
    }
    drift = {"left out": sorted(actual - listed), "gone": sorted(listed - actual)}
    assert drift == {"left out": [], "gone": []}, "docs/development.md's layout is not the tree"


# -- paths and links -------------------------------------------------------------------------

FILES = ("Makefile", "dagster.yaml", "workspace.yaml", "pyproject.toml", ".ci/run")
FOLDERS = ("iam_assets/", "iam_assets_tests/", "benchmarks/", "deploy/", "docs/")


def is_path(token: str) -> bool:
    """A file or folder of the project (``iam_assets/account``, a run tag, is neither)."""
    last = token.rstrip("/").rsplit("/", 1)[-1]
    return token in FILES or (token.startswith(FOLDERS) and (token.endswith("/") or "." in last))


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a document's headings."""
    slugs = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return slugs


def test_every_path_and_link_in_the_docs_resolves():
    broken = []
    for doc in documents():
        text = doc.read_text(encoding="utf-8")
        for token in re.findall(r"`([^`\s]+)`", text):
            if any(mark in token for mark in "<*…{$"):
                continue
            if is_path(token) and not (ROOT / token).exists():
                broken.append(f"{doc.name}: `{token}`")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://")):
                continue
            name, _, anchor = target.partition("#")
            linked = (doc.parent / name).resolve() if name else doc
            if not linked.exists():
                broken.append(f"{doc.name}: link {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{doc.name}: link {target} (no such heading)")
    assert broken == [], "\n".join(broken)
