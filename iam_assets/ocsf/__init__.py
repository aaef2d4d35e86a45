"""OCSF: enriched users -> OCSF 1.6.0 User Inventory Info events, and the rules they must keep.

Two profiles: ``sekoia_profile`` (the Sekoia.io product page's mapping table, the default) and
``strict_profile`` (strict OCSF 1.6.0, validated against the shipped schema); their rules, and
the mapping tables of docs/mapping.md. May import ``collect`` and ``analysis``; no Dagster.
"""
