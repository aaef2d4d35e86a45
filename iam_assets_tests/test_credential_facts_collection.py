"""The credential facts, collected: access keys' last use, signing certificates, SSH
public keys, service-specific credentials, MFA devices and their kind, permissions boundaries and
the root user, read the same by both strategies; a denied call leaves its fact unknown and named.

moto serves IAM on loopback behind the IAM proxy, which answers what moto lacks
(``support/iam_simulated.py``). A key is "used" the way IAM sees it: a request signed with it.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from iam_assets.collect import collector
from iam_assets.collect.client import build_iam_client
from iam_assets.collect.collector import collect_users
from iam_assets.collect.credential_report import FIELD_COLUMNS, parse_credential_report
from iam_assets.demo.seed_credentials import certificate, mfa_serial, ssh_key
from iam_assets_tests.support.credential_account import (
    BOUNDARY,
    SERVICES,
    create_boundary_policy,
    seed_credential_account,
    use_key,
)
from iam_assets_tests.support.credential_reports import (
    ACCOUNT,
    HEADER,
    ROOT_CELLS,
    ReportUser,
    iam_time,
    render,
    report_cells,
)
from iam_assets_tests.support.iam_proxy import IAMProxy
from iam_assets_tests.support.iam_simulated import RootUser
from iam_assets_tests.support.strategies import comparable

MINIMUM_POLICY = Path(collector.__file__).with_name("iam_policy_minimum.json")


def collect(proxy, strategy, **kwargs):
    client = build_iam_client(endpoint_url=proxy.url, max_attempts=2)
    return collect_users(client, strategy=strategy, report_poll_seconds=0.05, **kwargs)


def by_name(result):
    return {user["UserName"]: user for user in result.users}


@pytest.fixture
def credential_account(iam_admin, iam_proxy, moto_endpoint):
    via_proxy = boto3.client("iam", endpoint_url=iam_proxy.url, region_name="us-east-1")
    seed_credential_account(iam_admin, via_proxy, moto_endpoint)
    iam_proxy.actions.clear()
    return iam_proxy


def test_both_strategies_read_every_credential_fact_alike(credential_account):
    per_user = collect(credential_account, "per_user")
    bulk = collect(credential_account, "bulk")
    assert [comparable(u) for u in bulk.users] == [comparable(u) for u in per_user.users]
    users = by_name(bulk)
    assert all(user["UnknownFields"] == {} for user in users.values())

    keys = {key["Status"]: key for key in users["kim.keys"]["AccessKeys"]}
    assert (keys["Active"]["LastUsedService"], keys["Active"]["LastUsedRegion"]) == (
        "sts",
        "eu-west-3",
    )
    assert keys["Active"]["LastUsedDate"] >= keys["Active"]["CreateDate"]
    assert keys["Inactive"]["LastUsedDate"] is None  # never used: None, and not unknown
    assert keys["Inactive"]["LastUsedService"] is None

    ssh = users["ssh.sam"]["SSHPublicKeys"]
    assert sorted(key["Status"] for key in ssh) == ["Active", "Inactive"]
    assert all(key["SSHPublicKeyId"].startswith("APKA") for key in ssh)
    certificates = users["cert.carl"]["SigningCertificates"]
    assert sorted(c["Status"] for c in certificates) == ["Active", "Inactive"]
    assert all(c["UploadDate"].endswith("Z") for c in certificates)
    services = {
        c["ServiceName"]: c["Status"] for c in users["svc.sue"]["ServiceSpecificCredentials"]
    }
    assert services == {SERVICES[0]: "Active", SERVICES[2]: "Inactive"}
    mia = users["mfa.mia"]
    assert mia["MFAActive"] is True
    assert sorted(device["Kind"] for device in mia["MFADevices"]) == ["fido", "hardware", "virtual"]
    assert users["svc.sue"]["PermissionsBoundary"] == BOUNDARY
    plain = users["plain.pat"]
    assert plain["PermissionsBoundary"] == ""  # known to have none
    for listing in ("AccessKeys", "MFADevices", "SigningCertificates", "SSHPublicKeys"):
        assert plain[listing] == [], listing
    assert plain["ServiceSpecificCredentials"] == []
    # Per-user calls in bulk: SSH keys of every user, MFA devices of the MFA user only.
    assert bulk.calls["ListSSHPublicKeys"] == len(users)
    assert bulk.calls["ListMFADevices"] == 1
    assert bulk.calls["ListServiceSpecificCredentials"] == 1  # AllUsers
    assert "GetAccessKeyLastUsed" not in bulk.calls and "GetUser" not in bulk.calls


# (strategy, denied action, the field it leaves unknown, the user who shows it). A per-user
# denial of a call bulk makes too is slow: its bulk twin keeps that fact in `make test-fast`.
SLOW = pytest.mark.slow
DENIALS = [
    ("per_user", "GetAccessKeyLastUsed", "AccessKeys[].LastUsed", "kim.keys"),
    ("per_user", "ListSigningCertificates", "SigningCertificates", "cert.carl"),
    pytest.param("per_user", "ListSSHPublicKeys", "SSHPublicKeys", "ssh.sam", marks=SLOW),
    pytest.param(
        "per_user",
        "ListServiceSpecificCredentials",
        "ServiceSpecificCredentials",
        "svc.sue",
        marks=SLOW,
    ),
    pytest.param("per_user", "ListMFADevices", "MFADevices", "mfa.mia", marks=SLOW),
    ("per_user", "GetUser", "PermissionsBoundary", "svc.sue"),
    ("bulk", "ListSSHPublicKeys", "SSHPublicKeys", "ssh.sam"),
    ("bulk", "ListServiceSpecificCredentials", "ServiceSpecificCredentials", "svc.sue"),
    ("bulk", "ListMFADevices", "MFADevices", "mfa.mia"),
]


@pytest.mark.parametrize(("strategy", "action", "raw_field", "holder"), DENIALS)
def test_a_denied_call_leaves_its_fact_unknown_and_named(
    credential_account, strategy, action, raw_field, holder
):
    truth = by_name(collect(credential_account, strategy))
    credential_account.fail(action)
    users = by_name(collect(credential_account, strategy))
    reason = f"AccessDenied on iam:{action}"
    user = users[holder]
    assert user["UnknownFields"][raw_field] == reason
    if raw_field == "AccessKeys[].LastUsed":
        # The keys are known; only their last use is not (never "never used").
        assert [k["Status"] for k in user["AccessKeys"]] == [
            k["Status"] for k in truth[holder]["AccessKeys"]
        ]
        assert all(k["LastUsedDate"] is None for k in user["AccessKeys"])
    else:
        assert user[raw_field] is None  # unknown, never [] nor ""
    for name, other in users.items():  # the other facts are still read
        unknown = set(other["UnknownFields"]) | {"UnknownFields"}
        if "MFADevices" in unknown and strategy == "per_user":
            unknown.add("MFAActive")  # per user, MFA is known from the devices alone
        if "AccessKeys[].LastUsed" in unknown:
            unknown.add("AccessKeys")
        if "PermissionsBoundary" in unknown:
            unknown.add("Policies")  # the boundary's document is among them
        for field_name, value in other.items():
            if field_name not in unknown:
                assert value == truth[name][field_name], (name, field_name)
    if strategy == "bulk" and raw_field == "MFADevices":
        # Only users whose report says MFA are listed: the others' [] is known, not a default.
        assert users["plain.pat"]["MFADevices"] == []
        assert "MFADevices" not in users["plain.pat"]["UnknownFields"]


def test_the_page_s_minimum_policy_leaves_keys_last_use_and_managed_documents_unknown(
    credential_account,
):
    minimum = json.loads(MINIMUM_POLICY.read_text())
    granted = {a.split(":")[1] for s in minimum["Statement"] for a in s["Action"]}
    for action in {a.split(":")[1] for a in collector.IAM_ACTIONS} - granted:
        credential_account.fail(action)
    result = collect(credential_account, "auto")
    assert result.strategy == "per_user"  # the bulk APIs are not on the page's list
    # kim.keys, the key owner; svc.sue's boundary, a managed policy (no GetPolicy on the page)
    assert result.unknown_fields == {
        "AccessKeys[].LastUsed": 1,
        "Policies[boundary:developer-boundary]": 1,
    }
    assert result.root_account["Source"] == "GetAccountSummary"


@pytest.mark.slow
def test_bulk_lists_each_user_s_service_credentials_where_all_users_is_not_taken(
    credential_account,
):
    credential_account.fail(
        "ListServiceSpecificCredentials",
        "InvalidInput",
        400,
        when=lambda params: params.get("AllUsers") == "true",
    )
    bulk = collect(credential_account, "bulk")
    per_user = collect(credential_account, "per_user")
    assert bulk.calls["ListServiceSpecificCredentials"] == 1 + len(bulk.users)
    assert [comparable(u) for u in bulk.users] == [comparable(u) for u in per_user.users]


def test_an_active_certificate_without_a_time_is_listed_for_that_user_only(credential_account):
    """moto writes ``N/A`` as an active certificate's time; IAM never does. Rather than reject
    the whole row, the bulk strategy lists that user's certificates."""
    credential_account.complete_reports = False
    bulk = collect(credential_account, "bulk")
    assert bulk.calls["ListSigningCertificates"] == 1
    assert bulk.report_rows_rejected == {}
    certificates = by_name(bulk)["cert.carl"]["SigningCertificates"]
    assert sorted(c["Status"] for c in certificates) == ["Active", "Inactive"]


