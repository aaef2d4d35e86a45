"""Delivery under fault injection, against a strict loopback intake built from Sekoia.io's
documentation (support/intake_double.py cites the page for every shape it accepts).

Every test asserts exactly which events the intake holds afterwards.
"""

import json
import time

import pytest
import requests

from iam_assets.deliver.intake_config import IntakeConfigError, validate_intake_config
from iam_assets.deliver.sekoia_intake import SekoiaIntakeClient
from iam_assets.deliver.sink import DeliveryError, batches
from iam_assets_tests.support.intake_double import IntakeDouble
from iam_assets_tests.support.sekoia_doc_examples import EXAMPLES


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
    assert [request.status for request in intake.requests] == [200] * 13  # the strict double
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
    with pytest.raises(DeliveryError) as raised:
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
    with pytest.raises(DeliveryError, match=variable):
        client.send(events(1))
    assert waits == [] and intake.events == []


def test_413_for_one_event_stops_at_its_batch_with_counts(intake):
    intake.max_event_bytes = 2000
    snapshot = events(25)
    snapshot[14]["padding"] = "x" * 5000  # in the second batch of ten
    client, waits = client_for(intake, batch_events=10)
    with pytest.raises(DeliveryError, match=r"413.*Delivered 10 of 25 events; 15 were not"):
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
    with pytest.raises(DeliveryError, match=r"kept failing.*Delivered 0 of 6 events; 6 were not"):
        client.send(events(6))
    assert len(intake.requests) == 4 and len(waits) == 3
    assert intake.events == []


def test_unreachable_intake_is_a_clear_error():
    client = SekoiaIntakeClient(
        "http://127.0.0.1:9", "some-key", max_attempts=2, timeout=2, sleep=lambda _s: None
    )
    with pytest.raises(DeliveryError, match=r"kept failing \(connection refused\)"):
        client.send(events(1))


@pytest.mark.parametrize(
    ("url", "key", "variable"),
    [
        ("ftp://intake.example", "s3cr3t-key", "SEKOIA_INTAKE_URL"),
        ("intake.sekoia.io", "s3cr3t-key", "SEKOIA_INTAKE_URL"),
        ("https://intake.sekoia.io?intake_key=s3cr3t-key", "s3cr3t-key", "SEKOIA_INTAKE_URL"),
        ("https://user:s3cr3t-key@intake.sekoia.io", "s3cr3t-key", "SEKOIA_INTAKE_URL"),
        ("http://intake.sekoia.io", "s3cr3t-key", "SEKOIA_INTAKE_ALLOW_HTTP"),
        ("http://10.0.0.5:8080", "s3cr3t-key", "SEKOIA_INTAKE_ALLOW_HTTP"),
        ("https://intake.sekoia.io", "", "SEKOIA_INTAKE_KEY"),
        ("https://intake.sekoia.io", "   ", "SEKOIA_INTAKE_KEY"),
        ("https://intake.sekoia.io", "key with spaces", "SEKOIA_INTAKE_KEY"),
        ("https://intake.sekoia.io", "s3cr3t-key\n", "SEKOIA_INTAKE_KEY"),
        ("https://intake.sekoia.io", "s3cr3t\x00key", "SEKOIA_INTAKE_KEY"),
        ("https://intake.sekoia.io", "s3cr3t-kéy-€uro", "SEKOIA_INTAKE_KEY"),
        ("https://intake.sekoia.io", "\u201cs3cr3t-key\u201d", "SEKOIA_INTAKE_KEY"),
    ],
)
def test_bad_configuration_names_the_variable(url, key, variable):
    with pytest.raises(IntakeConfigError, match=variable) as raised:
        validate_intake_config(url, key)
    assert not key.strip() or key.strip() not in str(raised.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:8080/", "http://[::1]:9", "https://x.io"]
)
def test_loopback_http_and_any_https_are_accepted(url):
    assert validate_intake_config(url, "s3cr3t-key") == url.rstrip("/")


