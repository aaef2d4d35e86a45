"""The Dagster layer: assets, checks, resources, schedules, sensors and partitions that wire the
pure stages (collect -> analysis -> ocsf -> deliver) into one lineage graph.

The only package that imports Dagster (with ``iam_assets.demo`` and the ``definitions`` entry
point); it may import every stage.
"""
