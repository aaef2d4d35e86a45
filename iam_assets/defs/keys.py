"""The names other code looks things up by, in one place: asset keys, the group, run tags and
the metadata entries read back by sensors, the demo report and the UI tests. The leaves (one per
destination) and their metadata names are declared with their destination, in destinations.py."""

import dagster as dg

GROUP = "iam_inventory"
OWNERS = ["team:security"]

RAW_USERS = dg.AssetKey("raw_iam_users")
ENRICHED_USERS = dg.AssetKey("enriched_iam_users")
OCSF_EVENTS = dg.AssetKey("ocsf_user_inventory")
# The Asset inventory's items, built and checked before they are sent (destinations.py).
ASSET_ITEMS = dg.AssetKey("sekoia_asset_items")

# The AWS account of a run partitioned by account (Dagster's own tag, on UI and backfill runs).
PARTITION_TAG = "dagster/partition"
# Single-account runs carry this tag instead; the production instance limits runs per value.
ACCOUNT_TAG = "iam_assets/account"
# Concurrency pool of the IAM reads: its limit (deploy/dagster.production.yaml) caps the
# collections in flight across runs.
IAM_POOL = "aws_iam"

# Metadata entries read back elsewhere.
FAILING_USERS = "failing_users"  # on every failed check: the users at fault
