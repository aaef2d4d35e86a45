"""A loopback HTTP proxy in front of moto that behaves more like IAM.

moto answers every IAM list call in one page; IAM pages (``MaxItems``, default 100, at most 1,000)
and says ``IsTruncated``/``Marker``. The proxy re-pages moto's answers the way IAM does, records
every action it forwards, and can fail chosen calls (``AccessDenied``...) or run a hook before one.
It can also hand the client a crafted credential report (``replace_credential_report``).
Where moto lacks an IAM feature the proxy answers it itself (``iam_simulated``): service-specific
credentials, users' permissions boundaries, the credential report's root row, key last-use
regions and services and certificate slots, ``GetAccountSummary``'s root-user entries, and the
root user's virtual MFA device in ``ListVirtualMFADevices``.
For benchmarks it adds network latency and throttles like IAM: a token bucket per account that
answers ``Throttling`` (HTTP 400) when empty.

The credential report's age, as the IAM API reference says it: GetCredentialReport's
``GeneratedTime`` is when the report was made (moto builds it afresh on every call but stamps
2015-02-02, so the proxy stamps the time it was built); GenerateCredentialReport answers
``COMPLETE`` and IAM hands out the same report while it is under 4 hours old, then starts a new
one (IAM User Guide, "Getting credential reports for your AWS account") — what
``keep_credential_report`` plays, as another scanner would leave a report. CloudTrail's
``LookupEvents`` over the writes forwarded is ``trail_simulated``'s (its docstring cites it).
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from iam_assets_tests.support import iam_simulated as simulated
from iam_assets_tests.support.iam_simulated import (
    Boundaries,
    RootUser,
    ServiceCredentials,
    complete_report,
)
from iam_assets_tests.support.loopback import Answer, LoopbackServer
from iam_assets_tests.support.trail_simulated import EventHistory, TokenBucket

NS = "https://iam.amazonaws.com/doc/2010-05-08/"

# List action -> elements of its result that hold the members (paged as one sequence).
LIST_KEYS = {
    "ListUsers": ("Users",),
    "ListUserTags": ("Tags",),
    "ListGroupsForUser": ("Groups",),
    "ListAccessKeys": ("AccessKeyMetadata",),
    "ListMFADevices": ("MFADevices",),
    "ListUserPolicies": ("PolicyNames",),
    "ListGroupPolicies": ("PolicyNames",),
    "ListAttachedUserPolicies": ("AttachedPolicies",),
    "ListAttachedGroupPolicies": ("AttachedPolicies",),
    "ListSSHPublicKeys": ("SSHPublicKeys",),
    "ListSigningCertificates": ("Certificates",),
    "ListVirtualMFADevices": ("VirtualMFADevices",),
    "GetAccountAuthorizationDetails": (
        "UserDetailList",
        "GroupDetailList",
        "RoleDetailList",
        "Policies",
    ),
}

# Listings moto itself pages (``moto/iam/models.py`` ``list_virtual_mfa_devices`` cuts at
# ``max_items``, 100 by default): asked for all, then paged here like the others.
MOTO_PAGES = frozenset({"ListVirtualMFADevices"})
Params = dict[str, str]
Report = str | bytes  # a credential report's CSV, as text or as raw (maybe not UTF-8) bytes
_CONTENT = re.compile(rb"<Content>([^<]*)</Content>")
_GENERATED = re.compile(rb"<GeneratedTime>[^<]*</GeneratedTime>")
REPORT_LIFETIME = 4 * 3600  # IAM hands out the same report for 4 hours


@dataclass
class Fault:
    """Answer ``action`` with an IAM error when ``when(params)`` holds."""

    action: str
    code: str
    status: int
    when: Callable[[Params], bool]


class IAMProxy(LoopbackServer):
    def __init__(
        self,
        upstream: str,
        *,
        max_page: dict[str, int] | None = None,
        latency_seconds: float = 0.0,
        throttle: TokenBucket | None = None,
        tls: ssl.SSLContext | None = None,
        complete_reports: bool = True,
    ) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.max_page = dict(max_page or {})
        self.actions: Counter[str] = Counter()
        self.pages: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.hooks: dict[str, list[Callable[[Params], None]]] = {}
        self.rewrites: dict[str, Callable[[bytes], bytes]] = {}
        self.latency = latency_seconds
        self.throttle = throttle
        self.throttled = 0
        self.service_credentials = ServiceCredentials()
        self.boundaries = Boundaries()
        self.root = RootUser()
        self.complete_reports = complete_reports  # off: moto's report as moto writes it
        # CloudTrail's event history over the IAM writes forwarded (``trail_simulated``).
        self.trail = EventHistory()
        # A report made earlier and handed out as IAM does while it is under 4 hours old:
        # (GetCredentialReport payload, its generation time as epoch seconds).
        self.kept_report: tuple[bytes, float] | None = None
        self._lock = threading.Lock()
        self._serve(tls)

    def fail(
        self,
        action: str,
        code: str = "AccessDenied",
        status: int = 403,
        when: Callable[[Params], bool] = lambda _params: True,
    ) -> None:
        self.faults.append(Fault(action, code, status, when))

    def before(self, action: str, hook: Callable[[Params], None]) -> None:
        self.hooks.setdefault(action, []).append(hook)

    def rewrite(self, action: str, change: Callable[[bytes], bytes]) -> None:
        """Change moto's successful answers to ``action`` before the client sees them."""
        self.rewrites[action] = change

    def replace_credential_report(self, content: Report | Callable[[str], Report]) -> None:
        """Answer GetCredentialReport with ``content`` as the report's CSV, or with
        ``content(moto's CSV)`` (a report crafted from moto's, so that it names real users)."""

        def rewrite(payload: bytes) -> bytes:
            match = _CONTENT.search(payload)
            if match is None:
                return payload
            original = base64.b64decode(match.group(1)).decode("utf-8")
            report = content(original) if callable(content) else content
            data = report.encode("utf-8") if isinstance(report, str) else report
            return payload[: match.start(1)] + base64.b64encode(data) + payload[match.end(1) :]

        self.rewrite("GetCredentialReport", rewrite)

    def keep_credential_report(self, made_seconds_ago: float = 0.0) -> None:
        """Make the credential report now (as another scanner would) and hand out that one,
        stamped ``made_seconds_ago``, until it is 4 hours old, as IAM does; changes made after
        it do not show in it."""
        self.kept_report = None
        # moto tells the service by the signature's credential scope: sign as an IAM call.
        signed = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/"
            "aws4_request, SignedHeaders=host, Signature=0",
        }
        upstream = self._upstream("/", signed)
        upstream("GenerateCredentialReport", {})
        status, payload = upstream("GetCredentialReport", {})
        assert status == 200, payload
        made = time.time() - made_seconds_ago
        payload = self._simulated("GetCredentialReport", {}, payload, upstream)
        self.kept_report = (_dated(payload, made), made)

    # -- request handling -------------------------------------------------------------------
    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        target = headers.get("x-amz-target", "")
        if target.endswith("CloudTrail_20131101.LookupEvents"):
            status, answer = self.trail.answer(body)
            return (
                status,
                {"Content-Type": "application/x-amz-json-1.1"},
                json.dumps(answer).encode(),
            )
        status, out, payload = self._answer(path, headers, body)
        params = dict(parse_qsl(body.decode()))
        self.trail.observe(
            target.rsplit(".", 1)[-1] if target else params.get("Action", ""), params, status
        )
        return status, out, payload

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        params = dict(parse_qsl(body.decode()))
        # Query protocol (IAM, STS) names the action in the body; JSON (Organizations) in a header.
        target = headers.get("x-amz-target", "")
        action = target.rsplit(".", 1)[-1] if target else params.get("Action", "")
        if self.latency:
            time.sleep(self.latency)
        if self.throttle is not None and not self.throttle.take():
            with self._lock:
                self.throttled += 1
            return 400, {"Content-Type": "text/xml"}, _error("Throttling", action, "Rate exceeded")
        with self._lock:
            self.actions[action] += 1
        for hook in self.hooks.get(action, []):
            hook(params)
        for fault in self.faults:
            if fault.action == action and fault.when(params):
                return fault.status, {"Content-Type": "text/xml"}, _error(fault.code, action)
        upstream = self._upstream(path, headers)
        kept = self._kept_report(action)
        if kept is not None:
            return 200, {"Content-Type": "text/xml"}, kept
        if action in ServiceCredentials.ACTIONS:
            return self._local(action, params, upstream)
        if action in LIST_KEYS:
            return self._paged(action, path, headers, params)
        refused = self._boundary_call(action, params, upstream)
        if refused is not None:
            return refused
        status, out, payload = self._forward(path, headers, body)
        if status == 200:
            payload = self._simulated(action, params, payload, upstream)
        if status == 200 and action in self.rewrites:
            payload = self.rewrites[action](payload)
        return status, out, payload

    def _kept_report(self, action: str) -> bytes | None:
        """The kept report's answers while it is under 4 hours old (then IAM makes a new one)."""
        if self.kept_report is None:
            return None
        payload, made = self.kept_report
        if time.time() - made >= REPORT_LIFETIME:
            if action == "GenerateCredentialReport":
                self.kept_report = None  # IAM starts a new report; moto's is made at once
            return None
        if action == "GenerateCredentialReport":
            return simulated.response(action, lambda result: _text(result, "State", "COMPLETE"))
        return payload if action == "GetCredentialReport" else None

    # -- what moto lacks (see iam_simulated) ------------------------------------------------
    def _upstream(self, path: str, headers: dict[str, str]):
        """One call to moto (action, parameters) -> (status, payload), signed as the client's."""

        def call(action: str, params: Params) -> tuple[int, bytes]:
            body = urlencode({"Action": action, "Version": "2010-05-08", **params}).encode()
            status, _out, payload = self._forward(path, headers, body)
            return status, payload

        return call

    def _local(self, action: str, params: Params, upstream) -> Answer:
        status, payload = self.service_credentials.answer(action, params, upstream)
        return status, {"Content-Type": "text/xml"}, payload

    def _boundary_call(self, action: str, params: Params, upstream) -> Answer | None:
        """Users' permissions boundaries: set, removed, and the deletion IAM refuses."""
        xml = {"Content-Type": "text/xml"}
        name = params.get("UserName", "")
        if action in {"PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary"}:
            status, payload = upstream("GetUser", {"UserName": name})
            if status != 200:
                return status, xml, payload
            if action == "PutUserPermissionsBoundary":  # IAM refuses a policy that is none
                status, payload = upstream(
                    "GetPolicy", {"PolicyArn": params["PermissionsBoundary"]}
                )
                if status != 200:
                    return status, xml, payload
                self.boundaries.by_user[name] = params["PermissionsBoundary"]
            else:
                self.boundaries.by_user.pop(name, None)
            return 200, xml, simulated.response(action)
        if action == "CreateUser" and params.get("PermissionsBoundary"):
            self.boundaries.by_user[name] = params["PermissionsBoundary"]
        if action == "DeleteUser" and self.service_credentials.holds(name):
            message = "Cannot delete entity, must remove service-specific credentials first."
            return 409, xml, simulated.error("DeleteConflict", message)
        if action == "DeleteUser":
            self.boundaries.by_user.pop(name, None)
        return None

    def _simulated(self, action: str, params: Params, payload: bytes, upstream) -> bytes:
        """moto's successful answer, completed where IAM says more."""
        if action == "GetCredentialReport" and self.complete_reports:
            match = _CONTENT.search(payload)
            if match is not None:
                text = base64.b64decode(match.group(1)).decode("utf-8")
                data = complete_report(text, self.root, upstream).encode("utf-8")
                start, end = match.span(1)
                payload = payload[:start] + base64.b64encode(data) + payload[end:]
        if action == "GetCredentialReport":  # moto makes it now, but stamps it 2015
            payload = _dated(payload, time.time())
        elif action == "GetAccountSummary":
            for entry in (root := ET.fromstring(payload)).iter(f"{{{NS}}}entry"):
                key = entry.findtext(f"{{{NS}}}key")
                if key in (summary := self.root.summary()):
                    entry.find(f"{{{NS}}}value").text = str(summary[key])  # type: ignore[union-attr]
            payload = ET.tostring(root, encoding="utf-8")
        elif action == "ListVirtualMFADevices" and params.get("AssignmentStatus") != "Unassigned":
            payload = self.root.list_virtual_device(payload)
        elif action == "GetUser":
            ET.register_namespace("", NS)
            root = ET.fromstring(payload)
            for user in root.iter(f"{{{NS}}}User"):
                self.boundaries.decorate(user)
            payload = ET.tostring(root, encoding="utf-8")
        return payload

    def _forward(self, path: str, headers: dict[str, str], body: bytes):
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            forwarded["Content-Length"] = str(len(body))
            connection.request("POST", path, body=body, headers=forwarded)
            response = connection.getresponse()
            payload = response.read()
            out = {"Content-Type": response.getheader("Content-Type", "text/xml")}
            return response.status, out, payload
        finally:
            connection.close()

    def _paged(self, action: str, path: str, headers: dict[str, str], params: Params):
        """Ask moto for everything, then answer one IAM-sized page of it."""
        wanted = int(params.pop("MaxItems", 100))
        offset = int(params.pop("Marker", "m0")[1:])
        if action in MOTO_PAGES:  # moto pages these itself (100 a page): ask it for them all
            params["MaxItems"] = "1000000"
        status, out, payload = self._forward(path, headers, urlencode(params).encode())
        if status != 200:
            return status, out, payload
        if action == "ListVirtualMFADevices" and params.get("AssignmentStatus") != "Unassigned":
            payload = self.root.list_virtual_device(payload)  # then paged with the others
        ET.register_namespace("", NS)
        root = ET.fromstring(payload)
        result = root.find(f"{{{NS}}}{action}Result")
        if result is None:
            return status, out, payload
        containers = [result.find(f"{{{NS}}}{key}") for key in LIST_KEYS[action]]
        members = [(c, m) for c in containers if c is not None for m in list(c)]
        size = min(wanted, self.max_page.get(action, 1000))
        for container, member in members:
            container.remove(member)
        for container, member in members[offset : offset + size]:
            container.append(member)
            if container.tag == f"{{{NS}}}UserDetailList":
                self.boundaries.decorate(member)
        truncated = offset + size < len(members)
        for name in ("IsTruncated", "Marker"):
            for old in result.findall(f"{{{NS}}}{name}"):
                result.remove(old)
        ET.SubElement(result, f"{{{NS}}}IsTruncated").text = "true" if truncated else "false"
        if truncated:
            ET.SubElement(result, f"{{{NS}}}Marker").text = f"m{offset + size}"
        with self._lock:
            self.pages[action] += 1
        return status, out, ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _dated(payload: bytes, made: float) -> bytes:
    """A GetCredentialReport answer stamped as made at ``made`` (epoch seconds)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(made)).encode()
    return _GENERATED.sub(b"<GeneratedTime>" + stamp + b"</GeneratedTime>", payload)


def _text(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, name).text = value


def _error(code: str, action: str, message: str | None = None) -> bytes:
    message = message or f"User is not authorized to perform: iam:{action} (injected by proxy)"
    return (
        f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    ).encode()