# -- the root user ------------------------------------------------------------------------
ROOT = RootUser(
    mfa_active=False,
    access_keys=(True, False),
    certificates=(True,),
    password_last_used=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
    key_last_used=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
)


def test_the_root_user_from_the_report_and_from_the_account_summary(iam_admin, iam_proxy):
    iam_admin.create_user(UserName="someone")
    iam_proxy.root = ROOT
    bulk = collect(iam_proxy, "bulk")
    assert bulk.root_account == {
        "MFAActive": False,
        "ActiveAccessKeys": 1,  # one active, one inactive
        "ActiveSigningCertificates": 1,
        "PasswordLastUsed": "2026-03-01T09:00:00Z",
        "AccessKeysPresent": True,
        "AccessKeyLastUsed": "2026-03-02T10:00:00Z",
        "Source": "credential report",
        "UnknownFields": {},
    }
    assert "GetAccountSummary" not in bulk.calls
    per_user = collect(iam_proxy, "per_user")
    # GetAccountSummary says keys and certificates are present, not whether they are active.
    assert per_user.root_account == {
        "MFAActive": False,
        "ActiveAccessKeys": None,
        "ActiveSigningCertificates": None,
        "PasswordLastUsed": None,
        "AccessKeysPresent": True,  # present, active or not: what the root-key control reads
        "AccessKeyLastUsed": None,
        "Source": "GetAccountSummary",
        "UnknownFields": {
            "PasswordLastUsed": "GetAccountSummary does not tell the root password's last use",
            "AccessKeyLastUsed": "GetAccountSummary does not tell the root access keys' last"
            " use",
            "ActiveAccessKeys": "GetAccountSummary says AccountAccessKeysPresent=1: some exist,"
            " active or not",
            "ActiveSigningCertificates": "GetAccountSummary says"
            " AccountSigningCertificatesPresent=1: some exist, active or not",
        },
    }


