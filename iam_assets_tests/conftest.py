"""Shared fixtures: moto as a real HTTP server on 127.0.0.1, an IAM-like proxy, an intake double.

Nothing here talks to the internet: fake AWS credentials, no instance metadata, no profile.
"""

import logging
import os
import uuid
from collections.abc import Iterator

import boto3
import pytest
import requests

from iam_assets_tests.support.asset_api_double import AssetApiDouble
from iam_assets_tests.support.iam_proxy import IAMProxy
from iam_assets_tests.support.intake_double import IntakeDouble
from iam_assets_tests.support.webhook_double import WebhookDouble

# The machine's own settings must not steer the tests: no real endpoint, profile, intake or
# scope (IAM_ASSETS_REQUIRE_POSTGRES, set by CI for the tests themselves, stays).
for variable in list(os.environ):
    if (
        variable.startswith(("AWS_", "SEKOIA_", "IAM_ASSETS_"))
        and variable != "IAM_ASSETS_REQUIRE_POSTGRES"
    ):
        os.environ.pop(variable)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_EC2_METADATA_DISABLED="true",
    AWS_CONFIG_FILE=os.devnull,
    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
)

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def iam_admin(moto_endpoint: str):
    """A boto3 IAM client straight to a freshly reset moto, for seeding the account."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    return boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def iam_proxy(moto_endpoint: str, iam_admin) -> Iterator[IAMProxy]:
    """The endpoint the code under test uses: moto, paged and observed like IAM."""
    proxy = IAMProxy(moto_endpoint).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def state(tmp_path):
    """Where the previous snapshot is kept, fresh for each test."""
    from iam_assets.defs.state_resource import SnapshotStoreResource

    return SnapshotStoreResource(directory=str(tmp_path / "state"))


@pytest.fixture
def webhook() -> Iterator[WebhookDouble]:
    """A loopback JSON webhook that records the alerts it receives."""
    double = WebhookDouble().start()
    yield double
    double.stop()


@pytest.fixture
def intake() -> Iterator[IntakeDouble]:
    double = IntakeDouble(key=f"intake-key-{uuid.uuid4().hex}").start()
    yield double
    double.stop()


@pytest.fixture
def asset_api() -> Iterator[AssetApiDouble]:
    """A strict loopback Asset inventory API (support/asset_api_double.py)."""
    double = AssetApiDouble(key=f"api-key-{uuid.uuid4().hex}").start()
    yield double
    double.stop()
