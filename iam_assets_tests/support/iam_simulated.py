"""What the IAM proxy adds to moto (5.2) so that it answers like IAM where moto cannot.

Each piece follows the AWS page cited in its docstring:

* ``ServiceCredentials``: service-specific credentials, which moto does not implement at all;
* ``Boundaries``: permissions boundaries of users (moto keeps them for roles only);
* ``RootUser`` and ``complete_report``: the credential report's ``<root_account>`` row, the
  last-used region and service of each access key and the signing certificates' slots (moto
  writes ``not_supported`` and ``N/A`` there), ``GetAccountSummary``'s root-user entries, and
  the root user's virtual MFA device in ``ListVirtualMFADevices``.

State lives in the proxy (one per test); upstream facts are read from moto over HTTP.
"""

from __future__ import annotations

import secrets
import string
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

NS = "https://iam.amazonaws.com/doc/2010-05-08/"
Params = dict[str, str]
# (status, payload) of one query-protocol call to moto: action and parameters.
Upstream = Callable[[str, Params], tuple[int, bytes]]
IAM_TIME = "%Y-%m-%dT%H:%M:%S+00:00"


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def response(action: str, fill: Callable[[ET.Element], None] | None = None) -> bytes:
    """An IAM query-protocol answer: ``<ActionResponse><ActionResult>…`` plus a request id."""
    root = ET.Element(f"{action}Response", xmlns=NS)
    result = ET.SubElement(root, f"{action}Result")
    if fill is not None:
        fill(result)
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = "00000000-0000-0000-0000-000000000000"
    return ET.tostring(root, encoding="utf-8")


def error(code: str, message: str) -> bytes:
    return (
        f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    ).encode()


def texts(payload: bytes, path: str) -> list[ET.Element]:
    """Elements at ``path`` (names without namespace, ``/``-separated) under the result."""
    root = ET.fromstring(payload)
    return root.findall(".//" + "/".join(_q(part) for part in path.split("/")))


def _member(parent: ET.Element, values: dict[str, str]) -> None:
    member = ET.SubElement(parent, "member")
    for key, value in values.items():
        ET.SubElement(member, key).text = value


@dataclass
class ServiceCredentials:
    """Service-specific credentials, per the IAM API reference:
    CreateServiceSpecificCredential, ListServiceSpecificCredentials (``UserName`` or
    ``AllUsers``, ``ServiceName`` filter, ``Marker``/``MaxItems`` paging),
    UpdateServiceSpecificCredential and DeleteServiceSpecificCredential
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListServiceSpecificCredentials.html
    and the pages of the other three actions). The service user name is
    ``<user>-at-<account>`` as IAM makes it; ids start with ``ACCA``."""

    by_user: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    ACTIONS = (
        "CreateServiceSpecificCredential",
        "ListServiceSpecificCredentials",
        "UpdateServiceSpecificCredential",
        "DeleteServiceSpecificCredential",
    )

    def answer(self, action: str, params: Params, upstream: Upstream) -> tuple[int, bytes]:
        name = params.get("UserName")
        if params.get("AllUsers") == "true":
            if name:
                return 400, error("InvalidInput", "AllUsers cannot be used with UserName")
        elif name:
            status, payload = upstream("GetUser", {"UserName": name})
            if status != 200:
                return status, payload  # NoSuchEntity, as IAM answers for an unknown user
        else:
            return 400, error("InvalidInput", "UserName is required by this simulator")
        return getattr(self, action)(params)

    def CreateServiceSpecificCredential(self, params: Params) -> tuple[int, bytes]:
        name, service = params["UserName"], params["ServiceName"]
        credential = {
            "CreateDate": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ServiceName": service,
            "ServiceUserName": f"{name}-at-123456789012",
            "ServiceSpecificCredentialId": "ACCA"
            + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(17)),
            "UserName": name,
            "Status": "Active",
        }
        with self.lock:
            self.by_user.setdefault(name, []).append(credential)

        def fill(result: ET.Element) -> None:
            out = ET.SubElement(result, "ServiceSpecificCredential")
            for key, value in {**credential, "ServicePassword": secrets.token_urlsafe(30)}.items():
                ET.SubElement(out, key).text = value

        return 200, response("CreateServiceSpecificCredential", fill)

    def ListServiceSpecificCredentials(self, params: Params) -> tuple[int, bytes]:
        with self.lock:
            if params.get("AllUsers") == "true":
                found = [c for items in self.by_user.values() for c in items]
            else:
                found = list(self.by_user.get(params["UserName"], []))
        if params.get("ServiceName"):
            found = [c for c in found if c["ServiceName"] == params["ServiceName"]]
        offset = int(params.get("Marker", "m0")[1:])
        size = min(int(params.get("MaxItems", 100)), 1000)
        page = found[offset : offset + size]

        def fill(result: ET.Element) -> None:
            listing = ET.SubElement(result, "ServiceSpecificCredentials")
            for credential in page:
                _member(listing, credential)
            truncated = offset + size < len(found)
            ET.SubElement(result, "IsTruncated").text = "true" if truncated else "false"
            if truncated:
                ET.SubElement(result, "Marker").text = f"m{offset + size}"

        return 200, response("ListServiceSpecificCredentials", fill)

    def UpdateServiceSpecificCredential(self, params: Params) -> tuple[int, bytes]:
        return self._change(params, "UpdateServiceSpecificCredential", params.get("Status"))

    def DeleteServiceSpecificCredential(self, params: Params) -> tuple[int, bytes]:
        return self._change(params, "DeleteServiceSpecificCredential", None)

    def _change(self, params: Params, action: str, status: str | None) -> tuple[int, bytes]:
        wanted = params["ServiceSpecificCredentialId"]
        with self.lock:
            items = self.by_user.get(params["UserName"], [])
            for credential in items:
                if credential["ServiceSpecificCredentialId"] == wanted:
                    if status is None:
                        items.remove(credential)
                    else:
                        credential["Status"] = status
                    return 200, response(action)
        return 404, error("NoSuchEntity", f"No such service-specific credential: {wanted}")

    def holds(self, name: str) -> bool:
        with self.lock:
            return bool(self.by_user.get(name))


