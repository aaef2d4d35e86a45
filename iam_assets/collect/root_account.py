"""The root user of the account where the credential report is not read: ``GetAccountSummary``.

Its ``SummaryMap`` (IAM API reference, GetAccountSummary) holds ``AccountMFAEnabled`` (1 when
the root user has MFA), ``AccountAccessKeysPresent`` and ``AccountSigningCertificatesPresent``
(1 when the root user has any, active or not). So "none present" is a known 0 active, while
"present" leaves the number of *active* ones unknown (named): an inactive key is never reported
as an active one. It says nothing of the root password's last use. A denied call leaves every
fact unknown.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from iam_assets.collect.client import IAMCalls, denial
from iam_assets.collect.records import RootAccount

SUMMARY_SOURCE = "GetAccountSummary"
# RootAccount field -> the SummaryMap entry it is read from.
SUMMARY_KEYS = {
    "MFAActive": "AccountMFAEnabled",
    "ActiveAccessKeys": "AccountAccessKeysPresent",
    "ActiveSigningCertificates": "AccountSigningCertificatesPresent",
}

_ALSO_UNKNOWN = ("PasswordLastUsed", "AccessKeysPresent", "AccessKeyLastUsed")


def root_from_summary(calls: IAMCalls) -> RootAccount:
    """The root user's MFA, access keys and signing certificates from ``GetAccountSummary``."""
    try:
        summary: dict[str, Any] = calls.call("GetAccountSummary").get("SummaryMap", {})
    except ClientError as error:
        reason = denial(error)
        if reason is None:
            raise
        return unknown_root(reason)
    unknown: dict[str, str] = {
        "PasswordLastUsed": "GetAccountSummary does not tell the root password's last use",
        "AccessKeyLastUsed": "GetAccountSummary does not tell the root access keys' last use",
    }
    facts: dict[str, Any] = {}
    for name, key in SUMMARY_KEYS.items():
        value = summary.get(key)
        facts[name] = None
        if value not in (0, 1):
            unknown[name] = f"GetAccountSummary gave {key}={value!r}"
        elif name == "MFAActive":
            facts[name] = bool(value)
        elif value == 0:
            facts[name] = 0
        else:
            unknown[name] = f"GetAccountSummary says {key}=1: some exist, active or not"
    return {
        "MFAActive": facts["MFAActive"],
        "ActiveAccessKeys": facts["ActiveAccessKeys"],
        "ActiveSigningCertificates": facts["ActiveSigningCertificates"],
        "PasswordLastUsed": None,
        "AccessKeysPresent": _present(summary, unknown),
        "AccessKeyLastUsed": None,
        "Source": SUMMARY_SOURCE,
        "UnknownFields": unknown,
    }


def _present(summary: dict[str, Any], unknown: dict[str, str]) -> bool | None:
    """``AccountAccessKeysPresent``: whether the root user has an access key, active or not."""
    value = summary.get("AccountAccessKeysPresent")
    if value in (0, 1):
        return bool(value)
    unknown["AccessKeysPresent"] = f"GetAccountSummary gave AccountAccessKeysPresent={value!r}"
    return None


def unknown_root(reason: str) -> RootAccount:
    """Nothing could be read about the root user, and why."""
    return {
        "MFAActive": None,
        "ActiveAccessKeys": None,
        "ActiveSigningCertificates": None,
        "PasswordLastUsed": None,
        "AccessKeysPresent": None,
        "AccessKeyLastUsed": None,
        "Source": "unknown",
        "UnknownFields": {name: reason for name in (*SUMMARY_KEYS, *_ALSO_UNKNOWN)},
    }
