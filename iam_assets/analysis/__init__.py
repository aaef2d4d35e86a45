"""Analysis: raw users -> the enriched users table (pandas; no Dagster here).

Holds the enrichment, privilege analysis, KPIs, change tracking and its snapshot files. May import
``collect`` (the raw shapes it reads), nothing downstream.
"""
