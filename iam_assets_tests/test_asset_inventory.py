"""The Asset inventory destination: items the SDK's own model accepts, delivered to a strict
double of the API (support/asset_api_double.py) with the intake's guarantees."""

from __future__ import annotations

import copy
import http.client
import json
import random
import string
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sekoia_automation_models.ocsf.user import AccountTypeId, UserOCSFModel

from iam_assets.analysis import enrich
from iam_assets.deliver.asset_api_config import validate_asset_api_config
from iam_assets.deliver.endpoint_config import EndpointConfigError
from iam_assets.deliver.sekoia_assets import MESSAGE_SHOWN, SekoiaAssetClient
from iam_assets.deliver.sink import DeliveryError
from iam_assets.ocsf import asset_items, rules, sekoia_profile
from iam_assets_tests.support.asset_api_double import model_problem
from iam_assets_tests.support.loopback import LoopbackServer
from iam_assets_tests.support.policy_documents import EVERYTHING, managed
from iam_assets_tests.support.product_page import CONSOLE_USER, CREATED_EPOCH, PROGRAMMATIC_USER

IAM_NAME = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=,.@_-",
    min_size=1,
    max_size=64,
)


def records(*raw_users: dict) -> list:
    return enrich.to_records(enrich.enrich_users(list(raw_users)))


def items_of(count: int) -> list[dict]:
    """``count`` valid items, as the mapper makes them."""
    users = []
    for index in range(count):
        user = copy.deepcopy(PROGRAMMATIC_USER)
        user["UserId"] = f"AIDA{index:016d}"
        user["UserName"] = f"user-{index}"
        user["Arn"] = f"arn:aws:iam::123456789012:user/user-{index}"
        users.append(user)
    items, held_back = asset_items.asset_items(records(*users))
    assert not held_back
    return items


def client_for(api, **kwargs) -> tuple[SekoiaAssetClient, list[float]]:
    waits: list[float] = []
    kwargs.setdefault("backoff_initial", 0.5)
    client = SekoiaAssetClient(api.url, api.key, api.connector, sleep=waits.append, **kwargs)
    return client, waits


# -- the items ---------------------------------------------------------------------------------


def test_the_product_page_users_become_items_the_sdk_model_accepts_as_they_are():
    items, held_back = asset_items.asset_items(records(PROGRAMMATIC_USER, CONSOLE_USER))
    assert not held_back
    for item in items:
        assert model_problem(item) is None, item
    console = next(item for item in items if item["user"]["name"] == CONSOLE_USER["UserName"])
    assert console["user"]["uid"] == CONSOLE_USER["UserId"]
    assert console["user"]["uid_alt"] == console["user"]["account"]["uid"] == CONSOLE_USER["Arn"]
    assert console["user"]["has_mfa"] is True
    assert console["time"] == CREATED_EPOCH
    assert console["type_uid"] == 500302 and console["class_uid"] == 5003
    # Where the page's table and the model disagree, the model wins.
    model = UserOCSFModel.model_validate(console)
    assert model.user.account.type_id is AccountTypeId.AWS_ACCOUNT
    assert console["user"]["account"] == {
        "name": CONSOLE_USER["UserName"],
        "type_id": 10,
        "type": "AWS Account",
        "uid": CONSOLE_USER["Arn"],
    }
    assert not {"path", "tags", "is_console_user", "created_time"} & set(console["user"])


def test_the_page_table_event_is_not_an_item_the_api_accepts():
    """Why the items are mapped on their own: the default event, post-edited or not, carries
    the page's non-model fields (path, tags, account type 40)."""
    event = sekoia_profile.user_inventory_event(records(CONSOLE_USER)[0])
    assert "user.account.type_id" in model_problem(event)  # 40 is not in the model's enum
    event["user"]["account"]["type_id"] = 10
    event["user"]["account"]["type"] = "AWS Account"
    assert "is not an attribute of the model" in model_problem(event)  # cloud, path, tags...


