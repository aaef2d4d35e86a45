"""The AWS account an IAM ARN belongs to (pure; both OCSF profiles name the account by it)."""

import re

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):")


def account_id(arn: str | None) -> str | None:
    """The 12-digit AWS account id of an IAM ARN, ``None`` if the ARN is not one."""
    match = _ACCOUNT_IN_ARN.match(arn or "")
    return match.group(1) if match else None
