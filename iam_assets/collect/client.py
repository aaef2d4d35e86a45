"""How collection talks to AWS: the clients, one IAM call wrapper shared by both strategies
(counts calls, waits out throttling, follows pages), and how an AWS error is read and described.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any, Literal, cast

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
GONE_CODE = "NoSuchEntity"
_THROTTLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)


class IAMCollectionError(RuntimeError):
    """A failure that makes the whole inventory unusable (not a per-field denial)."""


def client_kwargs(
    session: boto3.session.Session,
    endpoint_url: str | None = None,
    verify: bool | str | None = None,
) -> dict[str, Any]:
    """Where and how a client of any AWS service (IAM, STS, Organizations) connects.

    IAM is global: without a configured region, sign for us-east-1 (the aws partition's IAM
    region); GovCloud/China users set AWS_REGION to their partition's region. Endpoint and TLS
    verification only when set explicitly: otherwise botocore resolves them
    (``AWS_ENDPOINT_URL_IAM``, ``AWS_ENDPOINT_URL``, ``AWS_CA_BUNDLE``).
    """
    kwargs: dict[str, Any] = {"region_name": session.region_name or "us-east-1"}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    if verify is not None:
        kwargs["verify"] = verify
    return kwargs


def build_iam_client(
    *,
    session: boto3.session.Session | None = None,
    endpoint_url: str | None = None,
    max_attempts: int = 10,
    retry_mode: str = "adaptive",
    max_pool_connections: int = 16,
    verify: bool | str | None = None,
) -> Any:
    """One IAM client with botocore retries configured.

    With ``endpoint_url=None`` botocore resolves the endpoint itself, so ``AWS_ENDPOINT_URL_IAM``
    and ``AWS_ENDPOINT_URL`` keep working; credentials come from the session (default: boto3's
    chain).
    """
    session = session or boto3.session.Session()
    # A setting, so a str: botocore refuses any other mode (InvalidRetryModeError)
    mode = cast(Literal["legacy", "standard", "adaptive"], retry_mode)
    config = Config(
        retries={"max_attempts": max_attempts, "mode": mode},
        max_pool_connections=max_pool_connections,
        user_agent_extra="iam-assets",
    )
    return session.client("iam", config=config, **client_kwargs(session, endpoint_url, verify))


def build_cloudtrail_client(
    session: boto3.session.Session,
    *,
    endpoint_url: str | None = None,
    verify: bool | str | None = None,
) -> Any:
    """A CloudTrail client where IAM's events are recorded: us-east-1 in the aws partition,
    us-gov-west-1 in GovCloud, cn-north-1 in China (IAM's region in each). An explicit
    ``endpoint_url`` (a simulator serving both) is used as for IAM; otherwise botocore resolves
    ``AWS_ENDPOINT_URL_CLOUDTRAIL`` / ``AWS_ENDPOINT_URL``."""
    partition_region = {"us-gov-": "us-gov-west-1", "cn-": "cn-north-1"}
    region = next(
        (
            home
            for prefix, home in partition_region.items()
            if (session.region_name or "").startswith(prefix)
        ),
        "us-east-1",
    )
    config = Config(retries={"max_attempts": 4, "mode": "standard"}, user_agent_extra="iam-assets")
    kwargs = client_kwargs(session, endpoint_url, verify) | {"region_name": region}
    return session.client("cloudtrail", config=config, **kwargs)


def error_code(error: ClientError, default: str = "") -> str:
    """The AWS error code of a failed call (``default`` when the answer has none)."""
    return error.response.get("Error", {}).get("Code", default)


def denial(error: ClientError) -> str | None:
    """``"<code> on iam:<operation>"`` when the call was not allowed, else ``None``."""
    code = error_code(error)
    return f"{code} on iam:{error.operation_name}" if code in DENIED_CODES else None


def describe(error: ClientError, doing: str) -> str:
    """A message that says what failed and what to do, without any credential material."""
    code = error_code(error, "Unknown")
    message = error.response.get("Error", {}).get("Message", "")
    hint = ""
    if code in DENIED_CODES:
        hint = (
            " Grant the actions in iam_assets/collect/iam_policy.json to the collecting principal."
        )
    elif code in {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"}:
        hint = " Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE)."
    elif code in {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}:
        hint = " The session token expired: refresh AWS_SESSION_TOKEN or the SSO login."
    return f"Could not {doing}: {code}: {message}.{hint}"


# What an IAM-compatible endpoint answers to an action it does not implement.
_UNIMPLEMENTED_CODES = frozenset({"NotImplemented", "InvalidAction"})


class Unsupported(IAMCollectionError):
    """The IAM endpoint cannot answer this action: a simulator that lacks it (moto answers an
    HTML error page) or says it is not implemented. IAM itself always answers. Remembered for
    the collection, so that thousands of users do not each wait out its retries."""


class IAMCalls:
    """Every IAM call of one collection, through one shared, thread-safe boto3 client.

    botocore retries throttling first (adaptive mode slows the client down); if IAM still
    throttles, the call waits with jittered backoff, up to ``throttle_patience_seconds`` in all,
    rather than fail the run. Calls are counted by action for the run's metadata.
    """

    def __init__(self, client: Any, *, throttle_patience_seconds: float = 900.0) -> None:
        self._client = client
        self._patience = throttle_patience_seconds
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.throttle_waits = 0
        self.unsupported: dict[str, str] = {}  # action -> why the endpoint cannot answer it

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        """One IAM call (``action`` as in the API, e.g. ``ListUsers``)."""
        if action in self.unsupported:
            raise Unsupported(self.unsupported[action])
        method = getattr(self._client, xform_name(action))
        delay, deadline = 1.0, time.monotonic() + self._patience
        while True:
            with self._lock:
                self.counts[action] += 1
            try:
                return method(**params)
            except ResponseParserError:
                raise self._unsupported(action, "gave no IAM answer") from None
            except ClientError as error:
                if error_code(error) in _UNIMPLEMENTED_CODES:
                    raise self._unsupported(action, f"answered {error_code(error)}") from None
                if error_code(error) not in _THROTTLE_CODES or time.monotonic() + delay > deadline:
                    raise
            with self._lock:
                self.throttle_waits += 1
            time.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, 30.0)

    def _unsupported(self, action: str, what: str) -> Unsupported:
        reason = (
            f"the IAM endpoint {what} to iam:{action}: not supported there (a simulator?"
            " check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_IAM)"
        )
        with self._lock:
            self.unsupported[action] = reason
        return Unsupported(reason)

    def all_pages(self, action: str, **params: Any) -> list[dict[str, Any]]:
        """Every page of a listing: follow ``Marker`` until ``IsTruncated`` is false."""
        pages: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            page = self.call(action, **params, **({"Marker": marker} if marker else {}))
            pages.append(page)
            if not page.get("IsTruncated"):
                return pages
            marker = page.get("Marker")
            if not marker:
                raise IAMCollectionError(f"iam:{action} said IsTruncated without a Marker")

    def items(self, action: str, key: str, **params: Any) -> list[Any]:
        """Every page's ``key`` list, concatenated."""
        return [item for page in self.all_pages(action, **params) for item in page.get(key, [])]