def test_an_unknown_mfa_state_is_left_out_never_sent_as_false():
    user = copy.deepcopy(CONSOLE_USER)
    user["MFADevices"] = None
    user["MFAActive"] = None
    user["UnknownFields"] = {"MFADevices": "AccessDenied"}
    (item,), _ = asset_items.asset_items(records(user))
    assert "has_mfa" not in item["user"]
    assert model_problem(item) is None


def test_a_user_without_creation_time_is_held_back_and_named_not_the_others():
    users = records(PROGRAMMATIC_USER, CONSOLE_USER)
    next(user for user in users if user["user_name"] == PROGRAMMATIC_USER["UserName"])[
        "created_at"
    ] = None
    items, held_back = asset_items.asset_items(users)
    assert [item["user"]["name"] for item in items] == [CONSOLE_USER["UserName"]]
    assert held_back == [
        {
            "user": PROGRAMMATIC_USER["UserName"],
            "reason": "no creation time (the model requires time)",
        }
    ]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    name=IAM_NAME,
    path_parts=st.lists(IAM_NAME, max_size=3),
    groups=st.one_of(st.none(), st.lists(IAM_NAME, max_size=4, unique=True)),
    mfa=st.sampled_from(["known-on", "known-off", "unknown"]),
    denied_policies=st.booleans(),
)
def test_every_user_iam_can_hold_becomes_an_item_the_sdk_model_accepts(
    name, path_parts, groups, mfa, denied_policies
):
    user = copy.deepcopy(CONSOLE_USER)
    path = "/" + "".join(f"{part}/" for part in path_parts)
    user.update(UserName=name, Path=path, Arn=f"arn:aws:iam::123456789012:user{path}{name}")
    user["Groups"] = (
        None
        if groups is None
        else [{"GroupName": g, "AttachedPolicies": [], "InlinePolicies": []} for g in groups]
    )
    if groups is None:
        user["UnknownFields"] = {"Groups": "AccessDenied"}
    if mfa == "unknown":
        user.update(MFADevices=None, MFAActive=None)
        user["UnknownFields"]["MFADevices"] = "AccessDenied"
    elif mfa == "known-off":
        user.update(MFADevices=[], MFAActive=False)
    if denied_policies:
        user.update(AttachedPolicies=None, InlinePolicies=None)
        user["UnknownFields"]["AttachedPolicies"] = "AccessDenied"
    (item,), held_back = asset_items.asset_items(records(user))
    assert not held_back
    assert model_problem(item) is None
    assert item["user"]["name"] == name
    assert item["user"].get("has_mfa") == {"known-on": True, "known-off": False}.get(mfa)
    if groups is None:
        assert "groups" not in item["user"]
    else:
        assert [group["name"] for group in item["user"]["groups"]] == groups


# -- the delivery ------------------------------------------------------------------------------


def test_items_arrive_once_each_in_batches_of_100_with_the_api_key_as_bearer(asset_api):
    client, _ = client_for(asset_api)
    items = items_of(250)
    report = client.send(items)
    assert report.delivered == report.events == 250
    assert [push.items for push in asset_api.pushes] == [100, 100, 50]
    assert [push.status for push in asset_api.pushes] == [200, 200, 200]
    assert asset_api.items == items
    assert all(
        push.headers["authorization"] == f"Bearer {asset_api.key}" for push in asset_api.pushes
    )
    assert len(report.receipts) == 3  # the task ids the API gave back
    assert asset_api.key not in repr(client) + client.destination


