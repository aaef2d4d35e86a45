"""iam-assets: the daily AWS IAM user inventory as OCSF events, as a Dagster code location."""
