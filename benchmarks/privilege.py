"""Benchmark the privilege analysis (a script, not a test).

    python -m benchmarks.privilege [--users 5000] [--shared-groups]

Users hold one to three of ten AWS managed policies (their real documents, as moto ships them:
ReadOnlyAccess alone has hundreds of action patterns) through groups, plus an inline policy of
their own among 50 variants: by default almost every user's set of policies is distinct (the
worst case: one judgement per user); ``--shared-groups`` drops the inline variants, as in an
account managed through groups. Prints the users, the distinct sets judged, the catalogue's
size, and the seconds to enrich them (the privilege verdicts are most of it).
"""

import argparse
import json
import random
import time

from moto.iam.aws_managed_policies import aws_managed_policies_data

from iam_assets.analysis import enrich
from iam_assets.analysis.user_privilege import PrivilegeAnalysis
from iam_assets.collect.policies import grant
from iam_assets_tests.support.product_page import CONSOLE_USER

POLICIES = (
    "AdministratorAccess",
    "ReadOnlyAccess",
    "PowerUserAccess",
    "IAMFullAccess",
    "AmazonS3FullAccess",
    "SecurityAudit",
    "ViewOnlyAccess",
    "AmazonEC2FullAccess",
    "AWSLambda_FullAccess",
    "AmazonDynamoDBFullAccess",
)


def users(count: int, shared: bool) -> list[dict]:
    documents = json.loads(aws_managed_policies_data)
    grants = {
        name: grant(
            name,
            f"group {name}-holders",
            documents[name]["Document"],
            arn=f"arn:aws:iam::aws:policy/{name}",
            version=documents[name]["DefaultVersionId"],
        )
        for name in POLICIES
    }
    chance = random.Random(1)
    made = []
    for number in range(count):
        chosen = [grants[name] for name in chance.sample(POLICIES, chance.randint(1, 3))]
        if not shared:
            own = {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::b{number % 50}/*",
            }
            chosen.append(grant("own", "user", {"Statement": [own]}))
        made.append(
            {
                **CONSOLE_USER,
                "UserName": f"user-{number:05d}",
                "UserId": f"AIDA{number:017d}",
                "Policies": chosen,
            }
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--shared-groups", action="store_true")
    options = parser.parse_args()
    raw = users(options.users, options.shared_groups)
    started = time.perf_counter()
    frame = enrich.enrich_users(raw)
    seconds = time.perf_counter() - started
    analysis = PrivilegeAnalysis(raw)
    for user in raw:
        analysis.of(user)
    distinct = analysis.judgements
    header = ("users", "distinct sets", "actions", "enrich s", "admins", "can become")
    widths = (6, 13, 8, 9, 7, 11)
    print(" ".join(f"{name:>{width}}" for name, width in zip(header, widths, strict=True)))
    print(
        f"{len(frame):>6} {distinct:>13} {len(analysis.universe):>8} {seconds:>9.1f}"
        f" {int(frame['is_admin'].fillna(False).sum()):>7}"
        f" {int(frame['can_become_admin'].fillna(False).sum()):>11}"
    )


if __name__ == "__main__":
    main()
