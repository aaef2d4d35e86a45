"""Dagster resources: AWS IAM access and the place OCSF events are delivered to."""

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
import dagster as dg
from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import Field, PrivateAttr

from iam_assets.analysis.snapshot_store import STATE_VARIABLE, SnapshotStore, StateReport
from iam_assets.collect import accounts
from iam_assets.collect.collector import (
    STRATEGIES,
    CollectionResult,
    build_iam_client,
    collect_users,
)
from iam_assets.defs.account_lock import AccountLock
from iam_assets.deliver.alert_channels import Alert, post_webhook
from iam_assets.deliver.sekoia_intake import (
    ALLOW_HTTP_VARIABLE,
    DEFAULT_INTAKE_URL,
    KEY_VARIABLE,
    URL_VARIABLE,
    DeliveryReport,
    SekoiaIntakeClient,
    encode_events,
    validate_intake_config,
)

ROLE_VARIABLE = "IAM_ASSETS_ROLE_ARN"
MEMBER_ROLE_VARIABLE = "IAM_ASSETS_MEMBER_ROLE_NAME"
EXTERNAL_ID_VARIABLE = "IAM_ASSETS_EXTERNAL_ID"
STRATEGY_VARIABLE = "IAM_ASSETS_STRATEGY"
WORKERS_VARIABLE = "IAM_ASSETS_MAX_WORKERS"
SLACK_TOKEN = "IAM_ASSETS_SLACK_TOKEN"
SLACK_CHANNEL = "IAM_ASSETS_SLACK_CHANNEL"
WEBHOOK_URL = "IAM_ASSETS_ALERT_WEBHOOK_URL"
UI_URL = "IAM_ASSETS_UI_URL"


class AWSCredentialsMissing(RuntimeError):
    """boto3's chain found no credentials at all."""


