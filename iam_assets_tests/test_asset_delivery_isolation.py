"""A batch the Asset API refuses for its items is split until the refused items are alone: every
other item arrives, each refused user is named with the API's reason; 2xx answers are read."""

from __future__ import annotations

import pytest

from iam_assets.deliver.sekoia_assets import SekoiaAssetClient
from iam_assets.deliver.sink import DeliveryError
from iam_assets_tests.test_asset_inventory import items_of


def client_for(api, **kwargs) -> SekoiaAssetClient:
    return SekoiaAssetClient(api.url, api.key, api.connector, sleep=lambda _s: None, **kwargs)


def test_one_refused_user_is_isolated_named_and_every_other_item_arrives(asset_api):
    items = items_of(250)
    asset_api.refuse_user("user-142")
    report = client_for(asset_api).send(items)
    assert report.refused == [
        {"user": "user-142", "reason": "HTTP 422: UNPROCESSABLE: items[0]: user user-142 refused"}
    ]
    stored = sorted(item["user"]["name"] for item in asset_api.items)
    assert stored == sorted(f"user-{n}" for n in range(250) if n != 142)
    assert all(len(found) == 1 for found in asset_api.by_uid().values())
    assert report.delivered == 249
    # Halving a batch of 100 down to the one item: 7 levels of two requests each, not 100.
    assert report.requests == 3 + 2 * 7


def test_refused_users_in_several_batches_are_each_named(asset_api):
    asset_api.refuse_user("user-3")
    asset_api.refuse_user("user-4", status=400)
    asset_api.refuse_user("user-230")
    report = client_for(asset_api).send(items_of(250))
    assert sorted(refused["user"] for refused in report.refused) == ["user-230", "user-3", "user-4"]
    assert "HTTP 400" in next(r["reason"] for r in report.refused if r["user"] == "user-4")
    assert len(asset_api.items) == report.delivered == 247


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refusal_of_the_request_itself_is_not_split(asset_api, status):
    asset_api.fail_next(status)
    with pytest.raises(DeliveryError, match=f"HTTP {status}"):
        client_for(asset_api).send(items_of(100))
    assert len(asset_api.pushes) == 1


def test_202_is_acceptance_and_its_task_id_is_kept(asset_api):
    asset_api.accept_with = 202
    report = client_for(asset_api).send(items_of(150))
    assert report.delivered == 150 and not report.refused
    assert [push.status for push in asset_api.pushes] == [202, 202]
    assert len(report.receipts) == 2


def test_an_answer_without_task_id_accepts_the_batch_without_a_receipt(asset_api):
    asset_api.with_task_id = False  # older platforms answer {}
    report = client_for(asset_api).send(items_of(3))
    assert report.delivered == 3 and report.receipts == []


# -- after a 2xx: the ingestion task (the SDK's wait_for_push_task) ------------------------------


def test_a_batch_whose_task_fails_is_not_delivered_and_its_users_are_named(asset_api):
    waits: list[float] = []
    client = SekoiaAssetClient(
        asset_api.url, asset_api.key, asset_api.connector, sleep=waits.append
    )
    asset_api.fail_next_task("duplicate uid", after=1)  # batch 1 is ingested, not batch 2
    items = items_of(250)
    report = client.send(items)
    assert report.delivered == 150
    second = sorted(item["user"]["name"] for item in items[100:200])
    assert sorted(refused["user"] for refused in report.refused) == second
    assert {refused["reason"].split(": ", 1)[0] for refused in report.refused} == {"not ingested"}
    assert all(r["reason"].endswith("ended FAILED: duplicate uid") for r in report.refused)
    assert len(asset_api.items) == 150 and len(asset_api.not_ingested) == 100
    assert waits == [1.0]  # polled again once, one second after RUNNING
    assert report.unconfirmed == 0


def test_a_task_error_quoting_the_key_is_redacted(asset_api):
    asset_api.fail_next_task(f"rejected for key {asset_api.key}")
    report = client_for(asset_api).send(items_of(1))
    ((refused),) = report.refused
    assert asset_api.key not in refused["reason"] and "***" in refused["reason"]


def test_a_task_api_that_cannot_be_read_leaves_ingestion_unconfirmed_not_assumed(asset_api):
    asset_api.tasks_readable = False
    report = client_for(asset_api).send(items_of(250))
    assert report.delivered == 250 and not report.refused  # accepted, as the API said
    assert report.unconfirmed == 250 and "HTTP 403" in report.unconfirmed_why


def test_a_task_still_running_at_the_timeout_is_unconfirmed(asset_api):
    asset_api.fail_next_task("never", pending=50)
    report = client_for(asset_api, task_timeout=10).send(items_of(3))
    assert report.unconfirmed == 3 and "still RUNNING after 10 s" in report.unconfirmed_why