@dataclass
class Boundaries:
    """Users' permissions boundaries, per the IAM API reference: PutUserPermissionsBoundary,
    DeleteUserPermissionsBoundary, CreateUser's ``PermissionsBoundary``; GetUser's ``User`` and
    GetAccountAuthorizationDetails' ``UserDetailList`` members then carry
    ``PermissionsBoundary`` (``PermissionsBoundaryType`` ``PermissionsBoundaryPolicy`` and
    ``PermissionsBoundaryArn``) (https://docs.aws.amazon.com/IAM/latest/APIReference/API_User.html,
    API_UserDetail.html, API_AttachedPermissionsBoundary.html)."""

    by_user: dict[str, str] = field(default_factory=dict)

    def decorate(self, user: ET.Element) -> None:
        """Add the boundary to a ``User`` or ``UserDetailList`` member, if the user has one."""
        name = user.find(_q("UserName"))
        arn = self.by_user.get(name.text or "") if name is not None else None
        if arn is None:
            return
        boundary = ET.SubElement(user, _q("PermissionsBoundary"))
        ET.SubElement(boundary, _q("PermissionsBoundaryType")).text = "PermissionsBoundaryPolicy"
        ET.SubElement(boundary, _q("PermissionsBoundaryArn")).text = arn


@dataclass
class RootUser:
    """The root user's credentials as the credential report's ``<root_account>`` row and
    ``GetAccountSummary`` tell them (IAM User Guide, "Getting credential reports for your AWS
    account"; API reference, GetAccountSummary: ``AccountMFAEnabled``,
    ``AccountAccessKeysPresent``, ``AccountSigningCertificatesPresent``, each 0 or 1)."""

    mfa_active: bool = True
    access_keys: tuple[bool, ...] = ()  # active or not, at most two
    certificates: tuple[bool, ...] = ()
    password_last_used: datetime | None = None
    created: datetime = datetime(2015, 1, 1, tzinfo=UTC)
    key_last_used: datetime | None = None  # the first access key's
    # Its MFA is a virtual device, which ListVirtualMFADevices lists with the root ARN as its
    # user (IAM API reference, ListVirtualMFADevices; moto cannot assign one to the root user).
    virtual_mfa: bool = False

    def cells(self, account: str) -> dict[str, str]:
        def when(moment: datetime | None) -> str:
            return "N/A" if moment is None else moment.strftime(IAM_TIME)

        cells = {
            "user": "<root_account>",
            "arn": f"arn:aws:iam::{account}:root",
            "user_creation_time": when(self.created),
            "password_enabled": "not_supported",
            "password_last_used": when(self.password_last_used),
            "password_last_changed": "not_supported",
            "password_next_rotation": "not_supported",
            "mfa_active": str(self.mfa_active).lower(),
        }
        for kind, slots in (("access_key", self.access_keys), ("cert", self.certificates)):
            for number in (1, 2):
                present = len(slots) >= number
                cells[f"{kind}_{number}_active"] = str(present and slots[number - 1]).lower()
                cells[f"{kind}_{number}_last_rotated"] = when(self.created if present else None)
        for number in (1, 2):
            for part in ("date", "region", "service"):
                cells[f"access_key_{number}_last_used_{part}"] = "N/A"
        if self.access_keys and self.key_last_used is not None:
            cells["access_key_1_last_used_date"] = when(self.key_last_used)
            cells["access_key_1_last_used_region"] = "us-east-1"
            cells["access_key_1_last_used_service"] = "iam"
        return cells

    def list_virtual_device(self, payload: bytes, account: str = "123456789012") -> bytes:
        """moto's ListVirtualMFADevices answer, with the root user's device when it has one."""
        if not self.virtual_mfa:
            return payload
        ET.register_namespace("", NS)
        root = ET.fromstring(payload)
        listing = root.find(f".//{_q('VirtualMFADevices')}")
        if listing is None:
            return payload
        member = ET.SubElement(listing, _q("member"))
        ET.SubElement(member, _q("SerialNumber")).text = f"arn:aws:iam::{account}:mfa/root-mfa"
        user = ET.SubElement(member, _q("User"))
        for key, value in (
            ("Path", "/"),
            ("UserName", "root"),
            ("UserId", account),
            ("Arn", f"arn:aws:iam::{account}:root"),
            ("CreateDate", self.created.strftime(IAM_TIME)),
        ):
            ET.SubElement(user, _q(key)).text = value
        ET.SubElement(member, _q("EnableDate")).text = self.created.strftime(IAM_TIME)
        return ET.tostring(root, encoding="utf-8")

    def summary(self) -> dict[str, int]:
        return {
            "AccountMFAEnabled": int(self.mfa_active),
            "AccountAccessKeysPresent": int(bool(self.access_keys)),
            "AccountSigningCertificatesPresent": int(bool(self.certificates)),
        }


