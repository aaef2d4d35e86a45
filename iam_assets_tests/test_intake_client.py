"""The intake client against a loopback intake that speaks Sekoia.io's protocol."""

import pytest

from iam_assets.intake import (
    IntakeConfigError,
    IntakeError,
    SekoiaIntakeClient,
    batches,
    validate_intake_config,
)


def events(count: int) -> list[dict]:
    return [{"user": {"uid": f"AIDA{index:08d}"}, "n": index} for index in range(count)]


def test_events_arrive_once_each_in_batches_with_the_key_in_the_header(intake):
    client = SekoiaIntakeClient(intake.url, intake.key, batch_events=100)
    report = client.send(events(1234))
    assert report.event_ids == report.events == 1234
    assert report.batches == 13
    assert intake.events == events(1234)
    assert {request.path for request in intake.requests} == {"/jsons"}
    assert all(r.headers["x-sekoiaio-intake-key"] == intake.key for r in intake.requests)


def test_batches_respect_the_byte_budget():
    encoded = ["x" * 400] * 10
    grouped = list(batches(encoded, max_events=100, max_bytes=1000))
    assert [len(batch) for batch in grouped] == [2, 2, 2, 2, 2]
    assert [item for batch in grouped for item in batch] == encoded


def test_wrong_key_fails_fast_naming_the_variable_not_the_value(intake):
    client = SekoiaIntakeClient(intake.url, "wrong-secret-value", retries=0)
    with pytest.raises(IntakeError) as raised:
        client.send(events(3))
    message = str(raised.value)
    assert "SEKOIA_INTAKE_KEY" in message and "401" in message
    assert "wrong-secret-value" not in message + repr(client)
    assert raised.value.delivered == 0 and raised.value.undelivered == 3
    assert intake.events == []


def test_a_refused_batch_says_how_many_were_and_were_not_delivered(intake):
    client = SekoiaIntakeClient(intake.url, intake.key, batch_events=10, retries=0)
    client.send(events(10))  # first snapshot lands
    intake.events.clear()
    # The second batch of the next delivery is refused as too large.
    original = intake._answer
    calls = {"n": 0}

    def refuse_second(path, headers, raw):
        calls["n"] += 1
        if calls["n"] == 2:
            return 413, {}, b'{"message": "too large"}'
        return original(path, headers, raw)

    intake._answer = refuse_second
    with pytest.raises(IntakeError, match=r"413.*Delivered 10 of 25 events; 15 were not") as raised:
        client.send(events(25))
    assert raised.value.delivered == 10
    assert len(intake.events) == 10


def test_transient_503_is_retried_until_accepted(intake):
    intake.fail_next(503, times=3)
    client = SekoiaIntakeClient(intake.url, intake.key, retries=5)
    report = client.send(events(5))
    assert report.event_ids == 5
    assert [r.status for r in intake.requests] == [503, 503, 503, 200]
    assert intake.events == events(5)


def test_429_with_retry_after_is_honoured(intake):
    intake.fail_next(429, headers={"Retry-After": "1"})
    client = SekoiaIntakeClient(intake.url, intake.key)
    assert client.send(events(2)).event_ids == 2
    assert [r.status for r in intake.requests] == [429, 200]


def test_unreachable_intake_is_a_clear_error():
    client = SekoiaIntakeClient("http://127.0.0.1:9", "k", retries=0, timeout=2)
    with pytest.raises(IntakeError, match="could not be reached"):
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
    ],
)
def test_bad_configuration_names_the_variable(url, key, variable):
    with pytest.raises(IntakeConfigError, match=variable) as raised:
        validate_intake_config(url, key)
    assert not key.strip() or key not in str(raised.value)
