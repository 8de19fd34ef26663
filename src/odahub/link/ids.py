"""Stable nominal ids: a new clustering inherits the ids of the clusters it overlaps most.

A new cluster and an old id are paired when each is the other's best overlap (most shared
records; ties to the smaller id). Paired clusters keep their id; the rest get fresh ids. Every old
id that is not kept, or whose records now sit partly elsewhere, yields id history: `merge` when
its records joined a cluster holding another id, `split` when they were spread over clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from odahub.engine import Engine


@dataclass
class Assignment:
    """record membership with ids (member, cluster_key, id) and the id changes of this run."""

    members: pa.Table
    history: pa.Table


def assign_ids(engine: Engine, clusters: pa.Table, previous: pa.Table, prefix: str,
               first_free: int) -> Assignment:
    """clusters: (member, cluster_key); previous: (member, old_id). Both keyed by member."""
    engine.register("ids_clusters", clusters.select(["member", "cluster_key"]))
    engine.register("ids_previous", previous.select(["member", "old_id"]))
    try:
        # the pairing is computed once and handed back: both later queries read it
        engine.register("ids_kept", engine.sql(_KEPT_SQL))
        members = engine.sql(_ASSIGN_SQL.format(prefix=prefix, first=first_free))
        engine.register("ids_members", members)
        history = engine.sql(_HISTORY_SQL)
    finally:
        for name in ("ids_clusters", "ids_previous", "ids_kept", "ids_members"):
            engine.unregister(name)
    return Assignment(members=members, history=history)


# Mutual best overlap between new clusters and old ids. Equal overlaps go to the pair with
# fewer members outside it (a cluster identical to an old one beats a larger one sharing as
# many): households share persons across periods, and ranking such ties by id alone lets a
# re-run of the same data mint fresh ids.
_KEPT_SQL = """
WITH overlap AS (
    SELECT c.cluster_key, p.old_id, count(*) AS shared
    FROM ids_clusters c JOIN ids_previous p ON p.member = c.member
    GROUP BY c.cluster_key, p.old_id
), new_sizes AS (
    SELECT cluster_key, count(*) AS size FROM ids_clusters GROUP BY cluster_key
), old_sizes AS (
    SELECT old_id, count(*) AS size FROM ids_previous GROUP BY old_id
), scored AS (
    SELECT o.cluster_key, o.old_id, o.shared, n.size + p.size - o.shared AS outside
    FROM overlap o JOIN new_sizes n ON n.cluster_key = o.cluster_key
    JOIN old_sizes p ON p.old_id = o.old_id
), ranked AS (
    SELECT cluster_key, old_id,
        row_number() OVER (PARTITION BY cluster_key
                           ORDER BY shared DESC, outside, old_id) AS by_cluster,
        row_number() OVER (PARTITION BY old_id
                           ORDER BY shared DESC, outside, cluster_key) AS by_old
    FROM scored
)
SELECT cluster_key, old_id FROM ranked WHERE by_cluster = 1 AND by_old = 1
"""

_ASSIGN_SQL = """
WITH keys AS (SELECT DISTINCT cluster_key FROM ids_clusters),
fresh AS (
    SELECT k.cluster_key,
        '{prefix}' || lpad(CAST({first} - 1 + row_number() OVER (ORDER BY k.cluster_key)
                          AS VARCHAR), 8, '0') AS new_id
    FROM keys k LEFT JOIN ids_kept kept ON kept.cluster_key = k.cluster_key
    WHERE kept.old_id IS NULL
), named AS (
    SELECT cluster_key, old_id AS id FROM ids_kept
    UNION ALL SELECT cluster_key, new_id AS id FROM fresh
)
SELECT c.member, c.cluster_key, n.id
FROM ids_clusters c JOIN named n ON n.cluster_key = c.cluster_key
ORDER BY c.member
"""

_HISTORY_SQL = """
WITH moves AS (
    SELECT DISTINCT p.old_id, m.id AS new_id
    FROM ids_previous p JOIN ids_members m ON m.member = p.member
    WHERE p.old_id <> m.id
), olds_per_new AS (
    SELECT m.id, count(DISTINCT p.old_id) AS olds
    FROM ids_members m JOIN ids_previous p ON p.member = m.member GROUP BY m.id
)
SELECT mv.old_id, mv.new_id,
    CASE WHEN o.olds > 1 AND mv.old_id NOT IN (SELECT old_id FROM ids_kept)
         THEN 'merge' ELSE 'split' END AS change
FROM moves mv JOIN olds_per_new o ON o.id = mv.new_id
ORDER BY mv.old_id, mv.new_id
"""
