"""The demo's policy documents: what its managed policies (customer-managed copies of AWS ones,
as moto holds no AWS managed policy by default) and inline policies allow, so that the privilege
analysis, which reads documents and not names, finds the demo's administrators."""

import json

ADMIN_POLICY = "AdministratorAccess"
READ_ONLY_POLICY = "ReadOnlyAccess"
AUDIT_POLICY = "SecurityAudit"

INLINE_DOCUMENT = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket",'
    '"Resource":"*"}]}'
)


def _allow(*statements: tuple[str | list[str], str]) -> str:
    """A policy document of Allow statements: (actions, "Action" or "NotAction") on ``*``."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", element: actions, "Resource": "*"}
                for actions, element in statements
            ],
        }
    )


# The customer-managed copies' documents: what the AWS managed policies of these names allow, in
# short (the privilege analysis reads documents, not names).
MANAGED_DOCUMENTS: dict[str, str] = {
    ADMIN_POLICY: _allow(("*", "Action")),
    READ_ONLY_POLICY: _allow((["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*"], "Action")),
    AUDIT_POLICY: _allow((["iam:GenerateCredentialReport", "iam:Get*", "iam:List*"], "Action")),
    "PowerUserAccess": _allow(
        (["iam:*", "organizations:*", "account:*"], "NotAction"),
        (["iam:CreateServiceLinkedRole", "iam:ListRoles"], "Action"),
    ),
}