def test_an_inactive_root_key_is_never_reported_as_an_active_one(iam_admin, iam_proxy):
    iam_admin.create_user(UserName="someone")
    iam_proxy.root = RootUser(mfa_active=True, access_keys=(False,))
    assert collect(iam_proxy, "bulk").root_account["ActiveAccessKeys"] == 0  # the report tells
    root = collect(iam_proxy, "per_user").root_account  # GetAccountSummary: "present"
    assert root["ActiveAccessKeys"] is None and "ActiveAccessKeys" in root["UnknownFields"]


def test_a_report_without_a_root_row_asks_the_account_summary(iam_admin, iam_proxy):
    iam_admin.create_user(UserName="someone")
    iam_proxy.root = RootUser(mfa_active=True)
    iam_proxy.replace_credential_report(
        lambda text: "".join(
            line for line in text.splitlines(keepends=True) if "<root_account>" not in line
        )
    )
    result = collect(iam_proxy, "bulk")
    assert result.calls["GetAccountSummary"] == 1
    assert result.root_account["Source"] == "GetAccountSummary"
    assert (result.root_account["MFAActive"], result.root_account["ActiveAccessKeys"]) == (True, 0)


def test_a_denied_account_summary_leaves_the_root_user_unknown(iam_admin, iam_proxy):
    iam_admin.create_user(UserName="someone")
    iam_proxy.fail("GetAccountSummary")
    root = collect(iam_proxy, "per_user").root_account
    assert root["Source"] == "unknown"
    facts = (
        *("MFAActive", "ActiveAccessKeys", "ActiveSigningCertificates", "PasswordLastUsed"),
        *("AccessKeysPresent", "AccessKeyLastUsed"),
    )
    assert all(root[fact] is None for fact in facts)  # never False nor 0
    assert root["UnknownFields"] == dict.fromkeys(facts, "AccessDenied on iam:GetAccountSummary")


