"""Benchmark IAM collection on a simulated, throttled IAM (a script, not a test).

    python -m benchmarks.collection [--users 5000] [--latency-ms 50] [--rate 10] [--burst 20]
                                    [--per-user-users 150] [--workers 4] [--skip-e2e]

moto serves IAM on 127.0.0.1 behind the tests' IAM-like proxy, which adds latency to every call
and throttles with a token bucket, answering ``Throttling`` as IAM does. For each strategy it
prints IAM calls, throttled calls, wall time, peak memory of the collecting process, and the
achieved request rate against the throttle limit; then the whole graph end to end
(``dagster asset materialize``) for ``--users`` users. The per-user strategy costs ~12 calls a
user, so it runs on its own smaller account (``--per-user-users``).
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests

REPO = Path(__file__).resolve().parents[1]


def child(endpoint: str, strategy: str, workers: int, read_ssh_keys: bool = True) -> None:
    """Collect in a process of its own, so that its peak memory is the collector's alone."""
    from iam_assets.collect.client import build_iam_client
    from iam_assets.collect.collector import collect_users

    client = build_iam_client(endpoint_url=endpoint)
    started = time.monotonic()
    result = collect_users(
        client, strategy=strategy, max_workers=workers, read_ssh_keys=read_ssh_keys
    )
    print(
        json.dumps(
            {
                "users": len(result.users),
                "strategy": result.strategy,
                "seconds": time.monotonic() - started,
                "calls": sum(result.calls.values()),
                "throttle_waits": result.throttle_waits,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def seed(endpoint: str, count: int) -> float:
    from iam_assets.demo.seed import generated_users, seed_users

    requests.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()
    client = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
    started = time.monotonic()
    seed_users(client, generated_users(count), workers=6)
    return time.monotonic() - started


def run_strategy(
    proxy, strategy: str, workers: int, limit: float, read_ssh_keys: bool = True
) -> dict:
    proxy.actions.clear()
    proxy.throttled = 0
    started = time.monotonic()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.collection",
            "--child",
            proxy.url,
            strategy,
            str(workers),
            "ssh" if read_ssh_keys else "no-ssh",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.monotonic() - started
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    answered = sum(proxy.actions.values())
    return {
        **figures,
        "wall_seconds": wall,
        "iam_calls": answered,
        "throttled": proxy.throttled,
        "rate_ratio": answered / figures["seconds"] / limit if figures["seconds"] else 0.0,
    }


def run_graph(proxy, users: int) -> dict:
    from iam_assets_tests.support.intake_double import IntakeDouble

    intake = IntakeDouble(key="benchmark-intake-key").start()
    home = Path(tempfile.mkdtemp(prefix="iam-assets-bench-"))
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "AWS_ENDPOINT_URL": proxy.url,
        "SEKOIA_INTAKE_URL": intake.url,
        "SEKOIA_INTAKE_KEY": intake.key,
    }
    dagster = str(Path(sys.executable).with_name("dagster"))
    started = time.monotonic()
    subprocess.run(
        [dagster, "asset", "materialize", "-m", "iam_assets.definitions", "--select", "*"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.monotonic() - started
    intake.stop()
    shutil.rmtree(home, ignore_errors=True)
    return {
        "users": users,
        "delivered": len(intake.events),
        "wall_seconds": wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--per-user-users", type=int, default=150)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=float, default=10.0, help="throttle, requests/s")
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="per-user threads")
    parser.add_argument("--skip-e2e", action="store_true")
    args = parser.parse_args()

    import logging

    from moto.server import ThreadedMotoServer

    from iam_assets_tests.support.iam_proxy import IAMProxy, TokenBucket

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "benchmark")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "benchmark")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    print(
        f"IAM simulator: {args.latency_ms:.0f} ms latency, throttle {args.rate:g} req/s"
        f" (burst {args.burst})"
    )

    def proxy() -> IAMProxy:
        return IAMProxy(
            endpoint,
            latency_seconds=args.latency_ms / 1000,
            throttle=TokenBucket(args.rate, args.burst),
            # The report as moto writes it: completing it (root row, certificates, key use)
            # costs the simulator calls of its own, which would be counted as the collector's.
            complete_reports=False,
        ).start()

    rows = []
    seeded = seed(endpoint, args.per_user_users)
    print(f"seeded {args.per_user_users} users in {seeded:.1f} s")
    rows.append(("per_user", run_strategy(proxy(), "per_user", args.workers, args.rate)))
    seeded = seed(endpoint, args.users)
    print(f"seeded {args.users} users in {seeded:.1f} s")
    rows.append(("bulk", run_strategy(proxy(), "bulk", args.workers, args.rate)))
    no_ssh = run_strategy(proxy(), "bulk", args.workers, args.rate, read_ssh_keys=False)
    rows.append(("bulk, IAM_ASSETS_READ_SSH_KEYS=false", no_ssh))

    print()
    print(
        f"{'strategy':<36} {'users':>6} {'IAM calls':>9} {'throttled':>9} {'wall s':>7}"
        f" {'peak MB':>7} {'rate/limit':>10}"
    )
    for name, row in rows:
        print(
            f"{name:<36} {row['users']:>6} {row['iam_calls']:>9} {row['throttled']:>9}"
            f" {row['seconds']:>7.1f} {row['peak_rss_mb']:>7.0f} {row['rate_ratio']:>10.2f}"
        )
    print(
        "(throttled: answers the simulator refused; botocore and the collector waited them"
        " out, none reached the user)"
    )
    if not args.skip_e2e:
        graph = run_graph(proxy(), args.users)
        print()
        print(
            f"end to end (dagster asset materialize, bulk): {graph['users']} users,"
            f" {graph['delivered']} events delivered, {graph['wall_seconds']:.1f} s,"
            f" peak {graph['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "ssh")
    else:
        main()