class IAMResource(ResourceWithBoto3Configuration):
    """IAM access on dagster-aws's boto3 configuration.

    Everything left unset falls back to boto3's standard chain: environment variables,
    ``AWS_PROFILE``, SSO, instance or task role; ``AWS_ENDPOINT_URL(_IAM)`` points it at a
    simulator. Secrets given explicitly must come through ``dg.EnvVar``.
    """

    max_attempts: int = Field(
        default=10, description="botocore attempts per call (adaptive mode backs off on throttling)"
    )
    retry_mode: str = Field(default="adaptive", description="botocore retry mode")
    role_arn: str | None = Field(
        default=None, description=f"Role to assume before reading IAM (env {ROLE_VARIABLE})"
    )
    external_id: str | None = Field(
        default=None, description=f"External id for the roles (env {EXTERNAL_ID_VARIABLE})"
    )
    member_role_name: str = Field(
        default=accounts.DEFAULT_ROLE_NAME,
        description=f"Role assumed in the Organization's other accounts ({MEMBER_ROLE_VARIABLE})",
    )
    max_workers: int = Field(
        default=4,
        description=f"Users read in parallel by per-user calls ({WORKERS_VARIABLE}); size it to"
        " the account's IAM throttle",
    )
    strategy: str = Field(
        default="auto",
        description=f"{', '.join(STRATEGIES)} ({STRATEGY_VARIABLE}): auto uses the bulk APIs"
        " and falls back to per-user calls when they are denied",
    )

    def __repr_args__(self):  # never show AWS secrets, even resolved
        for name, value in super().__repr_args__():
            secret = name in {"aws_secret_access_key", "aws_session_token", "external_id"}
            yield name, ("***" if secret and value else value)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"{STRATEGY_VARIABLE} / strategy must be one of {', '.join(STRATEGIES)},"
                f" got {self.strategy!r}"
            )
        if self.max_workers < 1:
            raise ValueError(f"{WORKERS_VARIABLE} / max_workers must be at least 1")

    @property
    def _verify(self) -> bool | None:
        """TLS verification as configured; ``None`` lets botocore decide (``AWS_CA_BUNDLE``)."""
        return None if self.verify is True else self.verify

    def _session(self) -> boto3.session.Session:
        """boto3's chain (or the explicit keys), then the optional role of ``role_arn``."""
        session = boto3.session.Session(
            profile_name=self.profile_name,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
            region_name=self.region_name,
        )
        if session.get_credentials() is None:
            raise AWSCredentialsMissing(
                "No AWS credentials found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or"
                " AWS_PROFILE (SSO profiles too), or run where an instance/task role is available."
            )
        if not self.role_arn:
            return session
        return accounts.checked_role_session(
            session,
            self.role_arn,
            purpose=f"given in {ROLE_VARIABLE}",
            hint=f"Check {ROLE_VARIABLE}, the role's trust policy and {EXTERNAL_ID_VARIABLE}.",
            external_id=self.external_id,
            endpoint_url=self.endpoint_url,
            verify=self._verify,
        )

    def account_session(self, account_id: str | None) -> tuple[boto3.session.Session, str]:
        """A session in ``account_id`` and that account's id.

        ``None`` (single-account use) or the credentials' own account: the credentials as they
        are. Any other account: its ``member_role_name`` role, assumed and checked now.
        """
        source = self._session()
        caller = accounts.caller_account(source, self.endpoint_url, self._verify)
        if account_id is None or account_id == caller.id:
            return source, caller.id
        session = accounts.account_session(
            source,
            account_id,
            role_name=self.member_role_name,
            partition=caller.partition,
            external_id=self.external_id,
            endpoint_url=self.endpoint_url,
            verify=self._verify,
        )
        return session, account_id

    def organization_accounts(self) -> list[str]:
        """Ids of the Organization's active accounts (run from the management account or a
        delegated administrator)."""
        found = accounts.organization_accounts(self._session(), self.endpoint_url, self._verify)
        return [account.id for account in found]

    def get_client(self, session: boto3.session.Session | None = None) -> Any:
        """One IAM client, reused for the whole collection."""
        return build_iam_client(
            session=session or self._session(),
            endpoint_url=self.endpoint_url,
            max_attempts=self.max_attempts,
            retry_mode=self.retry_mode,
            max_pool_connections=max(10, self.max_workers * 2),
            verify=self._verify,
        )

    def collect(
        self, account_id: str | None = None, note: Callable[[str], None] | None = None
    ) -> CollectionResult:
        """The full user inventory of ``account_id`` (default: the credentials' own account)."""
        session, account = self.account_session(account_id)
        result = collect_users(
            self.get_client(session),
            strategy=self.strategy,
            max_workers=self.max_workers,
            note=note,
        )
        result.account_id = account
        return result


class EventSinkResource(dg.ConfigurableResource):
    """Where OCSF events go; the production sink is the Sekoia.io intake."""

    def destination(self) -> str:
        raise NotImplementedError

    def deliver(self, events: Sequence[dict[str, Any]], context: Any = None) -> DeliveryReport:
        """Deliver every event or raise ``IntakeError`` saying how many were delivered."""
        raise NotImplementedError


