"""Credential reports written the way IAM (or a sloppier writer) would, for parser tests.

``ReportUser`` is the truth about one user; ``report_cells`` writes its row as IAM formats it;
``render`` writes a whole report quoted (``csv.QUOTE_ALL``), minimally quoted (``QUOTE_MINIMAL``)
or naively joined with commas (moto's way, which splits a value holding a comma). Hypothesis
strategies draw user names and paths from every character IAM allows.

Source of the shape: AWS IAM User Guide, "Getting credential reports for your AWS account"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/credential-reports.html): the columns and their
order, ISO 8601 times, ``N/A`` (no such credential), ``no_information`` (never used) and
``not_supported`` (root rows), the ``<root_account>`` row; the API reference for
GetCredentialReport (``text/csv`` content). Name and path characters: the IAM API reference for
CreateUser (letters, digits and ``+=,.@_-``; paths ``/`` or ``/…/``). moto's unquoted rows are
what moto writes (``moto/iam/models.py``, ``get_credential_report``).
"""

from __future__ import annotations

import csv
import io
import string
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

ACCOUNT = "123456789012"
# IAM's credential report columns, in IAM's order.
HEADER = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
# IAM user names: [\w+=,.@-]{1,64} (ASCII word characters); paths: "/" or "/…/" of ! to ~.
NAME_CHARS = string.ascii_letters + string.digits + "+=,.@_-"
PATH_CHARS = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) != "/")
STYLES = ("quote_all", "quote_minimal", "naive")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


@dataclass(frozen=True)
class ReportUser:
    """What IAM knows about one user, as far as the credential report can tell."""

    name: str
    path: str
    created: datetime
    password_enabled: bool = False
    password_last_used: datetime | None = None
    mfa_active: bool = False
    keys: tuple[tuple[bool, datetime], ...] = ()  # (active, created), at most two

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:user{self.path}{self.name}"

    def expected_keys(self) -> tuple[dict[str, Any], ...]:
        """The access keys the parser should read from this user's row."""
        return tuple(
            {"AccessKeyId": None, "Status": "Active" if active else "Inactive", "CreateDate": made}
            for active, made in self.keys
        )


def iam_time(moment: datetime, offset: timedelta = timedelta(0)) -> str:
    """A time as IAM writes it (``2020-06-04T10:00:00+00:00``), optionally in another offset."""
    text = moment.astimezone(timezone(offset)).strftime(TIME_FORMAT)
    return f"{text[:-2]}:{text[-2:]}"


def report_cells(
    user: ReportUser, offset: timedelta = timedelta(0), no_value: str = "N/A"
) -> dict[str, str]:
    """The user's row, column by column, as IAM writes it (``no_value`` where there is none)."""

    def when(moment: datetime | None) -> str:
        return no_value if moment is None else iam_time(moment, offset)

    cells = {
        "user": user.name,
        "arn": user.arn,
        "user_creation_time": when(user.created),
        "password_enabled": str(user.password_enabled).lower(),
        "password_last_used": when(user.password_last_used),
        "password_last_changed": "N/A",
        "password_next_rotation": "N/A",
        "mfa_active": str(user.mfa_active).lower(),
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }
    for number in (1, 2):
        active, made = user.keys[number - 1] if len(user.keys) >= number else (False, None)
        cells[f"access_key_{number}_active"] = str(active).lower()
        cells[f"access_key_{number}_last_rotated"] = "N/A" if made is None else when(made)
        for suffix in ("last_used_date", "last_used_region", "last_used_service"):
            cells[f"access_key_{number}_{suffix}"] = "N/A"
    return cells


ROOT_CELLS = {column: "not_supported" for column in HEADER} | {
    "user": "<root_account>",
    "arn": f"arn:aws:iam::{ACCOUNT}:root",
    "user_creation_time": "2015-01-01T00:00:00+00:00",
}


def render(header: list[str], rows: list[list[str]], style: str, terminator: str = "\n") -> str:
    """The report's text: ``quote_all``, ``quote_minimal`` (csv module) or ``naive`` (joined
    with commas, no quoting at all, as moto writes it)."""
    if style == "naive":
        return "".join(",".join(cells) + terminator for cells in [header, *rows])
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if style == "quote_all" else csv.QUOTE_MINIMAL
    writer = csv.writer(out, quoting=quoting, lineterminator=terminator)
    writer.writerows([header, *rows])
    return out.getvalue()


def read_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """A well-formed report's header and rows (for crafting a report from moto's)."""
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    return header, [dict(zip(header, row, strict=True)) for row in rows if row]


def reworked_report(
    *,
    values: Mapping[str, Mapping[str, str]] | None = None,
    wider: Collection[str] = (),
    drop: Collection[str] = (),
    style: str = "quote_all",
) -> Callable[[str], str]:
    """A credential report change: moto's report (of users without commas in names or paths)
    with some users' values replaced, their rows made one field wider, columns dropped."""

    def rework(text: str) -> str:
        header, records = read_rows(text)
        kept = [column for column in header if column not in drop]
        rows = []
        for record in records:
            changed = record | dict((values or {}).get(record["user"], {}))
            rows.append([changed[column] for column in kept])
            if record["user"] in wider:
                rows[-1].append("surplus")
        return render(kept, rows, style)

    return rework


# -- hypothesis strategies --------------------------------------------------------------------
def iam_names() -> st.SearchStrategy[str]:
    return st.text(alphabet=NAME_CHARS, min_size=1, max_size=64)


def iam_paths() -> st.SearchStrategy[str]:
    segments = st.lists(st.text(alphabet=PATH_CHARS, min_size=1, max_size=10), max_size=3)
    return segments.map(lambda parts: "/" + "".join(f"{part}/" for part in parts))


def instants() -> st.SearchStrategy[datetime]:
    """Whole-second UTC times IAM could have written."""
    return st.datetimes(
        min_value=datetime(2010, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ).map(lambda moment: moment.replace(microsecond=0))


@st.composite
def report_users(draw: st.DrawFn, name: st.SearchStrategy[str] | None = None) -> ReportUser:
    password = draw(st.booleans())
    return ReportUser(
        name=draw(iam_names() if name is None else name),
        path=draw(iam_paths()),
        created=draw(instants()),
        password_enabled=password,
        password_last_used=draw(st.none() | instants()) if password else None,
        mfa_active=draw(st.booleans()),
        keys=tuple(draw(st.lists(st.tuples(st.booleans(), instants()), max_size=2))),
    )
