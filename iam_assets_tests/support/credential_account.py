"""An AWS account (moto behind the IAM proxy) whose users each show one credential fact: keys
used and idle, SSH keys, signing certificates, service-specific credentials, MFA devices of every
kind, a permissions boundary; shared by the collection and the graph tests.

Not a double: it only calls the IAM API as the IAM API reference names it (CreateUser,
CreateAccessKey, UpdateAccessKey, UploadSSHPublicKey, UpdateSSHPublicKey,
UploadSigningCertificate, UpdateSigningCertificate, EnableMFADevice, and through the proxy
CreateServiceSpecificCredential, UpdateServiceSpecificCredential and
PutUserPermissionsBoundary, which ``iam_simulated.py`` answers citing AWS's pages); a key is
"used" as IAM sees it, by signing an STS GetCallerIdentity request with it."""

from typing import Any

import boto3

from iam_assets.demo.seed_credentials import certificate, mfa_serial, ssh_key
from iam_assets_tests.support.credential_reports import ACCOUNT

BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/developer-boundary"
SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com")


def use_key(moto_endpoint: str, key: dict, region: str) -> None:
    """Sign one request with the key, as its owner would: IAM (moto) records its last use."""
    sts = boto3.client(
        "sts",
        endpoint_url=moto_endpoint,
        region_name=region,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    sts.get_caller_identity()


# -- a simulated account holding every kind of credential ------------------------------------
def seed_credential_account(admin, via_proxy, moto_endpoint):
    """Users each showing one fact; ``via_proxy`` creates what only the proxy simulates."""
    for name in ("kim.keys", "ssh.sam", "cert.carl", "svc.sue", "mfa.mia", "plain.pat"):
        admin.create_user(UserName=name, Path="/people/")
    used = admin.create_access_key(UserName="kim.keys")["AccessKey"]
    use_key(moto_endpoint, used, "eu-west-3")
    idle = admin.create_access_key(UserName="kim.keys")["AccessKey"]
    admin.update_access_key(UserName="kim.keys", AccessKeyId=idle["AccessKeyId"], Status="Inactive")
    admin.upload_ssh_public_key(UserName="ssh.sam", SSHPublicKeyBody=ssh_key("ssh.sam", 0))
    old = admin.upload_ssh_public_key(UserName="ssh.sam", SSHPublicKeyBody=ssh_key("ssh.sam", 1))
    admin.update_ssh_public_key(
        UserName="ssh.sam", SSHPublicKeyId=old["SSHPublicKey"]["SSHPublicKeyId"], Status="Inactive"
    )
    admin.upload_signing_certificate(UserName="cert.carl", CertificateBody=certificate())
    retired = admin.upload_signing_certificate(UserName="cert.carl", CertificateBody=certificate())
    admin.update_signing_certificate(
        UserName="cert.carl",
        CertificateId=retired["Certificate"]["CertificateId"],
        Status="Inactive",
    )
    via_proxy.create_service_specific_credential(UserName="svc.sue", ServiceName=SERVICES[0])
    bedrock = via_proxy.create_service_specific_credential(
        UserName="svc.sue", ServiceName=SERVICES[2]
    )["ServiceSpecificCredential"]
    via_proxy.update_service_specific_credential(
        UserName="svc.sue",
        ServiceSpecificCredentialId=bedrock["ServiceSpecificCredentialId"],
        Status="Inactive",
    )
    for kind in ("virtual", "hardware", "fido"):
        serial = mfa_serial(admin, f"mfa.mia-{kind}", kind, ACCOUNT)
        admin.enable_mfa_device(
            UserName="mfa.mia",
            SerialNumber=serial,
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    create_boundary_policy(admin)
    via_proxy.put_user_permissions_boundary(UserName="svc.sue", PermissionsBoundary=BOUNDARY)


BOUNDARY_DOCUMENT = (
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}'
)


def create_boundary_policy(admin: Any) -> None:
    """The customer-managed policy ``BOUNDARY`` names (IAM refuses a boundary that is none),
    created once."""
    try:
        admin.get_policy(PolicyArn=BOUNDARY)
    except admin.exceptions.NoSuchEntityException:
        admin.create_policy(
            PolicyName=BOUNDARY.rsplit("/", 1)[-1], PolicyDocument=BOUNDARY_DOCUMENT
        )