# -- the credential report's new columns, read by header ----------------------------------
BOB = ReportUser(
    "bob",
    "/people/",
    datetime(2020, 6, 4, 10, tzinfo=UTC),
    keys=((True, datetime(2021, 3, 15, 14, 30, tzinfo=UTC)),),
)
USED = {
    "access_key_1_last_used_date": "2026-01-02T03:04:00+00:00",
    "access_key_1_last_used_region": "eu-west-3",
    "access_key_1_last_used_service": "s3",
    "cert_1_active": "true",
    "cert_1_last_rotated": "2022-02-02T02:02:02+00:00",
    "cert_2_active": "false",
    "cert_2_last_rotated": "2021-01-01T00:00:00+00:00",
}


def parsed_row(header, cells, style="quote_minimal"):
    report = parse_credential_report(render(list(header), [[cells[c] for c in header]], style))
    return report, report.row_for(BOB.name, BOB.arn, BOB.created)[0]


@settings(max_examples=40, deadline=None)
@given(
    order=st.permutations(HEADER),
    upper=st.booleans(),
    style=st.sampled_from(["quote_all", "quote_minimal", "naive"]),
    offset=st.sampled_from([timedelta(0), timedelta(hours=2), -timedelta(hours=5, minutes=30)]),
)
def test_key_use_and_certificates_are_read_by_header_in_any_order(order, upper, style, offset):
    cells = report_cells(BOB, offset) | USED
    cells["access_key_1_last_used_date"] = iam_time(datetime(2026, 1, 2, 3, 4, tzinfo=UTC), offset)
    header = [c.upper() if upper else c for c in order]
    report, row = parsed_row(
        header, {h: cells[c] for h, c in zip(header, order, strict=True)}, style
    )
    assert report.unknown_fields == {}
    assert row.key_last_used == (
        {
            "LastUsedDate": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
            "Region": "eu-west-3",
            "ServiceName": "s3",
        },
    )
    assert row.signing_certificates == (
        {
            "CertificateId": None,
            "Status": "Active",
            "UploadDate": datetime(2022, 2, 2, 2, 2, 2, tzinfo=UTC),
        },
        {
            "CertificateId": None,
            "Status": "Inactive",
            "UploadDate": datetime(2021, 1, 1, tzinfo=UTC),
        },
    )


