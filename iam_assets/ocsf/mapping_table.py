"""The field mapping of both OCSF profiles as data, rendered as markdown for docs/mapping.md.

``SEKOIA_MAPPING`` describes exactly what ``sekoia_profile.user_inventory_event`` emits (the
vendor table, deviations included); ``strict_profile.STRICT_MAPPING`` the strict 1.6.0 profile.
Tests check that every path either mapper emits has a row, so code and docs cannot drift.
``make docs`` rewrites the marked block of each file it is given:

    python -m iam_assets.ocsf.mapping_table docs/mapping.md
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from iam_assets.ocsf import asset_items, sekoia_profile
from iam_assets.ocsf.strict_profile import STRICT_MAPPING, MappingRow, constant_row, constant_rows

START = "<!-- mapping-table:start -->"
END = "<!-- mapping-table:end -->"

SEKOIA_MAPPING: tuple[MappingRow, ...] = (
    *constant_rows(sekoia_profile.CLASS_ATTRIBUTES),
    MappingRow("CreateDate", "time", "epoch seconds, UTC"),
    constant_row("metadata.product.name", sekoia_profile.PRODUCT_NAME),
    constant_row(
        "metadata.product.version",
        sekoia_profile.OCSF_VERSION,
        "the product page puts the OCSF version here",
    ),
    constant_row("metadata.version", sekoia_profile.OCSF_VERSION),
    MappingRow("UserId", "user.uid", "as is"),
    MappingRow("UserName", "user.name", "as is"),
    MappingRow("UserName", "user.full_name", "as is"),
    MappingRow("Path", "user.path", "as is (not an OCSF user attribute)"),
    MappingRow(
        "ConsoleAccessEnabled",
        "user.is_console_user",
        "true/false, null when unknown (not an OCSF user attribute)",
    ),
    MappingRow("MFAActive, else MFADevices", "user.has_mfa", "true/false, null when unknown"),
    MappingRow(
        "AccessKeys[].Status",
        "user.access_keys_count",
        "number of Active keys, null when unknown (not an OCSF user attribute)",
    ),
    MappingRow(
        "PasswordLastUsed",
        "user.password_last_used_time",
        "epoch seconds, UTC; null when never used or unknown (not an OCSF user attribute)",
    ),
    MappingRow(
        "CreateDate", "user.created_time", "epoch seconds, UTC (not an OCSF user attribute)"
    ),
    MappingRow(
        "Tags",
        "user.tags",
        "`{Key: Value}` object; `{}` when none, null when unknown (not an OCSF user attribute)",
    ),
    MappingRow("Arn", "user.account.uid", "the user's ARN"),
    MappingRow("UserName", "user.account.name", "as is"),
    constant_row("user.account.type", sekoia_profile.ACCOUNT_TYPE),
    constant_row(
        "user.account.type_id",
        sekoia_profile.ACCOUNT_TYPE_ID,
        "the vendor's value; not in the OCSF 1.6.0 enum",
    ),
    constant_row(
        "cloud.provider",
        sekoia_profile.CLOUD_PROVIDER,
        "not in the vendor table: names the account for a SIEM",
    ),
    MappingRow("Arn", "cloud.account.uid", "the 12-digit account id in the user's ARN"),
    constant_row("cloud.account.type_id", sekoia_profile.CLOUD_ACCOUNT_TYPE_ID),
    constant_row("cloud.account.type", sekoia_profile.CLOUD_ACCOUNT_TYPE),
)

PROFILES: dict[str, tuple[MappingRow, ...]] = {"sekoia": SEKOIA_MAPPING, "ocsf": STRICT_MAPPING}
_HEADINGS = {
    "sekoia": "Sekoia.io profile (default): the vendor's table, timestamps in seconds",
    "ocsf": "Strict OCSF 1.6.0 profile: schema attributes only, timestamps in milliseconds",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(profile: str) -> str:
    """The mapping of ``profile`` ("sekoia" or "ocsf") as a markdown table."""
    try:
        rows = PROFILES[profile]
    except KeyError:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}") from None
    return _table(rows)


def _table(rows: tuple[MappingRow, ...]) -> str:
    lines = ["| source (IAM) | OCSF attribute | rule |", "|---|---|---|"]
    lines += [f"| {_cell(row.source)} | `{_cell(row.path)}` | {_cell(row.rule)} |" for row in rows]
    return "\n".join(lines) + "\n"


def asset_items_markdown() -> str:
    """The items of the Asset inventory destination, and the page's fields they cannot carry."""
    left_out = ", ".join(f"`{path}`" for path in asset_items.NOT_IN_MODEL)
    not_filled = "\n".join(f"- `{path}`: {why}." for path, why in asset_items.NOT_FILLED.items())
    return (
        _table(asset_items.ASSET_ITEM_MAPPING)
        + f"\nNot sent as asset items, the model having no place for them: {left_out}.\n"
        + "\nThe model's fields left empty, IAM being unable to fill them truthfully:\n\n"
        + f"{not_filled}\n"
    )


def section() -> str:
    """The tables under small headings: what a document holds between the markers."""
    parts = [f"#### {_HEADINGS[profile]}\n\n{markdown(profile)}" for profile in PROFILES]
    parts.append(
        "#### Sekoia.io Asset inventory items (destination `assets`): the model of Sekoia's SDK"
        f" ({asset_items.MODEL_SOURCE})\n\n{asset_items_markdown()}"
    )
    return "\n".join(parts)


_BLOCK = re.compile(re.escape(START) + r"\n(.*?)" + re.escape(END), re.DOTALL)


def block_matches(text: str) -> bool:
    """True when the document's marked block is exactly ``section()`` (False if no block)."""
    match = _BLOCK.search(text)
    return match is not None and match.group(1).strip() == section().strip()


def render(text: str) -> str:
    """The document with its marked block replaced by ``section()``; markers must exist."""
    if not _BLOCK.search(text):
        raise ValueError(f"no {START} ... {END} block")
    block = f"{START}\n{section()}\n{END}"
    return _BLOCK.sub(lambda _match: block, text, count=1)


def main(paths: list[str]) -> int:
    """Regenerate the marked block of each document in place (``make docs``)."""
    if not paths:
        print("usage: python -m iam_assets.ocsf.mapping_table FILE.md ...", file=sys.stderr)
        return 2
    for name in paths:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        try:
            rendered = render(text)
        except ValueError as error:
            print(f"{path}: {error}", file=sys.stderr)
            return 1
        if rendered != text:
            path.write_text(rendered, encoding="utf-8")
        print(f"{path}: mapping tables {'regenerated' if rendered != text else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