class SekoiaIntakeResource(EventSinkResource):
    """The Sekoia.io HTTP intake. Give ``intake_key`` as ``dg.EnvVar("SEKOIA_INTAKE_KEY")``."""

    url: str = Field(default=DEFAULT_INTAKE_URL, description=f"Intake base URL ({URL_VARIABLE})")
    intake_key: str = Field(description=f"Intake key ({KEY_VARIABLE}); a secret")
    allow_http: bool = Field(
        default=False,
        description=f"Allow a plain http:// URL beyond loopback ({ALLOW_HTTP_VARIABLE}): the key"
        " would travel in clear text",
    )
    batch_events: int = Field(default=1000, description="Events per request at most")
    batch_bytes: int = Field(default=1024 * 1024, description="JSON bytes per request, about")
    compress: bool = Field(default=True, description="gzip request bodies")
    max_attempts: int = Field(default=6, description="Attempts per request (429, 5xx, network)")
    max_retry_seconds: float = Field(default=300.0, description="Retrying budget per request")
    retry_after_cap: float = Field(default=60.0, description="Longest Retry-After honoured, s")
    backoff_initial: float = Field(default=1.0, description="First backoff, s (then doubling)")
    timeout: float = Field(
        default=60.0, description="Deadline of one request: connect, send and the whole answer, s"
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Fail at launch, naming the variable, rather than after collecting the whole account.
        validate_intake_config(self.url, self.intake_key, allow_http=self.allow_http)

    def __repr_args__(self):  # never show the key, even resolved
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "intake_key" and value else value)

    def destination(self) -> str:
        return self.url.rstrip("/")

    def deliver(self, events: Sequence[dict[str, Any]], context: Any = None) -> DeliveryReport:
        client = SekoiaIntakeClient(
            self.url,
            self.intake_key,
            allow_http=self.allow_http,
            timeout=self.timeout,
            batch_events=self.batch_events,
            batch_bytes=self.batch_bytes,
            compress=self.compress,
            max_attempts=self.max_attempts,
            max_retry_seconds=self.max_retry_seconds,
            retry_after_cap=self.retry_after_cap,
            backoff_initial=self.backoff_initial,
        )
        return client.send(events)


class JsonLinesOutboxResource(EventSinkResource):
    """A local stand-in for the intake: one JSON-lines file per run, one event per line."""

    directory: str = Field(description="Folder that receives <run_id>.jsonl files")

    def destination(self) -> str:
        return str(Path(self.directory).resolve())

    def deliver(self, events: Sequence[dict[str, Any]], context: Any = None) -> DeliveryReport:
        folder = Path(self.directory)
        folder.mkdir(parents=True, exist_ok=True)
        run_id = getattr(context, "run_id", None) or "manual"
        report = DeliveryReport(events=len(events), batches=1, requests=1)
        with (folder / f"{run_id}.jsonl").open("w", encoding="utf-8") as outbox:
            for line in encode_events(events, report.skipped):
                outbox.write(line + "\n")
                report.delivered += 1
                report.bytes_sent += len(line.encode()) + 1
        report.bytes_uncompressed = report.bytes_sent
        return report

    def outbox_file(self, run_id: str) -> Path:
        return Path(self.directory).resolve() / f"{run_id}.jsonl"


class SnapshotStoreResource(dg.ConfigurableResource):
    """Each account's state, in ``directory``: its previous snapshot, to say what changed, and
    the lock that keeps its inventory to one run at a time.

    On a multi-node deployment, point it at shared storage. Snapshot problems are reported in a
    ``StateReport``, never raised: change tracking must not stop the inventory. The lock is taken
    when the run starts (before IAM is read) and freed when it ends; the account is the run's
    partition or, unpartitioned, the credentials' own account.
    """

    directory: str = Field(description=f"Folder for the previous snapshot ({STATE_VARIABLE})")
    _lock: AccountLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.run
        account = run.tags.get("dagster/partition") if run else None
        lock = AccountLock(self.directory, account, holder=f"run {run.run_id if run else '?'}")
        try:
            lock.acquire()
        except OSError as error:  # an unusable state folder must not stop the inventory
            context.log.warning(
                f"Could not lock {lock.account} in {lock.path.parent} ({error.strerror}): check"
                f" {STATE_VARIABLE}. This run goes on without the guard against a concurrent"
                " inventory of the same account."
            )
            return
        self._lock = lock

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def load(self, account_id: str | None, report: StateReport) -> dict[str, Any] | None:
        """The previous snapshot (of ``account_id`` when the inventory covers several)."""
        return SnapshotStore(self.directory).load(account_id, report)

    def save(self, snapshot: dict[str, Any], account_id: str | None, report: StateReport) -> None:
        SnapshotStore(self.directory).save(snapshot, account_id, report)