@pytest.mark.parametrize("raw_field", ["AccessKeys[].LastUsed", "SigningCertificates"])
@pytest.mark.parametrize("position", [0, -1])
def test_a_report_without_a_new_column_leaves_its_fact_unknown(raw_field, position):
    dropped = FIELD_COLUMNS[raw_field][position]
    header = [c for c in HEADER if c != dropped]
    report, row = parsed_row(header, report_cells(BOB) | USED)
    assert report.unknown_fields == {raw_field: f"the credential report has no {dropped} column"}
    attribute = "key_last_used" if raw_field == "AccessKeys[].LastUsed" else "signing_certificates"
    assert getattr(row, attribute) is None  # unknown, never () nor "never used"
    assert row.access_keys is not None  # the rest of the row is used


def test_a_key_never_used_and_no_certificate_are_known_empty():
    _report, row = parsed_row(HEADER, report_cells(BOB))  # IAM writes N/A for both
    assert row.key_last_used == ({"LastUsedDate": None, "Region": None, "ServiceName": None},)
    assert row.signing_certificates == ()


def test_a_last_use_that_is_not_a_time_rejects_the_row():
    _report, row = parsed_row(
        HEADER, report_cells(BOB) | {"access_key_1_last_used_date": "yesterday"}
    )
    assert row is None


ROOT_ROW = ROOT_CELLS | {
    "mfa_active": "true",
    "access_key_1_active": "true",
    "access_key_1_last_rotated": "2016-01-01T00:00:00+00:00",
    "access_key_2_active": "false",
    "cert_1_active": "false",
    "cert_2_active": "false",
    "password_last_used": "2026-02-03T04:05:06+00:00",
}


def test_the_root_row_is_read_by_header_and_an_unreadable_value_is_unknown():
    text = render(list(HEADER), [[ROOT_ROW[c] for c in HEADER]], "naive")
    assert parse_credential_report(text).root == {
        "MFAActive": True,
        "ActiveAccessKeys": 1,
        "ActiveSigningCertificates": 0,
        "PasswordLastUsed": "2026-02-03T04:05:06Z",
        "AccessKeysPresent": True,
        "AccessKeyLastUsed": None,  # never used (N/A)
        "Source": "credential report",
        "UnknownFields": {},
    }
    header = [c for c in HEADER if c != "cert_2_active"]
    odd = ROOT_ROW | {"mfa_active": "not_supported"}
    root = parse_credential_report(render(header, [[odd[c] for c in header]], "naive")).root
    assert root["MFAActive"] is None and root["ActiveSigningCertificates"] is None
    assert "mfa_active" in root["UnknownFields"]["MFAActive"]
    assert root["UnknownFields"]["ActiveSigningCertificates"] == (
        "the credential report has no cert_2_active column"
    )
    assert root["ActiveAccessKeys"] == 1


# -- any mix of credentials, both strategies -------------------------------------------------
@st.composite
def credential_mixes(draw):
    """Per user: keys (active?, used in which region?), SSH keys and certificates (active?),
    service credentials (service, active?), MFA kinds, a boundary or not."""
    return {
        "keys": draw(
            st.lists(
                st.tuples(st.booleans(), st.none() | st.sampled_from(["us-east-1", "eu-west-3"])),
                max_size=2,
            )
        ),
        "ssh": draw(st.lists(st.booleans(), max_size=2)),
        "certs": draw(st.lists(st.booleans(), max_size=2)),
        "services": draw(st.lists(st.tuples(st.sampled_from(SERVICES), st.booleans()), max_size=2)),
        "mfa": draw(
            st.lists(st.sampled_from(["virtual", "hardware", "fido"]), max_size=2, unique=True)
        ),
        "boundary": draw(st.booleans()),
    }