def test_a_500_on_one_batch_fails_with_counts_and_a_rerun_delivers(asset_api):
    items = items_of(250)
    client, _ = client_for(asset_api, max_attempts=2)
    asset_api.pass_next()
    asset_api.fail_next(500, times=2)  # both attempts of the second batch
    with pytest.raises(DeliveryError) as raised:
        client.send(items)
    message = str(raised.value)
    assert "batch 2 (items 101-200)" in message and "HTTP 500" in message
    assert (raised.value.delivered, raised.value.undelivered) == (100, 150)
    assert "Delivered 100 of 250 items; 150 were not delivered" in message
    assert len(asset_api.items) == 100
    asset_api.items.clear()
    report = client.send(items)
    assert report.delivered == 250
    assert {uid: len(found) for uid, found in asset_api.by_uid().items()} == {
        item["user"]["uid"]: 1 for item in items
    }


def test_429_with_retry_after_503_and_a_dropped_connection_are_retried(asset_api):
    client, waits = client_for(asset_api)
    asset_api.fail_next(429, headers={"Retry-After": "7"})
    asset_api.fail_next(503)
    asset_api.drop_next()
    report = client.send(items_of(3))
    assert report.delivered == 3 and report.retries == 3
    assert waits[0] == 7
    assert [push.status for push in asset_api.pushes] == [429, 503, None, 200]


@pytest.mark.parametrize(
    ("status", "names"),
    [
        (401, ["SEKOIA_API_KEY"]),
        (403, ["SEKOIA_API_KEY", "SEKOIA_ASSET_CONNECTOR_UUID"]),
        (404, ["SEKOIA_ASSET_CONNECTOR_UUID", "SEKOIA_API_URL"]),
    ],
)
def test_refusals_name_what_to_check_never_the_key_and_are_not_retried(asset_api, status, names):
    client, _ = client_for(asset_api)
    asset_api.fail_next(status)
    with pytest.raises(DeliveryError) as raised:
        client.send(items_of(2))
    message = str(raised.value)
    assert all(name in message for name in names), message
    assert asset_api.key not in message
    assert len(asset_api.pushes) == 1


def test_a_wrong_key_or_connector_is_refused_by_the_double_as_the_api_would(asset_api):
    wrong_key = SekoiaAssetClient(asset_api.url, "not-the-key", asset_api.connector)
    with pytest.raises(DeliveryError, match=r"401.*SEKOIA_API_KEY"):
        wrong_key.send(items_of(1))
    other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    wrong_connector = SekoiaAssetClient(asset_api.url, asset_api.key, other)
    with pytest.raises(DeliveryError, match=r"404.*SEKOIA_ASSET_CONNECTOR_UUID"):
        wrong_connector.send(items_of(1))
    assert asset_api.items == []


def test_a_redirect_is_refused_not_followed(asset_api):
    asset_api.fail_next(307, headers={"Location": "https://elsewhere.example/api"})
    client, _ = client_for(asset_api)
    with pytest.raises(DeliveryError, match=r"307, a redirect to https://elsewhere\.example"):
        client.send(items_of(1))
    assert len(asset_api.pushes) == 1


@pytest.mark.parametrize(
    ("body", "status", "why"),
    [
        ({"version": 1, "items": []}, 400, "non-empty"),
        ({"items": [{}]}, 400, "{version, items}"),
        ({"version": 2, "items": [{}]}, 400, "version"),
        ("a list", 400, "{version, items}"),
    ],
)
def test_the_double_refuses_bodies_the_sdk_never_sends(asset_api, body, status, why):
    connection = http.client.HTTPConnection("127.0.0.1", int(asset_api.url.rsplit(":", 1)[1]))
    connection.request(
        "POST",
        f"/api/v2/asset-management/asset-connector/{asset_api.connector}",
        body=json.dumps(body),
        headers={"Authorization": f"Bearer {asset_api.key}", "Content-Type": "application/json"},
    )
    answer = connection.getresponse()
    assert answer.status == status
    assert why in json.loads(answer.read())["message"]


def test_the_double_refuses_a_null_an_extra_field_or_type_40():
    (item,) = items_of(1)
    assert model_problem(item) is None
    with_null = copy.deepcopy(item)
    with_null["user"]["has_mfa"] = None
    assert "has_mfa" in model_problem(with_null)
    extra = copy.deepcopy(item)
    extra["user"]["path"] = "/"
    assert "user.path is not an attribute" in model_problem(extra)
    page_type = copy.deepcopy(item)
    page_type["user"]["account"]["type_id"] = 40
    assert "type_id" in model_problem(page_type)


