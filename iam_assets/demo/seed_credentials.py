"""The credentials the demo seed gives users besides keys and passwords: MFA device serials of
each kind, SSH public keys and X.509 signing certificates (what UploadSigningCertificate takes).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any


def mfa_serial(client: Any, name: str, kind: str, account_id: str) -> str:
    """The serial of a user's MFA device of ``kind``: a virtual device's ARN (created here), a
    hardware token's own serial, or a FIDO security key's ``u2f`` ARN (IAM enables those in the
    console only; moto takes any serial)."""
    if kind == "hardware":
        return "GAHT" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()
    if kind == "fido":
        return f"arn:aws:iam::{account_id}:u2f/user/{name}/security-key-DEMO"
    created = client.create_virtual_mfa_device(VirtualMFADeviceName=name)
    return created["VirtualMFADevice"]["SerialNumber"]


def ssh_key(name: str, number: int) -> str:
    """An OpenSSH public key line (IAM stores it; nothing here needs the private key)."""
    blob = hashlib.sha512(f"{name}/{number}".encode()).hexdigest()[:68]
    return f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA{blob} {name}@demo"


@cache
def certificate() -> str:
    """A self-signed X.509 certificate in PEM, as UploadSigningCertificate requires."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iam-assets demo signing")])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def moto_lists_no_service_credentials() -> None:
    """moto (5.2) does not implement ListServiceSpecificCredentials (it answers HTTP 500): make
    the in-process moto answer it as IAM does for an account without any (an empty list), so
    that the demo runs the production collector unchanged. Idempotent."""
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    def empty_listing(self: Any) -> Any:
        return ActionResult({"ServiceSpecificCredentials": [], "IsTruncated": False})

    if not hasattr(IamResponse, "list_service_specific_credentials"):
        # the method moto lacks, added to its class: no type declares it
        IamResponse.list_service_specific_credentials = empty_listing  # type: ignore[attr-defined]


def moto_dates_its_reports() -> None:
    """moto (5.2) builds the credential report afresh on every GetCredentialReport but stamps it
    2015-02-02, which the collector rightly refuses as stale: make the in-process moto stamp it
    with the time it was built, as IAM does. Idempotent."""
    from datetime import UTC, datetime

    from moto.iam.responses import IamResponse

    if getattr(IamResponse, "_iam_assets_dated", False):
        return
    original = IamResponse.get_credential_report

    def get_credential_report(self: Any) -> Any:
        answer = original(self)
        fields: dict[str, Any] = answer.result  # type: ignore[assignment]  # moto types it object
        fields["GeneratedTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return answer

    setattr(IamResponse, "get_credential_report", get_credential_report)  # noqa: B010
    setattr(IamResponse, "_iam_assets_dated", True)  # noqa: B010


def settle(
    simulated: Any, name: str, created: datetime, last_used: tuple[str, str, str] | None
) -> None:
    """Stable dates and ids for a user's access keys, SSH keys and certificates on an in-process
    moto (which draws them per process): made a day after the user, a minute apart; and the
    first key's last use (time, service, region)."""
    from moto.iam.models import AccessKeyLastUsed

    for items in (
        simulated.access_keys,
        simulated.ssh_public_keys,
        list(simulated.signing_certificates.values()),
    ):
        for index, item in enumerate(items):
            made = created + timedelta(days=1, minutes=index)
            if hasattr(item, "upload_date"):
                item.upload_date = made
            else:
                item.create_date = made
    for index, key in enumerate(simulated.ssh_public_keys):
        key.ssh_public_key_id = (
            "APKA" + hashlib.sha256(f"{name}/{index}".encode()).hexdigest()[:16].upper()
        )
    if last_used and simulated.access_keys:
        when, service, region = last_used
        moment = datetime.fromisoformat(when).replace(tzinfo=None)  # moto keeps naive UTC
        simulated.access_keys[0].last_used = AccessKeyLastUsed(moment, service, region)
