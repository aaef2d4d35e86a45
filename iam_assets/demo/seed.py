"""Seed a simulated IAM account: the seed page's two example users and a dozen varied ones.

Used by the demo code location, the tests and the benchmarks. Everything goes through the IAM API
(boto3) but ``backdate``. The varied users hold every credential moto 5.2 can: SSH keys, a signing
certificate, virtual/hardware/FIDO MFA. moto has no service-specific credentials nor users'
permissions boundaries, and its report no root row nor key last-use region/service: the demo
cannot show those (the tests' IAM proxy adds them: iam_assets_tests/support/iam_simulated.py).
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from iam_assets.demo import seed_credentials as credentials
from iam_assets.demo.seed_policies import (
    ADMIN_POLICY,
    AUDIT_POLICY,
    INLINE_DOCUMENT,
    MANAGED_DOCUMENTS,
    READ_ONLY_POLICY,
)

MOTO_ACCOUNT_ID = "123456789012"  # moto's default account, as in the seed's ARNs
STABLE_CREATED = "2026-09-01T09:00:00Z"  # ``backdate``: users without a creation date of their own


@dataclass
class DemoUser:
    """What to create for one user; booleans say which IAM objects it gets."""

    name: str
    path: str = "/"
    tags: dict[str, str] = field(default_factory=dict)
    console: bool = False
    remove_console: bool = False
    mfa: bool = False
    deactivate_mfa: bool = False
    active_keys: int = 0
    inactive_keys: int = 0
    groups: tuple[str, ...] = ()
    managed_policies: tuple[str, ...] = ()
    inline_policies: tuple[str, ...] = ()
    mfa_kind: str = "virtual"  # "virtual", "hardware" (a token's serial) or "fido" (u2f ARN)
    ssh_keys: int = 0
    signing_certificates: int = 0
    # Only settable on an in-process moto (see ``backdate``).
    user_id: str | None = None
    created: str | None = None
    password_last_used: str | None = None
    key_last_used: tuple[str, str, str] | None = None  # first key's: (time, service, region)


# The two users of the seed page, as close as the simulator allows.
SEED_EXAMPLE_USERS = (
    DemoUser(
        name="lambda-execution-role",
        path="/service-role/",
        tags={"Purpose": "Lambda Execution", "Environment": "Production"},
        active_keys=2,
        user_id="AIDAI23HZ27SI6FQMGNHQ",
        created="2020-06-04T10:00:00Z",
    ),
    DemoUser(
        name="aws-developer-team",
        path="/engineering/",
        tags={"Department": "Engineering", "Environment": "Development"},
        console=True,
        mfa=True,
        active_keys=1,
        user_id="AIDACKCEVSQ6C2EXAMPLE",
        created="2020-06-04T10:00:00Z",
        password_last_used="2025-08-26T09:30:00Z",
    ),
)

# Managed policies by name; the simulator gets customer-managed copies of the AWS ones.

GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "Admins": {"managed": (ADMIN_POLICY,), "inline": ()},
    "Developers": {"managed": (READ_ONLY_POLICY,), "inline": ("deploy-lambdas",)},
    "Auditors": {"managed": (AUDIT_POLICY,), "inline": ()},
}

VARIED_USERS = (
    DemoUser(
        "alice.admin",
        "/people/",
        {"Team": "Platform"},
        console=True,
        mfa=True,
        mfa_kind="fido",
        active_keys=1,
        groups=("Admins",),
        password_last_used="2026-11-20T08:15:00Z",
    ),
    DemoUser(
        "bob.no-mfa",
        "/people/",
        {"Team": "Web"},
        console=True,
        groups=("Developers",),
        password_last_used="2026-10-02T17:45:00Z",
    ),
    DemoUser(
        "carol.rotating",
        "/people/",
        active_keys=1,
        inactive_keys=1,
        groups=("Developers",),
        created="2024-11-01T10:00:00Z",
        key_last_used=("2025-01-15T12:00:00Z", "ec2", "us-east-1"),  # unused for long
    ),
    DemoUser(
        "dave.lost-mfa", "/people/", console=True, mfa=True, deactivate_mfa=True, groups=("Admins",)
    ),
    DemoUser("erin.former-console", "/people/", console=True, remove_console=True),
    DemoUser(
        "ci-deployer",
        "/automation/",
        {"Owner": "platform", "Pipeline": "main"},
        active_keys=2,
        managed_policies=("PowerUserAccess",),
        inline_policies=("assume-deploy-role",),
        ssh_keys=1,  # pushes to CodeCommit over SSH
        key_last_used=("2026-11-27T06:00:00Z", "s3", "eu-west-1"),
    ),
    DemoUser(
        "frank.many-tags",
        "/people/",
        {f"tag-{i:02d}": f"value-{i:02d}" for i in range(50)},
        console=True,
        mfa=True,
    ),
    DemoUser(
        "grace.readonly",
        "/people/",
        console=True,
        mfa=True,
        mfa_kind="hardware",
        groups=("Auditors",),
    ),
    DemoUser("heidi.idle", "/people/"),
    DemoUser(
        "svc-backup",
        "/service-role/",
        {"Purpose": "Backups"},
        inactive_keys=2,
        signing_certificates=1,  # a legacy SOAP/X.509 client, with an SSH key
        ssh_keys=1,
    ),
    DemoUser(
        "ivan.contractor",
        "/contractors/",
        {"Company": "Example Ltd"},
        console=True,
        active_keys=1,
        inline_policies=("s3-read-reports",),
    ),
    DemoUser(
        "judy.breakglass",
        "/people/",
        {"Purpose": "Break glass"},
        console=True,
        managed_policies=(ADMIN_POLICY,),
    ),
)

DEMO_USERS = SEED_EXAMPLE_USERS + VARIED_USERS


def _policy_arn(client: Any, name: str) -> str:
    """The ARN of the customer-managed policy ``name``, created on first use."""
    for policy in client.list_policies(Scope="Local")["Policies"]:
        if policy["PolicyName"] == name:
            return policy["Arn"]
    document = MANAGED_DOCUMENTS.get(name, INLINE_DOCUMENT)
    return client.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"]


def _ensure_groups(client: Any, names: set[str]) -> None:
    existing = {group["GroupName"] for group in client.list_groups()["Groups"]}
    for name in sorted(names - existing):
        client.create_group(GroupName=name)
        for policy in GROUPS.get(name, {}).get("managed", ()):
            client.attach_group_policy(GroupName=name, PolicyArn=_policy_arn(client, policy))
        for policy in GROUPS.get(name, {}).get("inline", ()):
            client.put_group_policy(
                GroupName=name, PolicyName=policy, PolicyDocument=INLINE_DOCUMENT
            )


def create_user(client: Any, user: DemoUser) -> None:
    """Create one user and everything it should have, through the IAM API."""
    name = user.name
    client.create_user(
        UserName=name,
        Path=user.path,
        Tags=[{"Key": k, "Value": v} for k, v in user.tags.items()],
    )
    if user.console:
        client.create_login_profile(UserName=name, Password="Demo-Passw0rd!")
        if user.remove_console:
            client.delete_login_profile(UserName=name)
    if user.mfa:
        serial = credentials.mfa_serial(client, user.name, user.mfa_kind, MOTO_ACCOUNT_ID)
        client.enable_mfa_device(
            UserName=name,
            SerialNumber=serial,
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
        if user.deactivate_mfa:
            client.deactivate_mfa_device(UserName=name, SerialNumber=serial)
    for _ in range(user.active_keys):
        client.create_access_key(UserName=name)
    for _ in range(user.inactive_keys):
        key = client.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        client.update_access_key(UserName=name, AccessKeyId=key, Status="Inactive")
    for group in user.groups:
        client.add_user_to_group(GroupName=group, UserName=name)
    for policy in user.managed_policies:
        client.attach_user_policy(UserName=name, PolicyArn=_policy_arn(client, policy))
    for policy in user.inline_policies:
        client.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=INLINE_DOCUMENT)
    for n in range(user.ssh_keys):
        client.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=credentials.ssh_key(name, n))
    for _ in range(user.signing_certificates):
        client.upload_signing_certificate(UserName=name, CertificateBody=credentials.certificate())


def seed_users(client: Any, users: tuple[DemoUser, ...] = DEMO_USERS, *, workers: int = 1) -> None:
    """Create ``users`` (and the groups they join); ``workers`` > 1 creates users in parallel."""
    _ensure_groups(client, {group for user in users for group in user.groups})
    if {p for user in users for p in user.managed_policies}:
        workers = 1  # policies are created on first use: keep that race-free
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda user: create_user(client, user), users))


def drift(client: Any) -> None:
    """What changes in the demo account after its first snapshot: a user leaves, one joins,
    and one is made an admin without MFA, so that change tracking has something to say."""
    client.delete_user(UserName="heidi.idle")
    new_hire = DemoUser("zoe.new-hire", "/people/", {"Team": "Web"}, console=True, mfa=True)
    create_user(client, new_hire)
    client.add_user_to_group(GroupName="Admins", UserName="bob.no-mfa")
    backdate((new_hire,))


def generated_users(count: int, prefix: str = "user") -> tuple[DemoUser, ...]:
    """``count`` deterministic users with a realistic spread of console, MFA, keys and tags."""
    users = []
    for index in range(count):
        users.append(
            DemoUser(
                name=f"{prefix}-{index:05d}",
                path=("/people/", "/service-role/", "/automation/", "/")[index % 4],
                tags={"Index": str(index), "Team": f"team-{index % 7}"} if index % 3 else {},
                console=index % 5 == 0,
                mfa=index % 10 == 0,
                active_keys=index % 3,
                inactive_keys=1 if index % 11 == 0 and index % 3 < 2 else 0,
                groups=("Developers",) if index % 6 == 0 else (),
            )
        )
    return tuple(users)


def backdate(users: tuple[DemoUser, ...], account_id: str = MOTO_ACCOUNT_ID) -> None:
    """Set what the API cannot (ids, dates, keys' last use, root MFA) on an in-process moto."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id]["global"]
    backend.account_summary._account_mfa_enabled = 1  # moto has no API for the root user
    for user in users:
        simulated = backend.users[user.name]
        # IAM ids and dates are stable; moto draws new ones per process. Stable ones keep the
        # demo's change tracking honest from one run (one process) to the next.
        simulated.id = user.user_id or stable_user_id(user.name)
        simulated.create_date = _parse(user.created or STABLE_CREATED)
        if user.password_last_used:
            last_used = _parse(user.password_last_used)  # moto types the attribute as None
            simulated.password_last_used = last_used  # type: ignore[assignment]
        credentials.settle(simulated, user.name, simulated.create_date, user.key_last_used)


def stable_user_id(name: str) -> str:
    """An IAM-shaped user id (AIDA + 17 characters) derived from the name."""
    digest = hashlib.sha256(name.encode()).hexdigest().upper()
    return "AIDA" + digest[:17]


def _parse(value: str) -> datetime:
    # moto keeps naive UTC datetimes.
    return datetime.fromisoformat(value).replace(tzinfo=None)
