"""Every assigned virtual MFA device of the account in one paged listing
(``ListVirtualMFADevices`` with ``AssignmentStatus=Assigned``): who holds one, the root user
included, without a call per user.

IAM lists virtual devices only: a user whose MFA is active but who holds no virtual device holds a
hardware or FIDO one, which only ``ListMFADevices`` on that user tells. The root user's virtual
device is listed with the account's root ARN (``arn:aws:iam::<account>:root``) as its user.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from iam_assets.collect.client import IAMCalls, Unsupported, denial
from iam_assets.collect.records import MFADevice, iso_utc, mfa_kind

ACTION = "iam:ListVirtualMFADevices"


@dataclass(frozen=True)
class VirtualMFA:
    """The assigned virtual devices by holder ARN; ``denied`` says why nothing could be read."""

    by_arn: dict[str, list[MFADevice]] = field(default_factory=dict)
    denied: str | None = None

    @property
    def known(self) -> bool:
        return self.denied is None

    def of(self, arn: str) -> list[MFADevice]:
        """The virtual devices assigned to ``arn`` (``[]``: none; only meaningful if known)."""
        return list(self.by_arn.get(arn, []))

    def root_has_one(self, account_id: str) -> bool | None:
        """Whether the root user's MFA is a virtual device (``None``: the listing was denied)."""
        if not self.known:
            return None
        return any(arn.endswith(f"::{account_id}:root") for arn in self.by_arn)


def read_virtual_mfa(calls: IAMCalls) -> VirtualMFA:
    """One paged ``ListVirtualMFADevices`` (assigned devices); a denial is reported, not raised."""
    try:
        devices = calls.items(
            "ListVirtualMFADevices", "VirtualMFADevices", AssignmentStatus="Assigned", MaxItems=1000
        )
    except Unsupported as unsupported:
        return VirtualMFA(denied=str(unsupported))
    except ClientError as error:
        reason = denial(error)
        if reason is None:
            raise
        return VirtualMFA(denied=reason)
    by_arn: dict[str, list[MFADevice]] = {}
    for device in devices:
        holder = (device.get("User") or {}).get("Arn")
        if not holder:
            continue  # assigned devices name their user; an unassigned one tells nothing
        by_arn.setdefault(holder, []).append(
            {
                "SerialNumber": device["SerialNumber"],
                "EnableDate": iso_utc(device.get("EnableDate")),
                "Kind": mfa_kind(device["SerialNumber"]),
            }
        )
    for held in by_arn.values():
        held.sort(key=lambda device: device["SerialNumber"])
    return VirtualMFA(by_arn=by_arn)
