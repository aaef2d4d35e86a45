"""An IAM simulator (moto) served on loopback inside this process, seeded once."""

import logging
import threading

from iam_assets.demo.seed import DEMO_USERS, backdate, drift, seed_users
from iam_assets.demo.seed_credentials import (
    moto_dates_its_reports,
    moto_lists_no_service_credentials,
)

_lock = threading.Lock()
_endpoint: str | None = None


def start_seeded_moto(with_drift: bool = False) -> str:
    """Start moto on 127.0.0.1 (a free port) and seed the demo account; the endpoint URL.

    ``with_drift`` then changes the account as a day of IAM administration would (see
    ``seed.drift``). Idempotent within a process: every run in the same process sees the same
    account.
    """
    global _endpoint
    with _lock:
        if _endpoint is None:
            import boto3
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
            # The demo's account has no service-specific credentials (moto cannot hold any):
            # this process's moto says so as IAM would, instead of an error page.
            moto_lists_no_service_credentials()
            moto_dates_its_reports()
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            client = boto3.client(
                "iam",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="demo",
                aws_secret_access_key="demo",
            )
            seed_users(client, DEMO_USERS)
            backdate(DEMO_USERS)
            if with_drift:
                drift(client)
            _endpoint = endpoint
        return _endpoint