@pytest.mark.slow
@settings(max_examples=6, deadline=None)
@given(mixes=st.lists(credential_mixes(), min_size=1, max_size=3))
def test_any_mix_of_credentials_reads_alike_in_both_strategies(moto_endpoint, mixes):
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    admin = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    proxy = IAMProxy(moto_endpoint).start()
    try:
        via_proxy = boto3.client("iam", endpoint_url=proxy.url, region_name="us-east-1")
        for index, mix in enumerate(mixes):
            seed_mix(admin, via_proxy, moto_endpoint, f"user-{index}", mix)
        per_user = collect(proxy, "per_user")
        bulk = collect(proxy, "bulk")
    finally:
        proxy.stop()
    assert [comparable(u) for u in bulk.users] == [comparable(u) for u in per_user.users]
    for user, mix in zip(bulk.users, mixes, strict=True):
        assert user["UnknownFields"] == {}
        keys = sorted(user["AccessKeys"], key=lambda k: k["CreateDate"])
        assert [(k["Status"] == "Active", k["LastUsedRegion"]) for k in keys] == [
            (active, region) for active, region in mix["keys"]
        ]
        assert [k["Status"] == "Active" for k in user["SSHPublicKeys"]] == mix["ssh"]
        assert sorted(c["Status"] == "Active" for c in user["SigningCertificates"]) == sorted(
            mix["certs"]
        )
        assert [
            (c["ServiceName"], c["Status"] == "Active") for c in user["ServiceSpecificCredentials"]
        ] == mix["services"]
        assert sorted(d["Kind"] for d in user["MFADevices"]) == sorted(mix["mfa"])
        assert user["MFAActive"] is bool(mix["mfa"])
        assert user["PermissionsBoundary"] == (BOUNDARY if mix["boundary"] else "")


def seed_mix(admin, via_proxy, moto_endpoint, name, mix) -> None:
    admin.create_user(UserName=name)
    for active, region in mix["keys"]:
        key = admin.create_access_key(UserName=name)["AccessKey"]
        if region:
            use_key(moto_endpoint, key, region)
        if not active:
            admin.update_access_key(
                UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive"
            )
    for number, active in enumerate(mix["ssh"]):
        key = admin.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=ssh_key(name, number))
        if not active:
            key_id = key["SSHPublicKey"]["SSHPublicKeyId"]
            admin.update_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Status="Inactive")
    for active in mix["certs"]:
        made = admin.upload_signing_certificate(UserName=name, CertificateBody=certificate())
        if not active:
            cert_id = made["Certificate"]["CertificateId"]
            admin.update_signing_certificate(
                UserName=name, CertificateId=cert_id, Status="Inactive"
            )
    for service, active in mix["services"]:
        made = via_proxy.create_service_specific_credential(UserName=name, ServiceName=service)
        if not active:
            via_proxy.update_service_specific_credential(
                UserName=name,
                ServiceSpecificCredentialId=made["ServiceSpecificCredential"][
                    "ServiceSpecificCredentialId"
                ],
                Status="Inactive",
            )
    for kind in mix["mfa"]:
        admin.enable_mfa_device(
            UserName=name,
            SerialNumber=mfa_serial(admin, f"{name}-{kind}", kind, ACCOUNT),
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    if mix["boundary"]:
        create_boundary_policy(admin)
        via_proxy.put_user_permissions_boundary(UserName=name, PermissionsBoundary=BOUNDARY)


@pytest.mark.parametrize("strategy", ["auto", "per_user"])
def test_an_endpoint_without_a_credential_api_leaves_that_fact_unknown_not_the_run_failed(
    iam_admin, moto_endpoint, strategy
):
    """Plain moto (AWS_ENDPOINT_URL at a simulator) has no ListServiceSpecificCredentials: it
    answers an HTML error page. The inventory still comes, that one fact unknown and named, and
    the action is not tried again for every user."""
    names = [f"user-{number:02d}" for number in range(12)]
    for name in names:
        iam_admin.create_user(UserName=name)
    client = build_iam_client(endpoint_url=moto_endpoint, max_attempts=1)
    result = collect_users(client, strategy=strategy, report_poll_seconds=0.05, max_workers=4)
    assert [user["UserName"] for user in result.users] == names
    for user in result.users:
        assert user["ServiceSpecificCredentials"] is None
        assert "not supported there" in user["UnknownFields"]["ServiceSpecificCredentials"]
        assert user["SSHPublicKeys"] == []  # what moto has is read as usual
    assert result.calls["ListServiceSpecificCredentials"] <= 4  # at most once per worker
