"""Clustering scored pairs into persons: connected components (Splink), honouring review decisions.

Accepted pairs are forced links (an edge of probability 1). Rejected pairs are forced non-links:
their edge is dropped, and any cluster still holding both records (joined through others) is
re-clustered greedily — strongest edges first, never joining two parts that a rejection
separates. Only such clusters are touched, so this Python step stays small.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from splink.clustering import cluster_pairwise_predictions_at_threshold
from splink.internals.database_api import DatabaseAPISubClass

from odahub.link.backend import to_arrow

EDGE_SCHEMA = pa.schema([("unique_id_l", pa.string()), ("unique_id_r", pa.string()),
                         ("match_probability", pa.float64())])


def cluster(api: DatabaseAPISubClass, nodes: pa.Array, edges: pa.Table,
            forced_links: list[tuple[str, str]], forced_non_links: list[tuple[str, str]],
            ) -> pa.Table:
    """unique_id → cluster_key (the smallest unique_id of the cluster), for every node."""
    edges = _apply_decisions(edges.select(EDGE_SCHEMA.names).cast(EDGE_SCHEMA),
                             forced_links, forced_non_links)
    node_table = pa.table({"unique_id": nodes.cast(pa.string())})
    if edges.num_rows == 0:
        return node_table.append_column("cluster_key", node_table.column("unique_id"))
    clustered = to_arrow(cluster_pairwise_predictions_at_threshold(
        node_table, edges, api, node_id_column_name="unique_id"))
    clustered = _canonical_keys(clustered.select(["unique_id", "cluster_id"]))
    if forced_non_links:
        clustered = _enforce_non_links(clustered, edges, forced_non_links)
    return clustered


def _apply_decisions(edges: pa.Table, links: list[tuple[str, str]],
                     non_links: list[tuple[str, str]]) -> pa.Table:
    if non_links:
        banned = {_key(a, b) for a, b in non_links}
        keys = pc.binary_join_element_wise(
            pc.min_element_wise(edges["unique_id_l"], edges["unique_id_r"]),
            pc.max_element_wise(edges["unique_id_l"], edges["unique_id_r"]), "\x1f")
        edges = edges.filter(pc.invert(pc.is_in(keys, pa.array(sorted(banned)))))
    if links:
        forced = pa.table({"unique_id_l": [a for a, _ in links],
                           "unique_id_r": [b for _, b in links],
                           "match_probability": [1.0] * len(links)}, schema=EDGE_SCHEMA)
        edges = pa.concat_tables([edges, forced])
    return edges


def _key(a: str, b: str) -> str:
    return "\x1f".join(sorted((a, b)))


def _canonical_keys(clustered: pa.Table) -> pa.Table:
    """Name each cluster by its smallest member, so keys do not depend on the engine."""
    smallest = clustered.group_by("cluster_id").aggregate([("unique_id", "min")])
    joined = clustered.join(smallest, "cluster_id")
    return pa.table({"unique_id": joined["unique_id"], "cluster_key": joined["unique_id_min"]})


def _enforce_non_links(clustered: pa.Table, edges: pa.Table,
                       non_links: list[tuple[str, str]]) -> pa.Table:
    lookup = dict(zip(clustered["unique_id"].to_pylist(), clustered["cluster_key"].to_pylist(),
                      strict=True))
    broken = {lookup[a] for a, b in non_links if a in lookup and lookup.get(b) == lookup[a]}
    if not broken:
        return clustered
    members = [u for u, k in lookup.items() if k in broken]
    inside = edges.filter(pc.is_in(edges["unique_id_l"], pa.array(members)))
    rows = sorted(inside.to_pylist(), key=lambda e: (-e["match_probability"], e["unique_id_l"],
                                                     e["unique_id_r"]))
    parent = {m: m for m in members}
    banned = [(a, b) for a, b in non_links if a in parent and b in parent]
    for edge in rows:
        _union_unless_banned(parent, edge["unique_id_l"], edge["unique_id_r"], banned)
    groups: dict[str, list[str]] = {}
    for member in members:
        groups.setdefault(_find(parent, member), []).append(member)
    for group in groups.values():
        for member in group:
            lookup[member] = min(group)
    return pa.table({"unique_id": list(lookup), "cluster_key": list(lookup.values())})


def _find(parent: dict[str, str], node: str) -> str:
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def _union_unless_banned(parent: dict[str, str], a: str, b: str,
                         banned: list[tuple[str, str]]) -> None:
    if a not in parent or b not in parent:
        return
    root_a, root_b = _find(parent, a), _find(parent, b)
    if root_a == root_b:
        return
    for x, y in banned:
        rx, ry = _find(parent, x), _find(parent, y)
        if {rx, ry} == {root_a, root_b}:
            return
    parent[max(root_a, root_b)] = min(root_a, root_b)
