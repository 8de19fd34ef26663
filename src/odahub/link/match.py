"""Matching one new record against the linked nominals, fast enough to call per request.

`Matcher(hub)` builds, once, a blocking index over the identity profiles of the last link run:
for each blocking rule of the stored model, the 64-bit hash of the rule's columns for every
profile, sorted (numpy), with term frequencies computed over the same profiles the linkage run
used. `match(record)` prepares the record exactly as linkage does, looks its keys up in the
sorted hashes (a binary search per rule instead of a scan of every profile per rule), and scores
the few candidates it finds with Splink and the stored model — the same match weights a link
run gives. Nothing is written: a query is not a delivery.

The index lives in memory (the web app or a service keeps one Matcher); it holds prepared
identifiers, so it is never persisted.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from odahub.errors import SpecError
from odahub.hub import Hub
from odahub.link import comparisons, names, outputs
from odahub.link import model as link_model
from odahub.link.backend import splink_api
from odahub.link.prepare import _conform, _derive_sql, link_roles, prepare, read_union
from odahub.link.profiles import collapse
from odahub.link.scoring import register

QUERY_DATASET = "query"
LEFT, RIGHT = "odahub_match_candidates", "odahub_match_query"


class Matcher:
    """A prebuilt blocking index over the linked profiles, and the stored model to score with."""

    def __init__(self, hub: Hub) -> None:
        started = time.perf_counter()
        self.hub = hub
        self.model = link_model.require_latest(hub.catalog)
        links = outputs.read(hub, "links")
        prepared = prepare(hub, read_union(hub))
        names = pc.binary_join_element_wise(links["dataset"], links["record_id"], ":")
        profiles = collapse(hub.engine, prepared.records, names)
        self.roles = prepared.roles
        self.profiles = profiles.records.sort_by("unique_id")
        person = pa.table({"unique_id": names, "person_id": links["person_id"]})
        person_of = profiles.members.join(person, "unique_id", join_type="inner").group_by(
            "profile_id").aggregate([("person_id", "min")])
        aligned = pa.table({"profile_id": self.profiles["unique_id"]}).join(
            person_of, "profile_id", join_type="left outer").sort_by("profile_id")
        self.persons = aligned["person_id_min"].combine_chunks()
        self.api = splink_api(hub.engine)
        every = register(self.api, self.profiles, "match_index")
        self.linker = link_model.linker_for(self.api, every, self.model)
        for column in self.linker._settings_obj._term_frequency_columns:
            self.linker.table_management.compute_tf_table(column.unquote().name)
        self.rules = comparisons.blocking_columns(self.model.roles, self.model.extra_blocking)
        self.index = [self._sorted_hashes(cols) for cols in self.rules]
        self.scoring_sql = self._compile()
        self.build_seconds = time.perf_counter() - started

    def _compile(self) -> str:
        """Splink's scoring SQL for (candidates × query), generated once.

        Splink builds its SQL afresh on every call (most of a call's time for a single record);
        the SQL only depends on the model and the two input tables, so it is captured once
        against fixed table names and re-run on each query's candidates."""
        sample = self.profiles.slice(0, 1)
        left = self.api.register(sample, table_name=LEFT)
        right = self.api.register(sample, table_name=RIGHT)
        captured: list[str] = []
        execute = self.api._execute_sql

        def capture(sql: str, templated_name: str) -> Any:
            captured.append(sql)
            return execute(sql, templated_name)

        self.api._execute_sql = capture  # type: ignore[misc,assignment,method-assign]
        try:
            self.linker.inference.score_pairs(left, right)
        finally:
            del self.api._execute_sql
        return captured[-1]

    def _hashes(self, table_name: str, rules: list[tuple[str, ...]]) -> np.ndarray:
        """hash(cols) per row and rule (one column per rule), 0 where a column is null (never
        a blocking match)."""
        columns = [f"CASE WHEN {' AND '.join(f'{c} IS NOT NULL' for c in cols)} "
                   f"THEN hash({', '.join(cols)}) ELSE 0 END AS h{i}"
                   for i, cols in enumerate(rules)]
        result = self.hub.engine.sql(
            f"SELECT {', '.join(columns)} FROM {table_name} ORDER BY unique_id")
        return np.column_stack([np.asarray(result.column(i).to_numpy(zero_copy_only=False),
                                           dtype=np.uint64) for i in range(len(rules))])

    def _sorted_hashes(self, cols: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        self.hub.engine.register("match_profiles", self.profiles.select(
            ["unique_id", *sorted(set(cols))]))
        try:
            hashes = self._hashes("match_profiles", [cols])[:, 0]
        finally:
            self.hub.engine.unregister("match_profiles")
        order = np.argsort(hashes, kind="stable")
        return hashes[order], order

    @property
    def size(self) -> int:
        return int(self.profiles.num_rows)

    def match(self, record: dict[str, Any], limit: int = 10) -> list[dict[str, Any]]:
        """Candidates for one record (canonical role → value), best first, with the person each
        belongs to and whether the model links them (probability ≥ the stored threshold)."""
        query, keys = self._prepare(record)
        rows = self._candidates(keys)
        if len(rows) == 0:
            return []
        engine = self.hub.engine
        engine.register(LEFT, self.profiles.take(pa.array(rows)))
        engine.register(RIGHT, query)
        try:
            scored = engine.sql(self.scoring_sql)
        finally:
            engine.unregister(LEFT)
            engine.unregister(RIGHT)
        scored = scored.select(["unique_id_l", "match_weight", "match_probability"])
        by_id = dict(zip(self.profiles["unique_id"].take(pa.array(rows)).to_pylist(),
                         self.persons.take(pa.array(rows)).to_pylist(), strict=True))
        ranked = sorted(scored.to_pylist(), key=lambda r: (-r["match_weight"], r["unique_id_l"]))
        return [{"record": r["unique_id_l"], "person_id": by_id.get(r["unique_id_l"]),
                 "match_weight": round(r["match_weight"], 3),
                 "match_probability": round(r["match_probability"], 6),
                 "linked": r["match_probability"] >= self.model.threshold}
                for r in ranked[:limit]]

    def _prepare(self, record: dict[str, Any]) -> tuple[pa.Table, list[int]]:
        """The record prepared as linkage prepares it, and its blocking-key hashes — in one SQL
        statement (the name lookups of one record are computed directly)."""
        roles = set(link_roles())
        unknown = sorted(k for k in record if k not in roles)
        if unknown:
            raise SpecError(f"unknown link roles {', '.join(unknown)}; "
                            f"use {', '.join(sorted(roles))}")
        row: dict[str, Any] = {"dataset": ["query"], "record_id": ["1"]}
        for role in self.roles:
            value = record.get(role)
            text = None if value is None or str(value).strip() == "" else str(value).strip()
            row[role] = [text if role == "date_of_birth" or text is None else text.upper()]
        union = _conform(pa.table({k: pa.array(v, pa.string()) if k != "date_of_birth"
                                   else _date(pa.array(v, pa.string()))
                                   for k, v in row.items()}))
        engine = self.hub.engine
        engine.register("link_union", union)
        first = row.get("first_name", [None])[0]
        last = row.get("last_name", [None])[0]
        engine.register("link_first_names", names.first_name_lookup([first] if first else []))
        engine.register("link_last_names", names.last_name_lookup([last] if last else []))
        hashes = [f"CASE WHEN {' AND '.join(f'{c} IS NOT NULL' for c in cols)} "
                  f"THEN hash({', '.join(cols)}) ELSE 0 END AS __h{i}"
                  for i, cols in enumerate(self.rules)]
        try:
            prepared = engine.sql(f"SELECT *, {', '.join(hashes)} FROM "
                                  f"({_derive_sql(self.roles, [])}) q")
        finally:
            for name in ("link_union", "link_first_names", "link_last_names"):
                engine.unregister(name)
        keys = [int(prepared.column(f"__h{i}")[0].as_py()) for i in range(len(self.rules))]
        return prepared.select(self.profiles.schema.names).cast(self.profiles.schema), keys

    def _candidates(self, keys: list[int]) -> np.ndarray:
        found = []
        for key, (hashes, order) in zip(keys, self.index, strict=True):
            if key == 0:
                continue
            lo = int(np.searchsorted(hashes, np.uint64(key), side="left"))
            hi = int(np.searchsorted(hashes, np.uint64(key), side="right"))
            found.append(order[lo:hi])
        return np.unique(np.concatenate(found)) if found else np.array([], dtype=np.int64)


def _date(values: pa.Array) -> pa.Array:
    try:
        return pc.cast(values, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise SpecError(f"date_of_birth must be YYYY-MM-DD: {error}") from error
