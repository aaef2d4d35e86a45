"""A user's credentials read with per-user calls, for both strategies: access keys' last use,
MFA devices with their kind, signing certificates, SSH public keys, service-specific credentials;
and the service-specific credentials of every user at once (bulk).

A denied call leaves its field ``None`` and named in the user's ``UnknownFields``; a user deleted
while being read raises ``UserGone``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from iam_assets.collect.client import GONE_CODE, IAMCalls, Unsupported, denial, error_code
from iam_assets.collect.records import (
    AccessKey,
    MFADevice,
    ServiceSpecificCredential,
    SigningCertificate,
    SSHPublicKey,
    iso_utc,
    mfa_kind,
)

KEY_LAST_USED = "AccessKeys[].LastUsed"
# Raw field -> (action, result key) of the per-user listing that reads it.
LISTINGS: dict[str, tuple[str, str]] = {
    "MFADevices": ("ListMFADevices", "MFADevices"),
    "SigningCertificates": ("ListSigningCertificates", "Certificates"),
    "SSHPublicKeys": ("ListSSHPublicKeys", "SSHPublicKeys"),
    "ServiceSpecificCredentials": ("ListServiceSpecificCredentials", "ServiceSpecificCredentials"),
}
# What IAM answers when a parameter (here ``AllUsers``) is not supported where we call it.
_UNSUPPORTED_CODES = frozenset({"InvalidInput", "ValidationError", "InvalidParameterValue"})


class UserGone(Exception):
    """The user was deleted between ListUsers and a later call."""


def denied_as_none(unknown: dict[str, str], field_name: str, read: Callable[[], Any]) -> Any:
    """Run one read; if it is not allowed, or the endpoint cannot answer it, name
    ``field_name`` in ``unknown`` and return None."""
    try:
        return read()
    except Unsupported as unsupported:
        unknown[field_name] = str(unsupported)
        return None
    except ClientError as error:
        reason = denial(error)
        if reason is None:
            raise
        unknown[field_name] = reason
        return None


def read_about_user(unknown: dict[str, str], field_name: str, read: Callable[[], Any]) -> Any:
    """``denied_as_none`` for a read about the user: their deletion raises ``UserGone``."""
    try:
        return denied_as_none(unknown, field_name, read)
    except ClientError as error:
        if error_code(error) == GONE_CODE:
            raise UserGone(error.response["Error"].get("Message", "")) from error
        raise


def listed(calls: IAMCalls, unknown: dict[str, str], field_name: str, name: str) -> list | None:
    """One of ``LISTINGS`` for user ``name``, every page, as raw records; ``None`` if denied."""
    action, key = LISTINGS[field_name]
    items = read_about_user(unknown, field_name, lambda: calls.items(action, key, UserName=name))
    return None if items is None else [CONVERT[field_name](item) for item in items]


def has_login_profile(calls: IAMCalls, name: str) -> bool:
    """A login profile means console access; ``NoSuchEntity`` here means there is none."""
    try:
        calls.call("GetLoginProfile", UserName=name)
    except ClientError as error:
        if error_code(error) == GONE_CODE:
            return False
        raise
    return True


def access_keys(
    calls: IAMCalls, unknown: dict[str, str], keys: list[dict[str, Any]]
) -> list[AccessKey]:
    """The user's keys (``ListAccessKeys`` entries) with their last use (one call per key)."""
    out = []
    for key in keys:
        used = _last_used(calls, unknown, key["AccessKeyId"])
        out.append(access_key(key, None if used is None else used.get("AccessKeyLastUsed", {})))
    return out


def _last_used(calls: IAMCalls, unknown: dict[str, str], key_id: str) -> dict[str, Any] | None:
    """``GetAccessKeyLastUsed``; ``None`` (unknown, named) when denied, or when the key was
    deleted after it was listed (a rotation mid-read: the user is still there)."""
    try:
        return denied_as_none(
            unknown, KEY_LAST_USED, lambda: calls.call("GetAccessKeyLastUsed", AccessKeyId=key_id)
        )
    except ClientError as error:
        if error_code(error) != GONE_CODE:
            raise
        unknown[KEY_LAST_USED] = "an access key was deleted while it was being read"
        return None


def access_key(key: dict[str, Any], used: dict[str, Any] | None) -> AccessKey:
    """A key from ``ListAccessKeys`` (or the report) and its ``AccessKeyLastUsed`` (None:
    unknown). IAM says ``N/A`` for the region and service of a key never used."""
    used = used or {}
    return {
        "AccessKeyId": key["AccessKeyId"],
        "Status": key["Status"],
        "CreateDate": iso_utc(key.get("CreateDate")),
        "LastUsedDate": iso_utc(used.get("LastUsedDate")),
        "LastUsedRegion": _stated(used.get("Region")),
        "LastUsedService": _stated(used.get("ServiceName")),
    }


def _stated(value: str | None) -> str | None:
    return None if value in (None, "", "N/A") else value


def mfa_device(device: dict[str, Any]) -> MFADevice:
    serial = device["SerialNumber"]
    return {
        "SerialNumber": serial,
        "EnableDate": iso_utc(device.get("EnableDate")),
        "Kind": mfa_kind(serial),
    }


def signing_certificate(certificate: dict[str, Any]) -> SigningCertificate:
    return {
        "CertificateId": certificate.get("CertificateId"),
        "Status": certificate["Status"],
        "UploadDate": iso_utc(certificate.get("UploadDate")),
    }


def ssh_public_key(key: dict[str, Any]) -> SSHPublicKey:
    return {
        "SSHPublicKeyId": key["SSHPublicKeyId"],
        "Status": key["Status"],
        "UploadDate": iso_utc(key.get("UploadDate")),
    }


def service_credential(credential: dict[str, Any]) -> ServiceSpecificCredential:
    return {
        "ServiceSpecificCredentialId": credential["ServiceSpecificCredentialId"],
        "ServiceName": credential["ServiceName"],
        "Status": credential["Status"],
        "CreateDate": iso_utc(credential.get("CreateDate")),
    }


CONVERT: dict[str, Callable[[dict[str, Any]], Any]] = {
    "MFADevices": mfa_device,
    "SigningCertificates": signing_certificate,
    "SSHPublicKeys": ssh_public_key,
    "ServiceSpecificCredentials": service_credential,
}


def every_users_service_credentials(
    calls: IAMCalls,
) -> tuple[dict[str, list[ServiceSpecificCredential]] | None, str | None]:
    """Every user's service-specific credentials in one paged listing (``AllUsers``), by user.

    ``(None, reason)`` when denied (unknown for everyone); ``(None, None)`` when IAM does not
    take ``AllUsers`` here (an older partition): then read them user by user.
    """
    try:
        items = calls.items(
            "ListServiceSpecificCredentials",
            "ServiceSpecificCredentials",
            AllUsers=True,
            MaxItems=1000,
        )
    except Unsupported as unsupported:
        return None, str(unsupported)
    except ClientError as error:
        reason = denial(error)
        if reason is None and error_code(error) not in _UNSUPPORTED_CODES:
            raise
        return None, reason
    by_user: dict[str, list[ServiceSpecificCredential]] = {}
    for item in items:
        by_user.setdefault(item["UserName"], []).append(service_credential(item))
    return by_user, None
