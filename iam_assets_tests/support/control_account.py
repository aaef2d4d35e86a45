"""A simulated account (moto behind the IAM proxy) whose users each fail one CIS / Security Hub
control, or pass one narrowly (a key used 44 days ago, rotated 89 days ago), and whose root
user fails the root controls; shared by the control tests of both strategies.

Users are made through the IAM API (CreateUser, CreateLoginProfile, CreateAccessKey,
EnableMFADevice, AddUserToGroup, AttachGroupPolicy, AttachUserPolicy, TagUser,
UpdateAccountPasswordPolicy); what the API cannot set — creation and last-use dates — is set on
the in-process moto, as the demo's ``backdate`` does, relative to ``now``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from iam_assets.demo.seed_credentials import mfa_serial
from iam_assets_tests.support.credential_reports import ACCOUNT
from iam_assets_tests.support.iam_simulated import RootUser

CLOUDSHELL = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
# What CIS 1.8 (length 14), 1.9 (24 remembered) and Security Hub IAM.11-IAM.16 ask of the
# password policy, as UpdateAccountPasswordPolicy's parameters; without a maximum age the
# account still fails the controls that ask for one (IAM.7, IAM.10, IAM.17).
STRICT_PASSWORD_POLICY: dict[str, Any] = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "PasswordReusePrevention": 24,
}
REQUIRED_TAG = "team"

# name -> (console, mfa, keys as (created days ago, last used days ago or None), group, tagged)
USERS: dict[str, tuple[bool, bool, tuple[tuple[int, int | None], ...], str | None, bool]] = {
    "ok.console": (True, True, (), "people", True),  # password used 44 days ago
    "ok.keys": (False, True, ((89, 44),), "people", True),  # the narrow passes
    "no.mfa.console": (True, False, (), "people", True),
    "no.mfa.api": (False, False, (), "people", True),
    "setup.key": (True, True, ((10, None),), "people", True),
    "idle.46": (False, True, ((60, 46),), "people", True),
    "idle.password": (True, True, (), "people", True),  # password used 91 days ago
    "two.keys": (False, True, ((5, 1), (3, 1)), "people", True),
    "old.key": (False, True, ((91, 1),), "people", True),
    "direct.policy": (False, True, (), None, True),  # a policy attached to the user
    "admin.star": (False, True, (), "admins", True),
    "cloudshell": (False, True, (), "shell", True),
    "untagged": (False, True, (), "people", False),
}
PASSWORD_USED_DAYS = {"ok.console": 44, "no.mfa.console": 1, "setup.key": 1, "idle.password": 91}

# check -> the users that fail it (the root and account controls: see ROOT_FAILS, POLICY_FAILS)
USER_FAILS: dict[str, set[str]] = {
    "iam_5": {"no.mfa.console"},
    "iam_19": {"no.mfa.console", "no.mfa.api"},
    "cis_1_11": {"setup.key"},
    "iam_22": {"idle.46", "idle.password"},
    "iam_8": {"idle.password"},
    "cis_1_13": {"two.keys"},
    "iam_3": {"old.key"},
    "iam_2": {"direct.policy"},
    "iam_1": {"admin.star"},
    "iam_27": {"cloudshell"},
    "iam_25": {"untagged"},
}
# The root user: MFA on a virtual device, an access key used ten days ago.
ROOT_FAILS = {"iam_4", "iam_6", "iam_20"}
ROOT_PASSES = {"iam_9"}
# The password policy below: everything but an expiry, which IAM.17 and IAM.10 require.
POLICY_FAILS = {"iam_10", "iam_17"}
POLICY_PASSES = {"iam_7", "iam_11", "iam_12", "iam_13", "iam_14", "iam_15", "iam_16"}


def root_user(now: datetime) -> RootUser:
    return RootUser(
        mfa_active=True,
        virtual_mfa=True,
        access_keys=(True,),
        key_last_used=now - timedelta(days=10),
        password_last_used=now - timedelta(days=200),
    )


def seed_control_account(admin: Any, now: datetime, *, password_policy: bool = True) -> None:
    """The users of ``USERS``, dated relative to ``now``; the account's password policy."""
    admin.create_group(GroupName="people")
    admin.create_group(GroupName="admins")
    admin.create_group(GroupName="shell")
    star = admin.create_policy(PolicyName="everything", PolicyDocument=_allow("*"))["Policy"]["Arn"]
    admin.attach_group_policy(GroupName="admins", PolicyArn=star)
    admin.attach_group_policy(GroupName="shell", PolicyArn=CLOUDSHELL)
    readonly = admin.create_policy(PolicyName="read-s3", PolicyDocument=_allow("s3:Get*"))
    readonly_arn = readonly["Policy"]["Arn"]
    for name, (console, mfa, keys, group, tagged) in USERS.items():
        tags = [{"Key": REQUIRED_TAG, "Value": "security"}] if tagged else []
        admin.create_user(UserName=name, Tags=tags)
        if console:
            admin.create_login_profile(UserName=name, Password="a-Long-passw0rd!")
        if mfa:
            admin.enable_mfa_device(
                UserName=name,
                SerialNumber=mfa_serial(admin, name, "virtual", ACCOUNT),
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )
        for _key in keys:
            admin.create_access_key(UserName=name)
        if group:
            admin.add_user_to_group(GroupName=group, UserName=name)
    admin.attach_user_policy(UserName="direct.policy", PolicyArn=readonly_arn)
    if password_policy:
        admin.update_account_password_policy(**STRICT_PASSWORD_POLICY)
    _date(now)


def _allow(action: str) -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _date(now: datetime) -> None:
    """Creation and last-use dates moto cannot take through the API (it keeps naive UTC)."""
    from moto.iam.models import AccessKeyLastUsed, iam_backends

    def naive(days: int) -> datetime:
        return (now - timedelta(days=days)).astimezone(UTC).replace(tzinfo=None)

    backend = iam_backends[ACCOUNT]["global"]
    for name, (_console, _mfa, keys, _group, _tagged) in USERS.items():
        user = backend.users[name]
        user.create_date = naive(200)
        if name in PASSWORD_USED_DAYS:
            user.password_last_used = naive(PASSWORD_USED_DAYS[name])
        for key, (created, used) in zip(user.access_keys, keys, strict=True):
            key.create_date = naive(created)
            if used is not None:
                key.last_used = AccessKeyLastUsed(naive(used), "s3", "eu-west-1")


def seed_compliant_account(admin: Any) -> None:
    """An account that meets every control under the default settings (the proxy's default
    root user: MFA on hardware, no key, never used): one user with MFA, no password, no key,
    no policy of its own; a password policy that requires everything the controls ask."""
    admin.create_user(UserName="compliant", Tags=[{"Key": REQUIRED_TAG, "Value": "security"}])
    admin.enable_mfa_device(
        UserName="compliant",
        SerialNumber=mfa_serial(admin, "compliant", "hardware", ACCOUNT),
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    admin.update_account_password_policy(**STRICT_PASSWORD_POLICY, MaxPasswordAge=90)
