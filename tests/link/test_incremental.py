"""Stable ids, incremental deliveries and clerical review decisions across runs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from odahub.hub import Hub
from odahub.link import outputs, review
from odahub.link.run import LinkOptions, link
from tests.link.conftest import febrl_subset, split_delivery
from tests.link.febrl import febrl_identified, write_identified


def _persons(hub: Hub) -> dict[str, str]:
    links = outputs.read(hub, "links")
    names = pc.binary_join_element_wise(links["dataset"], links["record_id"], ":")
    return dict(zip(names.to_pylist(), links["person_id"].to_pylist(), strict=True))


def _households(hub: Hub) -> dict[str, str]:
    links = outputs.read(hub, "links")
    names = pc.binary_join_element_wise(links["dataset"], links["record_id"], ":")
    return dict(zip(names.to_pylist(), links["household_id"].to_pylist(), strict=True))


def _partition(persons: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for record, person in persons.items():
        groups.setdefault(person, set()).add(record)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.slow
def test_a_new_delivery_links_incrementally_like_a_full_relink(sqlite_hub: Hub) -> None:
    first, later = split_delivery(febrl_subset(300))
    write_identified(sqlite_hub, febrl_identified(first, "febrl3"), "febrl3")
    assert link(sqlite_hub)["mode"] == "full"
    before = _persons(sqlite_hub)

    write_identified(sqlite_hub, febrl_identified(later, "febrl3_later"), "febrl3_later")
    stats = link(sqlite_hub, LinkOptions(mode="incremental"))
    assert stats["mode"] == "incremental"
    assert stats["records"] == len(first) + len(later)
    assert stats["prepared_records"] == len(later)  # the rest is the stored input (ADR 0076)
    incremental = _persons(sqlite_hub)
    incremental_homes = _households(sqlite_hub)
    kept = sum(incremental[r] == p for r, p in before.items())
    assert kept >= 0.97 * len(before), (kept, len(before))
    # the later duplicates joined their originals, across datasets
    joined = [r for r in incremental if r.startswith("febrl3_later:")
              and incremental[r] == incremental.get("febrl3:" + r.split(":")[1].split("-dup")[0]
                                                    + "-org")]
    assert len(joined) >= 0.9 * len(later), (len(joined), len(later))

    assert link(sqlite_hub, LinkOptions(mode="full"))["mode"] == "full"
    full = _persons(sqlite_hub)
    assert _partition(full) == _partition(incremental)
    assert full == incremental  # same clusters keep the same ids
    # households were recomputed only around the changed persons, with the same result
    assert _partition(_households(sqlite_hub)) == _partition(incremental_homes)


def _recounted(hub: Hub) -> dict[str, int]:
    """Distinct person and household ids, and the first free number of each, counted from the
    tables themselves (as a run's stats should give them)."""
    from odahub.link.persons import count_ids, first_free

    links, history = outputs.read(hub, "links"), outputs.read(hub, "id_history")
    households = outputs.read(hub, "households")["household_id"]
    return {"persons": count_ids(links["person_id"]),
            "next_person": first_free([links["person_id"], history["old_id"],
                                        history["new_id"]]),
            "households": count_ids(households), "next_household": first_free([households])}


def _recorded(stats: dict[str, Any]) -> dict[str, int]:
    return {key: stats[key] for key in ("persons", "next_person", "households",
                                        "next_household")}


def test_a_delivery_of_new_persons_gets_fresh_ids_from_the_recorded_counts(
        sqlite_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """An incremental run takes the person and household counts and first free id numbers
    from the run before (no million ids parsed): they must be what counting the tables gives,
    so fresh ids never collide with an id ever issued, and a run after it can rely on them in
    turn."""
    from odahub.link import incremental as incremental_module

    frame = febrl_subset(300)
    number = frame.index.to_series().str.extract(r"rec-(\d+)-")[0].astype(int)
    first, later = frame[number < 200], frame[number >= 200]  # later: 100 persons never seen
    write_identified(sqlite_hub, febrl_identified(first, "febrl3"), "febrl3")
    stats_before = link(sqlite_hub)
    assert _recorded(stats_before) == _recounted(sqlite_hub)

    given = []  # what the person update was told of the run before
    update = incremental_module.local_person_tables  # type: ignore[attr-defined]

    def spied(*args: Any) -> Any:
        given.append(args[-1])
        return update(*args)
    monkeypatch.setattr(incremental_module, "local_person_tables", spied)
    write_identified(sqlite_hub, febrl_identified(later, "febrl3_later"), "febrl3_later")
    stats = link(sqlite_hub, LinkOptions(mode="incremental"))
    assert stats["mode"] == "incremental" and stats["local_update"]
    assert given == [(stats_before["persons"], stats_before["next_person"])]
    assert _recorded(stats) == _recounted(sqlite_hub)
    incremental = _persons(sqlite_hub)
    old_ids = {p for r, p in incremental.items() if r.startswith("febrl3:")}
    fresh = {p for r, p in incremental.items() if r.startswith("febrl3_later:")} - old_ids
    assert len(fresh) >= 90, len(fresh)  # the new persons got ids of their own...
    monkeypatch.undo()
    assert link(sqlite_hub, LinkOptions(mode="full"))["mode"] == "full"
    # ...which are theirs alone: a full re-link finds the same persons under the same ids
    assert _partition(_persons(sqlite_hub)) == _partition(incremental)
    assert _persons(sqlite_hub) == incremental


def _dated(frame: pd.DataFrame, dataset: str, later: bool) -> pa.Table:
    """FEBRL records with a visit date and a family reference. In the later delivery, a
    duplicate of an even-numbered person repeats its original's address and date, without a
    reference (its person's stays are unchanged: *settled*); an odd-numbered one comes a year
    and a half later, with one (the stay grows and joins the delivery's family: households
    are recomputed around it)."""
    table = febrl_identified(frame, dataset)
    number = frame.index.to_series().str.extract(r"rec-(\d+)-")[0].astype(int).to_numpy()
    late = later & (number % 2 == 1)
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(number % 300 + late * 540, unit="D")
    if later:
        originals = febrl_identified(febrl_subset(300), "x").to_pandas().set_index("record_id")
        address = [originals.loc[f"rec-{n}-org", "address"] if n % 2 == 0 else a
                   for n, a in zip(number, table["address"].to_pylist(), strict=True)]
        table = table.set_column(table.schema.get_field_index("address"), "address",
                                 pa.array(address, pa.string()))
    return (table.append_column("event_date", pa.array(days.date, pa.date32()))
            .append_column("household_ref", pa.array([
                None if later and n % 2 == 0 else f"F{n // 3}" for n in number], pa.string())))


@pytest.mark.slow
def test_households_after_an_incremental_run_are_a_full_recomputation(
        sqlite_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stays with dates and family references: settled persons stay out of the region, the
    others are recomputed with everything their stays can reach; the households and every
    record's household are what a full re-link finds."""
    from odahub.link import local_households

    first, later = split_delivery(febrl_subset(300))
    write_identified(sqlite_hub, _dated(first, "febrl3", later=False), "febrl3")
    link(sqlite_hub)
    write_identified(sqlite_hub, _dated(later, "febrl3_later", later=True), "febrl3_later")
    seen: list[int] = []
    settled = local_households._settled
    monkeypatch.setattr(local_households, "_settled",
                        lambda *a: seen.append((found := settled(*a)).num_rows) or found)
    stats = link(sqlite_hub, LinkOptions(mode="incremental"))
    assert stats["mode"] == "incremental" and stats["local_update"]
    assert seen and 0 < seen[0] < stats["prepared_records"] * 2  # both kinds of person
    homes, persons = _households(sqlite_hub), _persons(sqlite_hub)
    rows = _membership_rows(sqlite_hub)

    assert link(sqlite_hub, LinkOptions(mode="full"))["mode"] == "full"
    assert _persons(sqlite_hub) == persons
    assert _households(sqlite_hub) == homes  # the same households keep the same ids
    assert _membership_rows(sqlite_hub) == rows  # the same members over the same periods
    # and a re-run keeps them: persons here belong to households over several periods, and
    # equal overlaps must not mint fresh ids run after run
    link(sqlite_hub, LinkOptions(mode="full"))
    assert _households(sqlite_hub) == homes


def _membership_rows(hub: Hub) -> set[tuple[str, str, object, object]]:
    table = outputs.read(hub, "households")
    return set(zip(table["household_id"].to_pylist(), table["person_id"].to_pylist(),
                   table["valid_from"].to_pylist(), table["valid_to"].to_pylist(), strict=True))


def _linked_pair(persons: dict[str, str]) -> tuple[str, str]:
    by_person: dict[str, list[str]] = {}
    for record, person in sorted(persons.items()):
        by_person.setdefault(person, []).append(record)
    return next((g[0], g[1]) for g in by_person.values() if len(g) == 2)


@pytest.mark.slow
def test_review_decisions_are_respected_by_later_runs_and_undoable(hub: Hub) -> None:
    write_identified(hub, febrl_identified(febrl_subset(150), "febrl3"), "febrl3")
    link(hub)
    record_a, record_b = _linked_pair(_persons(hub))
    original = _persons(hub)[record_a]

    item = review.force(hub.catalog, record_a, record_b, "reject", by="tester")
    link(hub)
    persons = _persons(hub)
    assert persons[record_a] != persons[record_b]
    history = outputs.read(hub, "id_history").to_pylist()
    assert any(h["change"] == "split" and h["old_id"] == original for h in history), history

    review.decide(hub.catalog, item.id, "withdraw", by="tester")
    link(hub)
    persons = _persons(hub)
    assert persons[record_a] == persons[record_b] == original
    history = outputs.read(hub, "id_history").to_pylist()
    assert any(h["change"] == "merge" and h["new_id"] == original for h in history), history

    strangers = sorted(persons)[0], sorted(persons)[-1]
    assert persons[strangers[0]] != persons[strangers[1]]
    review.force(hub.catalog, *strangers, "accept")
    link(hub)
    persons = _persons(hub)
    assert persons[strangers[0]] == persons[strangers[1]]
    assert [i.status for i in review.queue(hub.catalog, status="accepted")] == ["accepted"]


def test_pending_review_items_are_the_uncertain_pairs(linked_hub: Hub) -> None:
    items = review.queue(linked_hub.catalog)
    pairs = outputs.read(linked_hub, "pairs")
    assert isinstance(pairs, pa.Table)
    for item in items:
        assert item.match_probability is not None
        assert item.status == "pending"
        assert item.record_a < item.record_b


def test_a_link_run_clears_what_a_killed_run_left(sqlite_hub: Hub) -> None:
    """Temporary folders of a dead writer (its owner lock free) in the linked zone, and a stale
    temporary working file, are swept when the next run starts (ADR 0088)."""
    import os

    from odahub.governance.purge import WORKING
    from odahub.lake.owner import LOCK_NAME
    from odahub.lake.store import TMP_PREFIX

    write_identified(sqlite_hub, febrl_identified(febrl_subset(60), "febrl3"), "febrl3")
    dead = sqlite_hub.lake.table_dir("linked", "links") / f"{TMP_PREFIX}dead"
    dead.mkdir(parents=True)
    (dead / LOCK_NAME).touch()  # nobody holds it: its process is gone
    (dead / "part-0.parquet").write_bytes(b"half a file")
    working = sqlite_hub.settings.zone("identified") / WORKING
    working.mkdir(parents=True, exist_ok=True)
    stale = working / f"{TMP_PREFIX}old.parquet"
    stale.write_bytes(b"half a file")
    os.utime(stale, (0, 0))
    link(sqlite_hub)
    assert not dead.exists() and not stale.exists()
    assert outputs.read(sqlite_hub, "links").num_rows > 0  # and the run itself went ahead
