"""The credential report: no row can fail the run, no row can lie.

A row is used only when it fits and is this very user's (same ARN, name and creation time);
otherwise it is rejected with a reason and the collector reads the user per user. A column the
report lacks makes its fields unknown (``None``), never ``False`` or ``0``. The parser is tested
pure (examples and properties); then the graph, on moto, shows the rejections and the unknown
fields in the raw asset's metadata, the ``iam_fields_known`` check and the events.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iam_assets.collect.credential_report import (
    FIELD_COLUMNS,
    KEY_COLUMNS,
    CredentialReport,
    parse_credential_report,
)
from iam_assets.collect.report_csv import NO_VALUE
from iam_assets.defs.aws_resource import IAMResource
from iam_assets.defs.check_results import collection_result
from iam_assets.defs.destinations import SekoiaIntakeResource
from iam_assets.defs.ocsf_resource import OCSFProfileResource
from iam_assets.demo.seed import DEMO_USERS, seed_users
from iam_assets_tests.support.credential_reports import (
    ACCOUNT,
    HEADER,
    ROOT_CELLS,
    STYLES,
    ReportUser,
    iam_names,
    iam_time,
    render,
    report_cells,
    report_users,
    reworked_report,
)
from iam_assets_tests.support.graph import ASSETS, CHECKS

BOB = ReportUser(
    "bob",
    "/people/",
    datetime(2020, 6, 4, 10, tzinfo=UTC),
    password_enabled=True,
    password_last_used=datetime(2025, 8, 26, 9, 30, tzinfo=UTC),
    keys=(
        (True, datetime(2021, 3, 15, 14, 30, tzinfo=UTC)),
        (False, datetime(2020, 6, 4, 10, tzinfo=UTC)),
    ),
)
ALICE = ReportUser("alice", "/", datetime(2019, 1, 2, 3, 4, 5, tzinfo=UTC), mfa_active=True)
# ReportRow attribute and the truth it must hold, for each raw field the report answers.
FIELDS = {
    "ConsoleAccessEnabled": ("password_enabled", lambda user: user.password_enabled),
    "PasswordLastUsed": ("password_last_used", lambda user: user.password_last_used),
    "MFAActive": ("mfa_active", lambda user: user.mfa_active),
    "AccessKeys": ("access_keys", lambda user: user.expected_keys()),
}


def report(*rows, header=HEADER, style="quote_minimal") -> CredentialReport:
    """A report of ``rows`` (column -> value) under ``header``; absent columns are empty."""
    lines = [[cells.get(column, "") for column in header] for cells in rows]
    return parse_credential_report(render(list(header), lines, style))


def cells(person: ReportUser, **changes: str) -> dict[str, str]:
    return report_cells(person) | changes


def lookup(parsed: CredentialReport, user: ReportUser):
    return parsed.row_for(user.name, user.arn, user.created)


def assert_right(row, user: ReportUser, unknown=()) -> None:
    """Every field of ``row`` is the user's truth, or ``None`` when its column is absent."""
    assert row is not None
    assert (row.arn, row.created) == (user.arn, user.created)
    for raw_field, (attribute, truth) in FIELDS.items():
        expected = None if raw_field in unknown else truth(user)
        assert getattr(row, attribute) == expected, raw_field