def complete_report(text: str, root: RootUser, upstream: Upstream) -> str:
    """moto's report as IAM writes it: a ``<root_account>`` row first, each used key's last-used
    region and service (moto writes ``not_supported``; IAM ``N/A`` for a key never used) and each
    signing certificate's status and upload time (moto writes ``N/A``). Rows that moto split on
    a comma are left as they are (the tests need them broken)."""
    lines = text.splitlines()
    if not lines:
        return text
    header = lines[0].split(",")
    width = len(header)
    rows = [line.split(",") for line in lines[1:]]
    account = next(
        (cells[1].split(":")[4] for cells in rows if len(cells) == width), "123456789012"
    )
    out = [lines[0], ",".join(root.cells(account).get(column, "N/A") for column in header)]
    for line, cells in zip(lines[1:], rows, strict=True):
        if len(cells) == width and cells[0] != "<root_account>":
            record = dict(zip(header, cells, strict=True))
            _complete_row(record, upstream)
            line = ",".join(record[column] for column in header)
        out.append(line)
    return "\n".join(out) + "\n"


def _complete_row(record: dict[str, str], upstream: Upstream) -> None:
    name = record["user"]
    used = [n for n in (1, 2) if record[f"access_key_{n}_last_used_date"] not in ("N/A", "")]
    keys: list[str] = []
    if used:
        _status, payload = upstream("ListAccessKeys", {"UserName": name})
        keys = [e.text or "" for e in texts(payload, "AccessKeyMetadata/member/AccessKeyId")]
    for number in (1, 2):
        region = service = "N/A"
        if number in used and len(keys) >= number:
            _status, payload = upstream("GetAccessKeyLastUsed", {"AccessKeyId": keys[number - 1]})
            region = (texts(payload, "AccessKeyLastUsed/Region") or [None])[0].text or "N/A"
            service = (texts(payload, "AccessKeyLastUsed/ServiceName") or [None])[0].text or "N/A"
        record[f"access_key_{number}_last_used_region"] = region
        record[f"access_key_{number}_last_used_service"] = service
    _status, payload = upstream("ListSigningCertificates", {"UserName": name})
    members = texts(payload, "Certificates/member")
    for number in (1, 2):
        active, rotated = "false", "N/A"
        if len(members) >= number:
            member = members[number - 1]
            active = str(member.findtext(_q("Status")) == "Active").lower()
            uploaded = member.findtext(_q("UploadDate")) or ""
            rotated = datetime.fromisoformat(uploaded).astimezone(UTC).strftime(IAM_TIME)
        record[f"cert_{number}_active"] = active
        record[f"cert_{number}_last_rotated"] = rotated
