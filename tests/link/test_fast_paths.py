"""The shortcuts an incremental run takes (ADR 0085) give what the plain computation gives."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from odahub.engine import Engine
from odahub.hub import Hub
from odahub.link import outputs, review
from odahub.link.persons import count_ids, first_free
from odahub.link.scoring import narrowest, near
from odahub.link.stored import flat_nicks, listed_nicks


def _near_in_sql(engine: Engine, existing: pa.Table, new: pa.Table,
                 rules: list[tuple[str, ...]]) -> list[str]:
    engine.register("t_existing", existing)
    engine.register("t_new", new)
    try:
        found = engine.sql(" UNION ".join(
            "SELECT e.unique_id FROM t_existing e WHERE EXISTS (SELECT 1 FROM t_new n WHERE "
            + " AND ".join(f"n.{c} = e.{c}" for c in rule) + ")" for rule in rules))
    finally:
        engine.unregister("t_existing")
        engine.unregister("t_new")
    return sorted(found["unique_id"].to_pylist())


def test_near_rows_are_the_rows_sharing_a_rule_key_as_sql_finds_them(sqlite_hub: Hub) -> None:
    existing = pa.table({
        "unique_id": ["a", "b", "c", "d", "e", "f"],
        "nhs": ["1", None, "3", None, "9", "1"],
        "last": ["SMITH", "JONES", None, "SMITH", "BROWN", "JONES"],
        "dob": ["2000-01-01", "1990-05-05", None, "2001-01-01", "1990-05-05", None]})
    new = pa.table({"unique_id": ["x", "y"], "nhs": ["1", None],
                    "last": ["JONES", None], "dob": ["1990-05-05", None]})
    rules = [("nhs",), ("last", "dob")]
    found = near(existing, new, rules)
    # a: nhs 1; f: nhs 1; b: JONES + 1990-05-05; nulls never match (c, d, e)
    assert sorted(found["unique_id"].to_pylist()) == ["a", "b", "f"]
    assert sorted(found["unique_id"].to_pylist()) == _near_in_sql(sqlite_hub.engine, existing,
                                                                   new, rules)
    named = pa.array([True, False, True, True, True, True])
    assert near(existing, new, rules, named)["unique_id"].to_pylist() == ["a", "f"]
    # a rule holding another's columns finds nothing more: the same rows without it
    wider = [("nhs",), ("last", "dob"), ("dob",), ("nhs", "last"), ("dob",)]
    assert narrowest(wider) == [("nhs",), ("dob",)]
    assert sorted(near(existing, new, wider)["unique_id"].to_pylist()) == _near_in_sql(
        sqlite_hub.engine, existing, new, wider)


def test_ids_are_counted_and_continued_by_number_whatever_their_shape() -> None:
    uniform = pa.chunked_array([["P-00000003", "P-00000010", None], ["P-00000003"]])
    assert count_ids(uniform) == 2
    assert first_free([uniform]) == 11
    mixed = pa.array(["X7", "P-0009", "X7", "Q-12"])  # not one shape: regex and hash
    assert count_ids(mixed) == 3
    assert first_free([mixed]) == 13
    assert first_free([pa.array(["P-0000001A"])]) == 1  # no number at the end
    assert first_free([pa.array([], pa.string())]) == 1
    assert count_ids(pa.array([None], pa.string())) == 0


def test_nickname_groups_survive_being_stored_flat() -> None:
    groups = pa.array([["BILL", "WILLIAM"], ["ANN"], None], pa.list_(pa.string()))
    table = pa.table({"unique_id": ["a", "b", "c"], "first_name_nicks": groups})
    flat = flat_nicks(table)
    assert flat.schema.field("first_name_nicks").type == pa.string()
    assert listed_nicks(flat).column("first_name_nicks").to_pylist() == groups.to_pylist()
    assert listed_nicks(table).equals(table)  # already lists: unchanged
    assert pc.all(pc.equal(flat_nicks(flat)["unique_id"], table["unique_id"])).as_py()


def test_queued_pairs_are_found_in_chunks_and_never_queued_twice(
        sqlite_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review, "LOOKUP_CHUNK", 2)

    def pairs(ids: list[tuple[str, str]]) -> pa.Table:
        return pa.table({"unique_id_l": [b for _a, b in ids], "unique_id_r": [a for a, _b in ids],
                         "match_weight": [1.0] * len(ids), "match_probability": [0.5] * len(ids)})

    first = [("a:1", "b:1"), ("a:2", "b:2"), ("a:3", "b:3")]
    assert review.enqueue(sqlite_hub.catalog, pairs(first), None) == 3
    again = [*first, ("a:4", "b:4"), ("a:1", "b:9")]  # written right-to-left: ordered on entry
    assert review.enqueue(sqlite_hub.catalog, pairs(again), None) == 2
    monkeypatch.setattr(review, "LOOKUP_LIMIT", 0)  # the whole queue read at once
    assert review.enqueue(sqlite_hub.catalog, pairs(again), None) == 0


def test_linked_tables_are_committed_together_or_not_at_all(sqlite_hub: Hub) -> None:
    """A run encodes each linked table as soon as it has it; nothing is committed if the run
    fails later, and a large table written in parts reads back whole and in order."""
    size = outputs.PART_ROWS * 2 + 7
    links = pa.table({"dataset": ["d"] * size, "record_id": [f"r{i:07d}" for i in range(size)],
                      "person_id": [f"P-{i:08d}" for i in range(size)],
                      "household_id": [None] * size, "match_probability": [0.5] * size})
    with pytest.raises(RuntimeError), outputs.writing(sqlite_hub, 1) as writes:
        writes.add("pairs", outputs.PAIRS.empty_table())
        writes.add("links", links)
        raise RuntimeError("households failed")
    assert sqlite_hub.lake.latest("linked", "links") is None
    assert sqlite_hub.lake.latest("linked", "pairs") is None

    with outputs.writing(sqlite_hub, 2) as writes:
        writes.add("links", links)
        writes.add("pairs", outputs.PAIRS.empty_table())
    assert writes.versions == {"links": 1, "pairs": 1}
    version = sqlite_hub.lake.latest("linked", "links")
    assert version is not None and len(sqlite_hub.lake.files_of(version)) == outputs.PARTS
    assert outputs.read(sqlite_hub, "links").equals(links.cast(outputs.LINKS))