def test_iam_rows_are_read_and_the_root_row_skipped():
    parsed = report(ROOT_CELLS, cells(BOB), cells(ALICE))
    for user in (BOB, ALICE):
        row, reason = lookup(parsed, user)
        assert reason is None
        assert_right(row, user)
    assert parsed.unknown_fields == {} and parsed.rejected == () and parsed.notes == ()
    assert lookup(parsed, ReportUser("carol", "/", BOB.created)) == (None, None)  # created later


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("mfa_active", "maybe"),
        ("mfa_active", ""),
        ("password_enabled", "maybe"),
        ("password_enabled", "N/A"),
        ("access_key_1_active", "N/A"),
        ("password_last_used", "yesterday"),
        ("password_last_used", "2025-08-26"),  # no time of day
        ("password_last_used", "2025-08-26T09:30:00"),  # no offset: which zone?
        ("access_key_2_last_rotated", "2021-13-45T00:00:00+00:00"),
        ("access_key_1_last_rotated", "N/A"),  # an active key with no creation time
        ("user_creation_time", "not_supported"),
        ("user_creation_time", "9999-12-31T23:59:59-05:00"),  # beyond any datetime in UTC
        ("password_last_used", "1970-01-01T00:00:00+00:00"),  # before AWS
    ],
)
def test_a_value_that_does_not_fit_rejects_the_row_and_never_raises(column, value):
    parsed = report(cells(BOB, **{column: value}), cells(ALICE))
    row, reason = lookup(parsed, BOB)
    assert row is None
    assert column in reason
    assert_right(lookup(parsed, ALICE)[0], ALICE)  # the other rows are untouched


@pytest.mark.parametrize(
    ("change", "style"),
    [
        ("comma", "naive"),  # a comma in the name and path splits an unquoted row
        ("wider", "naive"),
        ("wider", "quote_all"),
        ("narrower", "naive"),
        ("narrower", "quote_all"),
    ],
)
def test_a_row_of_the_wrong_width_is_rejected_and_found_by_its_arn(change, style):
    odd = ReportUser("ops,admin", "/a,b/", BOB.created, mfa_active=True)
    row = [report_cells(odd)[column] for column in HEADER]
    if change == "wider":
        row.append("surplus")
    elif change == "narrower":
        row.pop()
    parsed = parse_credential_report(
        render(list(HEADER), [row, [report_cells(ALICE)[c] for c in HEADER]], style)
    )
    found, reason = lookup(parsed, odd)
    assert found is None
    assert "fields, the header 22" in reason
    assert_right(lookup(parsed, ALICE)[0], ALICE)


def test_a_comma_in_a_quoted_row_is_data():
    odd = ReportUser("ops,admin", '/a,"b"/', BOB.created, mfa_active=True)
    parsed = report(cells(odd), style="quote_minimal")
    assert_right(lookup(parsed, odd)[0], odd)


def test_rows_are_joined_by_arn_not_by_name():
    moved = ReportUser(BOB.name, "/former-team/", BOB.created)  # same name, another ARN
    row, reason = lookup(report(cells(moved)), BOB)
    assert row is None and "former-team" in reason
    renamed = cells(BOB, user="robert")  # BOB's ARN, another name
    row, reason = lookup(report(renamed), BOB)
    assert row is None and "robert" in reason


def test_a_stale_row_is_rejected():
    """Deleted and re-created under the same name within IAM's 4 h report reuse window: the
    row describes the old user (here with MFA and a password the new one does not have)."""
    old = ReportUser(
        ALICE.name, ALICE.path, ALICE.created - timedelta(hours=2), password_enabled=True
    )
    row, reason = lookup(report(cells(old)), ALICE)
    assert row is None
    assert reason.startswith("stale row") and "2019-01-02T01:04:05Z" in reason


def test_creation_times_compare_as_utc_instants_to_the_second():
    east = cells(ALICE, user_creation_time="2019-01-02T05:04:05+02:00")
    assert_right(lookup(report(east), ALICE)[0], ALICE)
    moto_precision = ALICE.created + timedelta(microseconds=654321)  # CreateDate has sub-seconds
    assert report(cells(ALICE)).row_for(ALICE.name, ALICE.arn, moto_precision)[0] is not None


@pytest.mark.parametrize("raw_field", sorted(FIELD_COLUMNS))
def test_a_column_the_report_lacks_makes_its_field_unknown_never_false_or_zero(raw_field):
    dropped = FIELD_COLUMNS[raw_field][-1]
    header = [column for column in HEADER if column != dropped]
    parsed = report(cells(BOB), cells(ALICE), header=header)
    assert parsed.unknown_fields == {raw_field: f"the credential report has no {dropped} column"}
    for user in (BOB, ALICE):
        assert_right(lookup(parsed, user)[0], user, unknown={raw_field})


