from __future__ import annotations

import pyarrow as pa
import pytest

from odahub.errors import IntegrityError
from odahub.hub import Hub
from odahub.privacy.domains import active_key, key_store
from odahub.privacy.rotate import rotate
from odahub.privacy.step import pseudonymise_all
from tests.privacy.sample import identified_table, write_identified

LINK_COLUMNS = ["nhs_number", "first_name", "last_name", "date_of_birth"]


def groups(table: pa.Table, columns: list[str]) -> set[frozenset[str]]:
    """Deterministic linkage on tokens: records sharing every key column, as sets of ids."""
    found: dict[tuple[object, ...], set[str]] = {}
    for row in table.select(["record_id", *columns]).to_pylist():
        found.setdefault(tuple(row[c] for c in columns), set()).add(row["record_id"])
    return {frozenset(ids) for ids in found.values()}


def tokens_of(table: pa.Table) -> set[str]:
    return {v for c in LINK_COLUMNS for v in table[c].drop_null().to_pylist()}


def setup_hub(hub: Hub) -> None:
    write_identified(hub, "social_care")
    write_identified(hub, "school_census", identified_table())
    write_identified(hub, "case_notes", identified_table().select(
        ["dataset", "record_id", "free_text"]))  # a document feed: text, no identifier columns
    pseudonymise_all(hub, "default")
    pseudo = hub.lake.read_latest("pseudonymised", "social_care")
    mart = pa.table({"person_id": ["P-1", "P-2"],
                     "nhs_token": [pseudo["nhs_number"][0].as_py(), None], "score": [0.5, 0.1]})
    with hub.lake.new_version("marts", "person_features") as writer:
        writer.write_table(mart)


def test_rotation_changes_every_token_keeps_linkage_and_switches_the_key(hub: Hub) -> None:
    setup_hub(hub)
    old_id, _ = active_key(hub, "default")
    before = {n: hub.lake.read_latest("pseudonymised", n) for n in ("social_care", "school_census")}
    rotation = rotate(hub, "default", actor="tester")
    new_id, _ = active_key(hub, "default")
    assert new_id == rotation.new_key_id != old_id
    assert key_store(hub).active_id("domain:default") == new_id
    old_tokens = set().union(*(tokens_of(t) for t in before.values()))
    for name, old in before.items():
        new = hub.lake.read_latest("pseudonymised", name)
        assert not tokens_of(new) & old_tokens, name  # old-key tokens gone from latest
        for columns in (["nhs_number"], ["first_name", "last_name", "date_of_birth"]):
            assert groups(new, columns) == groups(old, columns), (name, columns)
        assert set(new["_key_id"].to_pylist()) == {new_id}
        assert new["free_text"].to_pylist() == old["free_text"].to_pylist()
    mart = hub.lake.read_latest("marts", "person_features")
    social = hub.lake.read_latest("pseudonymised", "social_care")
    assert mart["nhs_token"].to_pylist() == [social["nhs_number"][0].as_py(), None]
    notes = hub.lake.read_latest("pseudonymised", "case_notes")
    assert set(notes["_key_id"].to_pylist()) == {new_id}
    # a rerun of the stage finds everything current under the new key
    assert all(o.skipped for o in pseudonymise_all(hub, "default"))


def test_rotation_that_cannot_translate_a_token_changes_nothing(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    setup_hub(hub)
    stray = pa.table({"person_id": ["P-9"], "nhs_token": ["f" * 64]})
    latest = hub.lake.read_latest("marts", "person_features").select(["person_id", "nhs_token"])
    with hub.lake.new_version("marts", "person_features") as writer:
        writer.write_table(pa.concat_tables([latest, stray]))
    old_id, _ = active_key(hub, "default")
    versions = hub.lake.require_latest("pseudonymised", "social_care").version
    with pytest.raises(IntegrityError, match="no identified value"):
        rotate(hub, "default")
    assert active_key(hub, "default")[0] == old_id
    assert hub.lake.require_latest("pseudonymised", "social_care").version == versions
    assert not [p for p in hub.lake.table_dir("pseudonymised", "social_care").iterdir()
                if p.name.startswith("_tmp-")]