def test_plain_http_beyond_loopback_needs_the_explicit_opt_in():
    url = "http://intake.internal:8080"
    assert validate_intake_config(url, "s3cr3t-key", allow_http=True) == url


# -- the contract double is the documentation, not the client ----------------------------------


def post_example(intake, example: dict) -> requests.Response:
    """One of the documentation's examples, with its placeholder keys made real."""
    keys = {"YOUR_INTAKE_KEY": intake.key, "ANOTHER_INTAKE_KEY": next(iter(intake.other_keys))}
    body = json.loads(json.dumps(example.get("json")))
    text = json.dumps(body)
    for placeholder, key in keys.items():
        text = text.replace(placeholder, key)
    kwargs: dict = {"json": json.loads(text)} if "json" in example else {"data": example["data"]}
    place = example["key"]
    if place == "header":
        kwargs["headers"] = {"X-SEKOIAIO-INTAKE-KEY": intake.key}
    elif place == "basic":
        kwargs["auth"] = requests.auth.HTTPBasicAuth("", intake.key)
    elif place == "query":
        kwargs["params"] = {"intake_key": intake.key}
    return requests.post(intake.url + example["path"], timeout=5, **kwargs)


def test_every_example_of_sekoias_documentation_is_accepted():
    intake = IntakeDouble(key="documented-key", other_keys=frozenset({"another-key"})).start()
    try:
        for example in EXAMPLES:
            answer = post_example(intake, example)
            assert answer.status_code == 200, (example["path"], example["key"], answer.text)
            printed = answer.json()
            if example["prints"] == "event_id":
                assert isinstance(printed["event_id"], str)
            else:
                assert len(printed["event_ids"]) == example["prints"]
    finally:
        intake.stop()
    assert intake.received == 3 * (1 + 2 + 2 + 2) + 1 + 1 + 2 + 2


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/jsons", {"jsons": ['{"n": 1}']}, 400),  # this project's old shape: an object
        ("/jsons", {"intake_key": "KEY", "jsons": ['{"n": 1}']}, 400),
        ("/jsons", [{"n": 1}], 400),  # events are strings
        ("/batch", ['{"n": 1}'], 400),  # a bare list belongs on /jsons
        ("/batch", {"jsons": ['{"n": 1}']}, 400),  # the key is missing
        ("/batch", {"intake_key": "KEY", "jsons": ['{"n": 1}'], "extra": 1}, 400),
        ("/batch", {"intake_key": "wrong", "jsons": ['{"n": 1}']}, 401),
        ("/events", ['{"n": 1}'], 404),
    ],
)
def test_the_double_refuses_what_the_documentation_does_not_list(intake, path, body, status):
    text = json.dumps(body).replace('"KEY"', json.dumps(intake.key))
    headers = {"X-SEKOIAIO-INTAKE-KEY": intake.key, "Content-Type": "application/json"}
    answer = requests.post(intake.url + path, data=text, headers=headers, timeout=5)
    assert answer.status_code == status, answer.text
    assert intake.events == []


def test_the_double_wants_a_key_on_jsons(intake):
    answer = requests.post(intake.url + "/jsons", json=['{"n": 1}'], timeout=5)
    assert answer.status_code == 401
    wrong = {"X-SEKOIAIO-INTAKE-KEY": "nope"}
    assert requests.post(intake.url + "/jsons", json=["{}"], headers=wrong).status_code == 401


def test_the_client_posts_a_bare_list_of_event_texts_gzipped(intake):
    client, _ = client_for(intake)
    client.send(events(2))
    assert intake.requests[0].headers["content-type"] == "application/json"
    assert intake.events == events(2)  # parsed from the strings of a bare list by the double


# -- transport faults, each produced on the wire by the loopback server ---------------------------


def test_connection_dropped_while_sending_is_retried_and_delivers_once(intake):
    intake.drop_while_receiving_next()
    client, waits = client_for(intake, batch_events=4)
    report = client.send(events(8))
    assert intake.events == events(8)
    assert report.retries == 1 and report.requests == 3 and len(waits) == 1
    assert [request.status for request in intake.requests] == [None, 200, 200]