def test_a_column_given_twice_is_ambiguous_hence_unknown():
    header = [*HEADER, "mfa_active"]
    parsed = report(cells(BOB), header=header)
    assert "more than once" in parsed.unknown_fields["MFAActive"]
    assert_right(lookup(parsed, BOB)[0], BOB, unknown={"MFAActive"})


@pytest.mark.parametrize("missing", KEY_COLUMNS)
def test_without_arn_or_creation_time_no_row_is_used(missing):
    header = [column for column in HEADER if column != missing]
    parsed = report(cells(BOB), header=header)
    for user in (BOB, ALICE):  # ALICE has no row: she may be in what could not be read
        row, reason = lookup(parsed, user)
        assert row is None and missing in reason


def test_two_rows_for_one_user_are_not_chosen_between():
    twin = cells(BOB, mfa_active="true")
    row, reason = lookup(report(cells(BOB), twin, cells(ALICE)), BOB)
    assert row is None and "2 rows" in reason


def test_columns_are_found_by_name_in_any_order_case_and_quoting():
    header = ["Extra", *reversed(HEADER), "cert_3_active"]
    shouted = [f" {column.upper()} " for column in header]
    lines = [[cells(user).get(column, "x") for column in header] for user in (BOB, ALICE)]
    text = "\ufeff" + render(shouted, lines, "quote_all", terminator="\r\n")
    parsed = parse_credential_report(text.encode("utf-8"))
    for user in (BOB, ALICE):
        assert_right(lookup(parsed, user)[0], user)


def test_bytes_that_are_not_utf8_reject_their_row_not_the_report():
    text = render(list(HEADER), [[cells(u)[c] for c in HEADER] for u in (BOB, ALICE)], "naive")
    broken = text.encode().replace(b"bob,arn", b"bob,arn\xff")
    parsed = parse_credential_report(broken)
    row, reason = lookup(parsed, BOB)
    assert row is None and "UTF-8" in reason
    assert_right(lookup(parsed, ALICE)[0], ALICE)


@pytest.mark.parametrize("content", ["", b"", "\n\n", b"\xff\xfe\x00", "just some text", '"'])
def test_an_empty_or_foreign_report_is_no_row_for_anyone(content):
    row, reason = lookup(parse_credential_report(content), BOB)
    assert row is None and reason


@pytest.mark.slow
# -- properties -------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=400) | st.text(max_size=400), name=iam_names())
def test_any_content_parses_without_raising(content, name):
    parsed = parse_credential_report(content)
    parsed.row_for(name, f"arn:aws:iam::{ACCOUNT}:user/{name}", BOB.created)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.lists(st.text(max_size=30), max_size=24), max_size=6),
    style=st.sampled_from(STYLES),
)
def test_rows_of_any_cells_under_iam_header_parse_without_raising(rows, style):
    parsed = parse_credential_report(render(list(HEADER), rows, style))
    for row in parsed.rows:
        parsed.row_for(row.user or "x", row.arn, row.created)
        assert row.created.tzinfo is UTC
        keys = row.access_keys or ()
        assert all(key["Status"] in {"Active", "Inactive"} for key in keys)


FLAG_COLUMNS = ("password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active")
TIME_COLUMNS = (
    "user_creation_time",
    "password_last_used",
    "access_key_1_last_rotated",
    "access_key_2_last_rotated",
)
FIELD_OF = {column: name for name, columns in FIELD_COLUMNS.items() for column in columns}
# Garbage holds no quote nor line break: an unquoting writer would then break other rows too.
PLAIN = st.characters(exclude_characters='"\r\n', exclude_categories=("Cs",))
NO_DIGIT = st.characters(exclude_characters='"\r\n', exclude_categories=("Cs", "Nd"))


