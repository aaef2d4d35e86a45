"""Getting a credential report that may be used: generated, complete, and of a trusted age.

IAM hands out the existing report for up to 4 hours after it was made, whoever made it
(``GenerateCredentialReport`` starts a new one only when the last is older; IAM User Guide,
"Getting credential reports for your AWS account"). A report older than that, or stamped in the
future, is not what IAM promises: it is asked for again once, and then not used at all. A report
that never completes is not used either. Not used means ``ReportUnusable``: the collector then
reads every user with per-user calls (under ``auto``), which are always current.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from iam_assets.collect.client import IAMCalls, error_code
from iam_assets.collect.credential_report import CredentialReport, parse_credential_report
from iam_assets.collect.records import iso_utc
from iam_assets.collect.timestamps import to_utc

MAX_AGE = timedelta(hours=4)
CLOCK_SKEW = timedelta(minutes=5)  # a report "from the future" beyond this is not trusted
_RETRY_CODES = frozenset({"ReportInProgress", "ReportExpired", "ReportNotPresent"})


class ReportUnusable(Exception):
    """No credential report of a trusted age could be had: read users per user instead."""


@dataclass(frozen=True)
class FetchedReport:
    report: CredentialReport
    generated_at: datetime

    @property
    def generated_iso(self) -> str | None:
        return iso_utc(self.generated_at)

    def age(self, now: datetime) -> timedelta:
        return now - self.generated_at


def fetch_report(
    calls: IAMCalls,
    *,
    poll_seconds: float,
    timeout_seconds: float,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FetchedReport:
    """Generate the report, wait while IAM builds it (with backoff), fetch it and check its age;
    one more generation if it is too old or from the future, then ``ReportUnusable``."""
    fetched = _fetch(calls, poll_seconds, timeout_seconds)
    problem = _age_problem(fetched.generated_at, now())
    if problem is None:
        return fetched
    fetched = _fetch(calls, poll_seconds, timeout_seconds)
    again = _age_problem(fetched.generated_at, now())
    if again is None:
        return fetched
    raise ReportUnusable(f"the credential report is {again}, even when generated again")


def _age_problem(generated_at: datetime, now: datetime) -> str | None:
    if generated_at > now + CLOCK_SKEW:
        return f"stamped {iso_utc(generated_at)}, in the future of this run ({iso_utc(now)})"
    if now - generated_at > MAX_AGE + CLOCK_SKEW:
        hours = (now - generated_at).total_seconds() / 3600
        return f"{hours:.1f} hours old (generated {iso_utc(generated_at)}), older than IAM's 4"
    return None


def _fetch(calls: IAMCalls, poll_seconds: float, timeout_seconds: float) -> FetchedReport:
    deadline = time.monotonic() + timeout_seconds
    delay = poll_seconds
    while True:
        try:
            ready = calls.call("GenerateCredentialReport").get("State") == "COMPLETE"
        except ClientError as error:
            if error_code(error) != "LimitExceeded":
                raise
            ready = False  # too many generations at once: wait, then ask again
        if ready:
            try:
                answer = calls.call("GetCredentialReport")
            except ClientError as error:
                if error_code(error) not in _RETRY_CODES:
                    raise
            else:
                generated = to_utc(answer.get("GeneratedTime"))
                if generated is None:
                    raise ReportUnusable("the credential report has no GeneratedTime")
                report = parse_credential_report(answer.get("Content") or b"")
                return FetchedReport(report=report, generated_at=generated)
        if time.monotonic() + delay > deadline:
            raise ReportUnusable(
                f"the IAM credential report was not ready after {timeout_seconds:.0f} s"
            )
        time.sleep(delay)
        delay = min(delay * 2, 8.0)