class NotifierResource(dg.ConfigurableResource):
    """Where alerts go: Slack (dagster-slack) if a token is set, else a JSON webhook, else the log.

    The token and the webhook URL (which usually embeds a token) are secrets: give them through
    ``dg.EnvVar``; they are masked in ``repr`` and never put in messages.
    """

    slack_token: str | None = Field(default=None, description=f"Slack bot token ({SLACK_TOKEN})")
    slack_channel: str = Field(default="#security-alerts", description=f"({SLACK_CHANNEL})")
    slack_api_url: str | None = Field(
        default=None, description="Slack API base URL (GovSlack, a proxy); default Slack's"
    )
    webhook_url: str | None = Field(default=None, description=f"JSON webhook ({WEBHOOK_URL})")
    ui_url: str = Field(default="http://127.0.0.1:3000", description=f"Dagster UI ({UI_URL})")

    def __repr_args__(self):
        for name, value in super().__repr_args__():
            secret = name in {"slack_token", "webhook_url"}
            yield name, ("***" if secret and value else value)

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_url.rstrip('/')}/runs/{run_id}"

    def send(self, alert: Alert, log: Any) -> str:
        """Deliver ``alert``; returns the channel used (``slack``, ``webhook`` or ``log``)."""
        if self.slack_token:
            from dagster_slack import SlackResource

            client = SlackResource(token=self.slack_token).get_client()
            if self.slack_api_url:
                client.base_url = self.slack_api_url.rstrip("/") + "/"
            client.chat_postMessage(channel=self.slack_channel, text=alert.text)
            return "slack"
        if self.webhook_url:
            post_webhook(self.webhook_url, alert)
            return "webhook"
        log.warning(alert.text)
        return "log"


def notifier_from_env() -> NotifierResource:
    def secret(variable: str) -> str | None:
        return dg.EnvVar(variable) if os.environ.get(variable) else None

    return NotifierResource(
        slack_token=secret(SLACK_TOKEN),
        slack_channel=os.environ.get(SLACK_CHANNEL) or "#security-alerts",
        webhook_url=secret(WEBHOOK_URL),
        ui_url=os.environ.get(UI_URL) or "http://127.0.0.1:3000",
    )


def snapshot_store_from_env() -> SnapshotStoreResource:
    default = Path(os.environ.get("DAGSTER_HOME") or ".") / "iam_assets_state"
    return SnapshotStoreResource(directory=os.environ.get(STATE_VARIABLE) or str(default))


def iam_resource_from_env() -> IAMResource:
    """Production IAM access: boto3's chain, plus optional roles from the environment."""
    return IAMResource(
        member_role_name=os.environ.get(MEMBER_ROLE_VARIABLE) or accounts.DEFAULT_ROLE_NAME,
        strategy=os.environ.get(STRATEGY_VARIABLE) or "auto",
        max_workers=env_int(WORKERS_VARIABLE, default=4, minimum=1),
        role_arn=dg.EnvVar(ROLE_VARIABLE) if os.environ.get(ROLE_VARIABLE) else None,
        external_id=dg.EnvVar(EXTERNAL_ID_VARIABLE)
        if os.environ.get(EXTERNAL_ID_VARIABLE)
        else None,
    )


def sekoia_intake_from_env() -> SekoiaIntakeResource:
    """Production intake: URL and key read through ``dg.EnvVar`` at run time."""
    return SekoiaIntakeResource(
        url=dg.EnvVar(URL_VARIABLE) if os.environ.get(URL_VARIABLE) else DEFAULT_INTAKE_URL,
        intake_key=dg.EnvVar(KEY_VARIABLE),
        allow_http=env_flag(ALLOW_HTTP_VARIABLE),
    )


def env_int(variable: str, *, default: int, minimum: int) -> int:
    """A whole-number setting, or an error naming the variable and what it accepts."""
    value = (os.environ.get(variable) or "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ValueError(f"{variable} must be a whole number of at least {minimum}, got {value!r}")
    return number


def env_flag(variable: str) -> bool:
    """A yes/no setting: unset or false/0/no/off is no, true/1/yes/on is yes, else an error."""
    value = (os.environ.get(variable) or "").strip().lower()
    if value in {"", "false", "0", "no", "off"}:
        return False
    if value in {"true", "1", "yes", "on"}:
        return True
    raise ValueError(f"{variable} must be true or false, got {value!r}")
