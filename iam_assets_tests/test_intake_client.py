"""Delivery under fault injection, against a loopback intake that speaks Sekoia.io's protocol.

Every test asserts exactly which events the intake holds afterwards.
"""

import base64
import gzip
import json

import pytest
import requests

from iam_assets.intake import (
    IntakeConfigError,
    IntakeError,
    SekoiaIntakeClient,
    batches,
    validate_intake_config,
)


def events(count: int, start: int = 0) -> list[dict]:
    return [{"user": {"uid": f"AIDA{index:08d}"}, "n": index} for index in range(start, count)]


def client_for(intake, **kwargs) -> tuple[SekoiaIntakeClient, list[float]]:
    """A client whose waits are recorded instead of slept."""
    waits: list[float] = []
    kwargs.setdefault("backoff_initial", 0.5)
    client = SekoiaIntakeClient(intake.url, intake.key, sleep=waits.append, **kwargs)
    return client, waits


def test_events_arrive_once_each_gzipped_with_the_key_in_the_header(intake):
    client, _ = client_for(intake, batch_events=100)
    report = client.send(events(1234))
    assert report.delivered == report.events == 1234
    assert report.batches == report.requests == 13
    assert intake.events == events(1234)
    assert {request.path for request in intake.requests} == {"/jsons"}
    for request in intake.requests:
        assert request.headers["x-sekoiaio-intake-key"] == intake.key
        assert request.headers["content-encoding"] == "gzip"
    assert report.bytes_sent < report.bytes_uncompressed / 3


def test_batches_respect_the_byte_budget():
    encoded = ["x" * 400] * 10
    grouped = list(batches(encoded, max_events=100, max_bytes=1000))
    assert [len(batch) for batch in grouped] == [2, 2, 2, 2, 2]
    assert [item for batch in grouped for item in batch] == encoded


def test_three_503_then_success_delivers_everything_once(intake):
    intake.fail_next(503, times=3)
    client, waits = client_for(intake)
    report = client.send(events(5))
    assert intake.events == events(5)
    assert report.retries == 3 and report.requests == 4
    assert [r.status for r in intake.requests] == [503, 503, 503, 200]
    assert len(waits) == 3  # exponential ceilings (0.5 s doubling), full jitter below them
    assert all(0 <= wait <= 0.5 * 2 ** (i + 1) for i, wait in enumerate(waits))


def test_429_honours_retry_after_and_caps_it(intake):
    intake.fail_next(429, headers={"Retry-After": "1"})
    intake.fail_next(429, headers={"Retry-After": "3600"})
    client, waits = client_for(intake, retry_after_cap=5)
    assert client.send(events(2)).retries == 2
    assert waits == [1.0, 5.0]
    assert intake.events == events(2)


def test_wrong_key_fails_at_once_naming_the_variable_not_the_value(intake):
    client = SekoiaIntakeClient(intake.url, "wrong-secret-value")
    with pytest.raises(IntakeError) as raised:
        client.send(events(3))
    message = str(raised.value)
    assert "SEKOIA_INTAKE_KEY" in message and "401" in message
    assert "wrong-secret-value" not in message + repr(client)
    assert raised.value.delivered == 0 and raised.value.undelivered == 3
    assert len(intake.requests) == 1  # not retried
    assert intake.events == []


@pytest.mark.parametrize(("status", "variable"), [(403, "SEKOIA_INTAKE_URL"), (404, "URL")])
def test_refusals_say_what_to_fix(intake, status, variable):
    intake.fail_next(status)
    client, waits = client_for(intake)
    with pytest.raises(IntakeError, match=variable):
        client.send(events(1))
    assert waits == [] and intake.events == []


def test_413_for_one_event_stops_at_its_batch_with_counts(intake):
    intake.max_event_bytes = 2000
    snapshot = events(25)
    snapshot[14]["padding"] = "x" * 5000  # in the second batch of ten
    client, waits = client_for(intake, batch_events=10)
    with pytest.raises(IntakeError, match=r"413.*Delivered 10 of 25 events; 15 were not"):
        client.send(snapshot)
    assert intake.events == snapshot[:10]
    assert waits == []  # 413 is not retried