def garbage(column: str, user: ReportUser) -> st.SearchStrategy[str]:
    """A value that does not fit ``column`` (and is not one IAM could mean something by)."""
    if column in FLAG_COLUMNS:
        fixed = st.sampled_from(["maybe", "", "yes", "1", "N/A", "no_information", "TRUE!"])
        return fixed | st.text(PLAIN, max_size=8).filter(
            lambda text: text.strip().lower() not in {"true", "false"}
        )
    if column in TIME_COLUMNS:
        fixed = st.sampled_from(
            [
                "yesterday",
                "",
                "2020-06-04",
                "2020-06-04T10:00:00",
                "2020-13-45T00:00:00+00:00",
                "2020-06-04T25:00:00Z",
                "1999-12-31T23:59:59+00:00",
                "9999-12-31T23:59:59-05:00",
            ]
        )
        return fixed | st.text(NO_DIGIT, max_size=12).filter(lambda t: t.strip() not in NO_VALUE)
    if column == "user":
        return st.text(PLAIN, max_size=10).map(lambda text: "~" + text)  # never an IAM name
    moved = f"arn:aws:iam::{ACCOUNT}:user/~moved~/{user.name}"
    return st.sampled_from(["", "not-an-arn", moved])


@st.composite
def crafted_reports(draw):
    """A report of random users written with a random style, columns dropped, repeated, added
    and shuffled, and some rows corrupted; with what the parser must make of each user."""
    users = draw(st.lists(report_users(), max_size=5, unique_by=lambda user: user.name.lower()))
    dropped = draw(st.sets(st.sampled_from(HEADER), max_size=3))
    repeated = draw(st.none() | st.sampled_from(HEADER).filter(lambda c: c not in dropped))
    extras = draw(st.lists(st.sampled_from(["cert_3_active", "Notes"]), max_size=2, unique=True))
    order = draw(st.permutations([c for c in HEADER if c not in dropped] + extras))
    order += [repeated] if repeated else []
    offset = draw(st.sampled_from([timedelta(0), timedelta(hours=2), -timedelta(hours=5.5)]))
    no_value = draw(st.sampled_from(sorted(NO_VALUE)))
    style = draw(st.sampled_from(STYLES))
    absent = set(dropped) | ({repeated} if repeated else set())
    rows, corrupted, must_say_why = [[ROOT_CELLS.get(c, "x") for c in order]], set(), set()
    for user in users:
        values = report_cells(user, offset, no_value)
        kind = draw(st.sampled_from(["none", "value", "stale", "duplicate", "wider", "narrower"]))
        column = draw(st.sampled_from(("user", "arn", *FLAG_COLUMNS, *TIME_COLUMNS)))
        if kind == "value":
            values[column] = draw(garbage(column, user))
            used = column in {"user", "arn", "user_creation_time"} or FIELD_OF[column] not in {
                FIELD_OF[c] for c in absent if c in FIELD_OF
            }
            if column in absent or not used or values[column] == report_cells(user)[column]:
                kind = "none"
        elif kind == "stale":
            shift = timedelta(seconds=draw(st.integers(1, 4 * 3600) | st.integers(-4 * 3600, -1)))
            values["user_creation_time"] = iam_time(user.created + shift, offset)
        row = [values.get(c, "x") for c in order]
        rows += [row, row] if kind == "duplicate" else [row]
        if kind == "wider":
            row.append("surplus")
        elif kind == "narrower":
            row.pop()
        if kind != "none":
            corrupted.add(user.name)
            named = not (kind == "narrower" and order[-1] == "arn") and not (
                kind == "value" and column == "arn" and ("user" in absent or style == "naive")
            )
            if named:
                must_say_why.add(user.name)
    header = [c.upper() if draw(st.booleans()) else c for c in order]
    text = render(header, rows, style, draw(st.sampled_from(["\n", "\r\n"])))
    damaged = any(len(row) != len(order) for row in rows) or (
        style == "naive" and any("," in cell for row in rows for cell in row)
    )
    return text, users, absent, corrupted, must_say_why, damaged


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(crafted_reports())
def test_every_field_is_right_or_unknown_and_no_row_fails_the_parse(crafted):
    text, users, absent, corrupted, must_say_why, damaged = crafted
    parsed = parse_credential_report(text)
    unknown = {field for field, columns in FIELD_COLUMNS.items() if absent & set(columns)}
    gap = bool(absent & set(KEY_COLUMNS))
    if not gap:
        assert set(parsed.unknown_fields) == unknown
    for user in users:
        row, reason = lookup(parsed, user)
        if gap or user.name in corrupted:
            assert row is None, user.name  # never guessed
            if gap or user.name in must_say_why:
                assert reason, user.name  # and listed with why
        elif not damaged:
            assert row is not None, reason  # a clean row is used
        if row is not None:
            assert_right(row, user, unknown)
            assert reason is None