def test_connection_dropped_mid_answer_is_retried_at_least_once(intake):
    intake.cut_answer_next()
    client, waits = client_for(intake, batch_events=4)
    report = client.send(events(8))
    assert intake.events == events(4) + events(8)  # first batch twice: at-least-once
    assert report.retries == 1 and report.delivered == 8 and len(waits) == 1


@pytest.mark.slow
def test_a_trickling_answer_meets_one_deadline_and_names_its_batch(intake):
    client, _ = client_for(intake, batch_events=3, timeout=1.0, max_attempts=2)
    intake.pass_next()  # batch 1 goes through
    intake.trickle_next(0.25, times=2)  # every attempt of batch 2 trickles
    started = time.monotonic()
    with pytest.raises(DeliveryError) as raised:
        client.send(events(6))
    elapsed = time.monotonic() - started
    message = str(raised.value)
    assert "batch 2 (events 4-6)" in message and "within 1 s" in message
    assert "Delivered 3 of 6 events; 3 were not" in message
    assert raised.value.delivered == 3 and raised.value.undelivered == 3
    assert elapsed < 6  # 2 attempts of 1 s, not the minutes the trickle would take


def test_a_redirect_is_never_followed_and_names_the_variable_and_origin(intake):
    elsewhere = IntakeDouble(key=intake.key).start()
    try:
        intake.redirect_next(f"{elsewhere.url}/jsons?x=1")
        client, waits = client_for(intake)
        with pytest.raises(DeliveryError) as raised:
            client.send(events(3))
    finally:
        elsewhere.stop()
    message = str(raised.value)
    assert "SEKOIA_INTAKE_URL" in message and elsewhere.url in message and "307" in message
    assert elsewhere.requests == [] and waits == []  # nothing sent anywhere else, not retried
    assert intake.key not in message


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b'{"event_ids": null}', "no list of event_ids"),
        (b'{"event_ids": "abcdefgh-abcd"}', "no list of event_ids"),
        (b'{"event_ids": {"a": 1, "b": 2, "c": 3}}', "no list of event_ids"),
        (b'{"event_ids": ["a", "b"]}', "2 event ids for 3 events"),
        (b'{"event_ids": ["a", "b", "c", "d"]}', "4 event ids for 3 events"),
        (b'{"event_ids": ["a", "", "c"]}', "not all non-empty strings"),
        (b'{"event_ids": [1, 2, 3]}', "not all non-empty strings"),
        (b'["a", "b", "c"]', "no list of event_ids"),
        (b"null", "no list of event_ids"),
        (b"<html>OK</html>", "not JSON"),
    ],
)
def test_an_answer_that_does_not_acknowledge_every_event_fails_with_counts(
    intake, payload, problem
):
    intake.answer_next(payload)
    client, waits = client_for(intake)
    with pytest.raises(DeliveryError) as raised:
        client.send(events(3))
    assert problem in str(raised.value) and "not acknowledged" in str(raised.value)
    assert raised.value.delivered == 0 and raised.value.undelivered == 3
    assert waits == []


def test_https_through_a_connect_proxy_with_the_ca_of_the_environment(tmp_path, monkeypatch):
    from iam_assets.deliver.http_post import default_tls
    from iam_assets_tests.support.connect_proxy import ConnectProxy
    from iam_assets_tests.support.tls import self_signed_context

    intake = IntakeDouble(key="tls-key", tls=self_signed_context(tmp_path)).start()
    proxy = ConnectProxy().start()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "loopback.crt"))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "")
    default_tls.cache_clear()
    try:
        report = SekoiaIntakeClient(intake.url, "tls-key").send(events(5))
    finally:
        default_tls.cache_clear()
        proxy.stop()
        intake.stop()
    assert report.delivered == 5 and intake.events == events(5)
    assert proxy.tunnels == [intake.url.removeprefix("https://")]