def test_connection_dropped_before_storing_is_retried_without_duplicates(intake):
    intake.drop_next()
    client, waits = client_for(intake, batch_events=4)
    report = client.send(events(8))
    assert intake.events == events(8)
    assert report.retries == 1 and len(waits) == 1


def test_connection_dropped_after_storing_duplicates_rather_than_loses(intake):
    intake.drop_next(after_storing=True)
    client, _ = client_for(intake, batch_events=4)
    client.send(events(8))
    assert intake.events == events(4) + events(8)  # first batch twice: at-least-once


def test_a_10000_event_snapshot_arrives_exactly_once(intake):
    client, _ = client_for(intake)
    report = client.send(events(10_000))
    assert report.delivered == 10_000 and report.requests == 10
    assert intake.events == events(10_000)


def test_oversized_event_is_skipped_and_named_and_the_rest_delivered(intake):
    snapshot = events(3)
    snapshot[1]["padding"] = "x" * (251 * 1024)
    client, _ = client_for(intake)
    report = client.send(snapshot)
    assert [item["user"] for item in report.skipped] == ["AIDA00000001"]
    assert report.delivered == 2
    assert intake.events == [snapshot[0], snapshot[2]]


def test_persistent_failure_is_bounded_and_counted(intake):
    intake.fail_next(503, times=100)
    client, waits = client_for(intake, max_attempts=4, batch_events=2)
    with pytest.raises(IntakeError, match=r"kept failing.*Delivered 0 of 6 events; 6 were not"):
        client.send(events(6))
    assert len(intake.requests) == 4 and len(waits) == 3
    assert intake.events == []


def test_unreachable_intake_is_a_clear_error():
    client = SekoiaIntakeClient(
        "http://127.0.0.1:9", "some-key", max_attempts=2, timeout=2, sleep=lambda _s: None
    )
    with pytest.raises(IntakeError, match="connection failed"):
        client.send(events(1))


@pytest.mark.parametrize(
    ("url", "key", "variable"),
    [
        ("ftp://intake.example", "s3cr3t-key", "SEKOIA_INTAKE_URL"),
        ("intake.sekoia.io", "s3cr3t-key", "SEKOIA_INTAKE_URL"),
        (
            "https://intake.sekoia.io?header_X-SEKOIAIO-INTAKE-KEY=s3cr3t",
            "s3cr3t",
            "SEKOIA_INTAKE_URL",
        ),
        ("https://intake.sekoia.io", "", "SEKOIA_INTAKE_KEY"),
        ("https://intake.sekoia.io", "   ", "SEKOIA_INTAKE_KEY"),
        ("https://intake.sekoia.io", "key with spaces", "SEKOIA_INTAKE_KEY"),
    ],
)
def test_bad_configuration_names_the_variable(url, key, variable):
    with pytest.raises(IntakeConfigError, match=variable) as raised:
        validate_intake_config(url, key)
    assert not key.strip() or key not in str(raised.value)


def test_the_double_speaks_every_documented_form(intake):
    """The double is only worth its tests if it accepts what Sekoia.io documents."""
    one = [json.dumps({"n": 1})]
    forms = [
        ("/jsons", {"X-SEKOIAIO-INTAKE-KEY": intake.key}, {"jsons": one}),
        ("/batch", {}, {"intake_key": intake.key, "jsons": one}),
        (f"/jsons?header_X-SEKOIAIO-INTAKE-KEY={intake.key}", {}, {"jsons": one}),
        (
            "/jsons",
            {"Authorization": "Basic " + base64.b64encode(f"x:{intake.key}".encode()).decode()},
            {"jsons": one},
        ),
    ]
    for path, headers, body in forms:
        answer = requests.post(intake.url + path, json=body, headers=headers, timeout=5)
        assert answer.status_code == 200 and len(answer.json()["event_ids"]) == 1, path
    gz = gzip.compress(json.dumps({"jsons": one}).encode())
    headers = {"X-SEKOIAIO-INTAKE-KEY": intake.key, "Content-Encoding": "gzip"}
    assert requests.post(intake.url + "/jsons", data=gz, headers=headers, timeout=5).ok
    wrong = {"X-SEKOIAIO-INTAKE-KEY": "nope"}
    assert (
        requests.post(intake.url + "/jsons", json={"jsons": one}, headers=wrong).status_code == 401
    )
    assert intake.events == [{"n": 1}] * 5
