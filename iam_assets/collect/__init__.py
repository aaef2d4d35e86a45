"""Collect: the IAM API -> raw users, one account at a time (boto3; no Dagster here).

Imports nothing else of the project: it is the first stage. Read it in this order:

* ``collector`` — entry point (``collect_users``): picks the strategy, falls back, reports.
* ``records`` — the raw user it produces (``RawUser``), the same from both strategies.
* ``bulk`` — authorization details + credential report; ``per_user`` — one user at a time;
  ``credentials`` — per-user credential reads both use; ``root_account`` — GetAccountSummary;
  ``account_settings`` — the password policy and the root's virtual MFA (``virtual_mfa``).
* ``client`` — the IAM client and the call wrapper (counting, throttling, pages, errors).
* ``credential_report``, ``report_rows`` and ``report_csv`` — the credential report, parsed and
  checked (users' rows and the ``<root_account>`` row).
* ``accounts`` — the Organization's accounts and assumed-role sessions.
* ``policies``, ``arns``, ``timestamps`` — small pure helpers; ``iam_policy*.json`` — the IAM
  policy documents that grant exactly the calls made.
"""
