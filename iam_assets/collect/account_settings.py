"""What the account-level controls read beyond the users and the root user's credentials: the
account's password policy (``GetAccountPasswordPolicy``) and whether the root user's MFA is a
virtual device (``ListVirtualMFADevices``, ``virtual_mfa``). Two account-wide calls a run, made
by both strategies.

IAM answers ``NoSuchEntity`` when the account has no password policy: that is a known fact (no
policy, the controls on it fail), not an unknown. A denied call is unknown, named in
``UnknownFields``: the controls that read it are then not evaluated, never passed.
"""

from __future__ import annotations

from typing import Any, TypedDict

from botocore.exceptions import ClientError

from iam_assets.collect.client import GONE_CODE, IAMCalls, Unsupported, denial, error_code
from iam_assets.collect.virtual_mfa import VirtualMFA, read_virtual_mfa

# The actions both strategies add for the account-level controls (in iam_policy.json).
ACCOUNT_ACTIONS: tuple[str, ...] = ("iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices")


class AccountSettings(TypedDict):
    """The account's password policy and the root user's virtual MFA; ``None``: unknown (then
    named, with why, in ``UnknownFields``)."""

    # As GetAccountPasswordPolicy gives it; None: the account has none (IAM's NoSuchEntity),
    # or, when named in UnknownFields, the read was denied.
    PasswordPolicy: dict[str, Any] | None
    RootVirtualMFA: bool | None  # the root user holds an assigned virtual MFA device
    UnknownFields: dict[str, str]


def read_account_settings(calls: IAMCalls, devices: VirtualMFA | None = None) -> AccountSettings:
    """The password policy and the root user's virtual MFA, each unknown (never false) when its
    call is denied; ``devices``: the virtual MFA listing already read this run (bulk)."""
    unknown: dict[str, str] = {}
    policy: dict[str, Any] | None = None
    try:
        policy = dict(calls.call("GetAccountPasswordPolicy")["PasswordPolicy"])
    except ClientError as error:
        reason = denial(error)
        if reason is not None:
            unknown["PasswordPolicy"] = reason
        elif error_code(error) != GONE_CODE:  # NoSuchEntity: no policy, a known fact
            raise
    except Unsupported as unsupported:
        unknown["PasswordPolicy"] = str(unsupported)
    if devices is None:
        devices = read_virtual_mfa(calls)
    root_virtual: bool | None = None
    if devices.denied is not None:
        unknown["RootVirtualMFA"] = devices.denied
    else:
        # Only this account's devices are listed: its root user's ARN ends in ":root".
        root_virtual = any(arn.endswith(":root") for arn in devices.by_arn)
    return {
        "PasswordPolicy": policy,
        "RootVirtualMFA": root_virtual,
        "UnknownFields": unknown,
    }