@pytest.mark.parametrize(
    ("url", "key", "connector", "variable"),
    [
        ("https://api.sekoia.io", "k3y-value", "not-a-uuid", "SEKOIA_ASSET_CONNECTOR_UUID"),
        ("https://api.sekoia.io", "", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "SEKOIA_API_KEY"),
        (
            "http://api.example.com",
            "k3y-value",
            "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "SEKOIA_API_URL",
        ),
        ("api.sekoia.io", "k3y-value", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "SEKOIA_API_URL"),
    ],
)
def test_bad_configuration_names_the_variable_never_the_key(url, key, connector, variable):
    with pytest.raises(EndpointConfigError, match=variable) as raised:
        validate_asset_api_config(url, key, connector)
    assert not key or key not in str(raised.value)


def test_the_readme_table_of_asset_items_has_exactly_the_paths_the_mapper_emits():
    """The third mapping table (docs/mapping.md, ``mapping_table``) cannot drift from the items."""
    from iam_assets_tests.test_ocsf_strict import leaf_paths

    admin = copy.deepcopy(CONSOLE_USER)
    admin["AttachedPolicies"] = ["AdministratorAccess"]
    admin["Policies"] = [managed("AdministratorAccess", EVERYTHING)]
    admin["Groups"] = [
        {
            "GroupName": "ops",
            "Arn": "arn:aws:iam::123456789012:group/ops",
            "AttachedPolicies": [],
            "InlinePolicies": [],
        }
    ]
    items, _ = asset_items.asset_items(records(admin, PROGRAMMATIC_USER))
    emitted = {path for item in items for path in leaf_paths(item)}
    rows = {row.path for row in asset_items.ASSET_ITEM_MAPPING}
    assert emitted - {"user.groups"} == rows  # an empty list: the groups row's `[]`
    assert not rows & set(asset_items.NOT_IN_MODEL)
    for item in items:  # constant rows show the value the items carry
        for row in asset_items.ASSET_ITEM_MAPPING:
            if row.source == "(constant)":
                value = rules.get_path(item, row.path)
                assert f"`{json.dumps(value, ensure_ascii=False)}`" in row.rule, row


class QuotingApi(LoopbackServer):
    """An Asset API that quotes the request's key in its error message (as a careless proxy or
    API might), at a chosen offset, with a chosen status."""

    def __init__(self) -> None:
        self.message = ""
        self.status = 400
        self._serve()

    def answer(self, path, headers, body):
        document = {"code": "T400", "message": self.message}
        return self.status, {"Content-Type": "application/json"}, json.dumps(document).encode()


@pytest.mark.parametrize("status", [400, 401])  # an item refused (named), the request refused
def test_a_key_quoted_by_the_api_never_reaches_the_error_whatever_its_offset(status):
    key = "sk-" + "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=40))
    api = QuotingApi().start()
    api.status = status
    try:
        client = SekoiaAssetClient(api.url, key, str(uuid.uuid4()), allow_http=True)
        prefix = len("T400: ")
        for offset in range(MESSAGE_SHOWN - len(key) - prefix - 3, MESSAGE_SHOWN + 3):
            api.message = "." * offset + key + " was refused"
            if status == 400:
                report = client.send([{"user": {"uid": "u", "name": "carol"}}])
                ((refused),) = report.refused
                assert refused["user"] == "carol"
                text = refused["reason"]
            else:
                with pytest.raises(DeliveryError) as raised:
                    client.send([{"user": {"uid": "u"}}])
                text = str(raised.value)
            assert "T400" in text
            leaked = [n for n in range(4, len(key) + 1) if key[:n] in text]
            assert not leaked, (offset, text)
    finally:
        api.stop()
