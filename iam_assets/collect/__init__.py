"""Collect: the IAM API -> raw users, one account at a time (boto3; no Dagster here).

Holds the IAM client and its calls, the bulk and per-user strategies, the credential report
parser, the Organization's accounts and assumed roles, and the IAM policy documents that grant
exactly the calls made. Imports nothing else of the project: it is the first stage.
"""
