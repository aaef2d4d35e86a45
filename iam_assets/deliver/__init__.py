"""Deliver: OCSF events -> their destinations, and alerts -> their channels (no Dagster here).

Holds the delivery contract (``sink``), the Sekoia.io HTTP intake, the local JSON-lines outbox,
the HTTP transport they share, and the alert channels. May import the stages upstream of it.
"""
