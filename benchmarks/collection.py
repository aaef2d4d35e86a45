"""Benchmark IAM collection on a simulated, throttled IAM (a script, not a test).

    python -m benchmarks.collection [--users 5000] [--latency-ms 50] [--rate 10] [--burst 20]
                                    [--per-user-users 150] [--workers 4] [--skip-e2e]
                                    [--changes 12] [--incremental-only]

moto serves IAM on 127.0.0.1 behind the tests' IAM-like proxy, which adds latency to every call
and throttles with a token bucket, answering ``Throttling`` as IAM does. For each strategy it
prints IAM calls, throttled calls, wall time, peak memory of the collecting process, and the
achieved request rate against the throttle limit; then the whole graph end to end
(``dagster asset materialize``) for ``--users`` users. The per-user strategy costs ~12 calls a
user, so it runs on its own smaller account (``--per-user-users``).

Then the incremental inventory: a first bulk run with CloudTrail's history and no earlier state,
a handful of changes of every kind (``--changes`` users, through the proxy, so that its
CloudTrail history records them), and the next run, carrying what nothing changed; that run's
inventory is compared field by field with a fresh, unthrottled per-user read of the account.
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
from datetime import UTC, datetime
from pathlib import Path

import boto3
import requests

REPO = Path(__file__).resolve().parents[1]


def child(
    endpoint: str,
    strategy: str,
    workers: int,
    read_ssh_keys: bool = True,
    state: str = "-",
    users_out: str = "-",
) -> None:
    """Collect in a process of its own, so that its peak memory is the collector's alone.

    ``state``: a file of carried facts to read (if present) and to write after the run: the
    run then reads CloudTrail's history as the Dagster resource does. ``users_out``: where to
    write the users read, for comparison."""
    import boto3

    from iam_assets.collect import carried_facts
    from iam_assets.collect.client import build_cloudtrail_client, build_iam_client
    from iam_assets.collect.collector import collect_users
    from iam_assets.collect.freshness import Incremental

    incremental = None
    if state != "-":
        stored = json.loads(Path(state).read_text()) if Path(state).exists() else None
        incremental = Incremental(
            trail_client=build_cloudtrail_client(boto3.session.Session(), endpoint_url=endpoint),
            carried=carried_facts.from_state(stored),
        )
    client = build_iam_client(endpoint_url=endpoint)
    started = time.monotonic()
    result = collect_users(
        client,
        strategy=strategy,
        max_workers=workers,
        read_ssh_keys=read_ssh_keys,
        incremental=incremental,
    )
    seconds = time.monotonic() - started
    if state != "-":
        stamp = result.started_at or datetime.now(UTC)
        Path(state).write_text(json.dumps(carried_facts.to_state(result.users, stamp)))
    if users_out != "-":
        Path(users_out).write_text(json.dumps(result.users))
    freshness = result.freshness
    print(
        json.dumps(
            {
                "users": len(result.users),
                "strategy": result.strategy,
                "seconds": seconds,
                "calls": sum(result.calls.values()),
                "throttle_waits": result.throttle_waits,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "cloudtrail_lookups": freshness.change_lookups if freshness else 0,
                "carried": freshness.carried_facts if freshness else 0,
                "changed": len(freshness.changed_users) if freshness else 0,
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
    proxy,
    strategy: str,
    workers: int,
    limit: float,
    read_ssh_keys: bool = True,
    state: str = "-",
    users_out: str = "-",
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
            state,
            users_out,
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


def change_accounts_users(iam, users: int, count: int) -> None:
    """A day of IAM administration on ``count`` users, every kind of change the inventory
    tracks: keys made, disabled and deleted, console passwords given and taken, MFA enabled and
    deactivated, SSH keys and certificates uploaded, a user added to a group, one created."""
    from iam_assets.demo.seed_credentials import certificate, mfa_serial, ssh_key

    names = [f"user-{index:05d}" for index in range(1, users, max(users // count, 1))][:count]
    for step, name in enumerate(names):
        kind = step % 6
        if kind == 0:  # a rotation: the oldest key goes when the user holds IAM's two
            held = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
            if len(held) >= 2:
                iam.delete_access_key(UserName=name, AccessKeyId=held[0]["AccessKeyId"])
            iam.create_access_key(UserName=name)
        elif kind == 1:
            for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"][:1]:
                iam.update_access_key(
                    UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive"
                )
        elif kind == 2:
            iam.create_login_profile(UserName=name, Password="A-long-pass-phrase-1")
        elif kind == 3:
            serial = mfa_serial(iam, f"{name}-token", "hardware", "123456789012")
            iam.enable_mfa_device(
                UserName=name,
                SerialNumber=serial,
                AuthenticationCode1="123456",
                AuthenticationCode2="234567",
            )
        elif kind == 4:
            iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=ssh_key(name, 9))
        else:
            iam.upload_signing_certificate(UserName=name, CertificateBody=certificate())
        if step == 0:
            iam.add_user_to_group(GroupName="Developers", UserName=name)
    iam.create_user(UserName="user-new-hire", Path="/people/")


def incremental(proxy, endpoint: str, args) -> None:
    """The first run with CloudTrail's history, a handful of changes, the next run; the next
    run's inventory against a fresh per-user read."""
    from iam_assets_tests.support.strategies import comparable

    work = Path(tempfile.mkdtemp(prefix="iam-assets-bench-state-"))
    state, users_out, truth_out = (str(work / name) for name in ("facts", "next", "truth"))
    seed(endpoint, args.users)
    throttled = proxy()
    first = run_strategy(throttled, "bulk", args.workers, args.rate, state=state)
    iam = boto3.client("iam", endpoint_url=throttled.url, region_name="us-east-1")
    change_accounts_users(iam, args.users, args.changes)
    time.sleep(1)  # the history shows an event once it happened, not before
    throttled.throttle = refilled(throttled.throttle)
    following = run_strategy(
        throttled, "bulk", args.workers, args.rate, state=state, users_out=users_out
    )
    fast = proxy_unthrottled(endpoint)
    run_strategy(fast, "per_user", 16, 1e9, users_out=truth_out)
    read = {u["UserName"]: comparable(u) for u in json.loads(Path(users_out).read_text())}
    truth = {u["UserName"]: comparable(u) for u in json.loads(Path(truth_out).read_text())}
    differ = sorted(name for name in truth if read.get(name) != truth[name])
    shutil.rmtree(work, ignore_errors=True)
    print()
    print(
        f"{'incremental (bulk)':<28} {'users':>6} {'IAM calls':>9} {'CloudTrail':>10}"
        f" {'throttled':>9} {'wall s':>7} {'carried':>7} {'changed':>7}"
    )
    for name, row in (("first run (no state)", first), ("next run", following)):
        print(
            f"{name:<28} {row['users']:>6} {row['iam_calls']:>9} {row['cloudtrail_lookups']:>10}"
            f" {row['throttled']:>9} {row['seconds']:>7.1f} {row['carried']:>7}"
            f" {row['changed']:>7}"
        )
    print(
        f"next run vs a fresh per-user read of all {len(truth)} users:"
        f" {len(truth) - len(differ)} equal field by field, {len(differ)} differ {differ[:5]}"
    )


def refilled(bucket):
    """The same throttle, full again (the next day's run starts with IAM's burst)."""
    from iam_assets_tests.support.iam_proxy import TokenBucket

    return TokenBucket(bucket.rate, bucket.burst)


def proxy_unthrottled(endpoint: str):
    from iam_assets_tests.support.iam_proxy import IAMProxy

    return IAMProxy(endpoint, complete_reports=False).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--per-user-users", type=int, default=150)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=float, default=10.0, help="throttle, requests/s")
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="per-user threads")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--changes", type=int, default=12, help="users changed between runs")
    parser.add_argument("--incremental-only", action="store_true", help="only the last table")
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

    if not args.incremental_only:
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
    incremental(proxy, endpoint, args)
    if not args.skip_e2e:
        graph = run_graph(proxy(), args.users)
        print()
        print(
            f"end to end (dagster asset materialize, bulk): {graph['users']} users,"
            f" {graph['delivered']} events delivered, {graph['wall_seconds']:.1f} s,"
            f" peak {graph['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    if len(sys.argv) == 8 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "ssh", *sys.argv[6:8])
    else:
        main()