@settings(max_examples=50, deadline=None)
@given(names=st.lists(iam_names(), min_size=1, max_size=4, unique_by=str.lower), data=st.data())
def test_any_iam_name_and_path_round_trips_through_a_quoted_report(names, data):
    users = [data.draw(report_users(name=st.just(name))) for name in names]
    style = data.draw(st.sampled_from(["quote_all", "quote_minimal"]))
    parsed = parse_credential_report(
        render(list(HEADER), [[report_cells(u)[c] for c in HEADER] for u in users], style)
    )
    for user in users:
        assert_right(lookup(parsed, user)[0], user)


@pytest.mark.slow
# -- in the graph -----------------------------------------------------------------------------
def test_rejected_rows_and_absent_columns_reach_metadata_check_and_events(
    iam_admin, iam_proxy, state
):
    seed_users(iam_admin, DEMO_USERS)
    iam_proxy.replace_credential_report(
        reworked_report(
            values={"bob.no-mfa": {"mfa_active": "maybe"}}, drop=FIELD_COLUMNS["AccessKeys"]
        )
    )
    iam = IAMResource(endpoint_url=iam_proxy.url, max_attempts=2, strategy="bulk")
    graph = [*ASSETS[:3], *CHECKS]  # up to the events: delivery is not under test here
    unused = SekoiaIntakeResource(intake_key="not-used-here")  # the size check reads its limit
    resources = {"iam": iam, "state": state, "ocsf": OCSFProfileResource(), "intake": unused}
    result = dg.materialize(graph, resources=resources)
    assert result.success  # a report that does not fit fails nothing

    (raw,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("raw_iam_users")
    ]
    assert raw.metadata["credential_report_rows_rejected"].value == 1
    rejected = raw.metadata["credential_report_rows_rejected_users"].value
    assert list(rejected) == ["bob.no-mfa"] and "mfa_active is 'maybe'" in rejected["bob.no-mfa"]
    assert raw.metadata["unknown_fields"].value == {"AccessKeys": len(DEMO_USERS) - 1}

    check = next(
        c for c in result.get_asset_check_evaluations() if c.check_name == "iam_fields_known"
    )
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["report_rows_rejected"].value == 1
    assert "bob.no-mfa" in check.metadata["failing_users"].value
    assert "bob.no-mfa` | `credential report row`" in check.metadata["details"].value

    events = {e["user"]["name"]: e for e in result.output_for_node("ocsf_user_inventory")}
    bob = events.pop("bob.no-mfa")["user"]  # read per user: right, keys included
    assert (bob["is_console_user"], bob["has_mfa"], bob["access_keys_count"]) == (True, False, 0)
    assert {event["user"]["access_keys_count"] for event in events.values()} == {None}


def test_a_rejected_row_alone_fails_iam_fields_known_as_a_warning():
    users = [{"UserName": "bob", "UnknownFields": {}}]
    warned = collection_result(users, {"bob": "stale row: user_creation_time 2020-01-01T00:00:00Z"})
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert warned.metadata["failing_users"].value == ["bob"]
    assert "stale row" in warned.description
    assert collection_result(users, {}).passed
