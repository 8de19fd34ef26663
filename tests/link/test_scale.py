"""The scale paths of linkage: incremental runs agree with a full re-link on a county delivery,
single-record matching against the linked nominals, fast components, training samples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from odahub.errors import SpecError
from odahub.hub import Hub
from odahub.link import outputs
from odahub.link import run as link_run
from odahub.link.cluster import components
from odahub.link.match import Matcher
from odahub.link.run import LinkOptions, link
from tests.conftest import COUNTY_PERSONS, COUNTY_SEED, make_hub
from tests.link.febrl import write_identified


def _persons(hub: Hub) -> dict[str, str]:
    links = outputs.read(hub, "links")
    names = pc.binary_join_element_wise(links["dataset"], links["record_id"], ":")
    return dict(zip(names.to_pylist(), links["person_id"].to_pylist(), strict=True))


@pytest.fixture(scope="module")
def county_hub(tmp_path_factory: pytest.TempPathFactory, county: Path) -> Iterator[Hub]:
    """The session's county ingested (identified zone only) into a hub of its own."""
    from odahub.ingest import step as ingest_step
    from odahub.pipeline import PipelineState

    hub = make_hub(Path(tmp_path_factory.mktemp("scale")) / "home")
    ingest_step.run(hub, PipelineState(synth_dir=county, persons=COUNTY_PERSONS,
                                       seed=COUNTY_SEED))
    yield hub
    hub.close()


def _largest_dataset(hub: Hub) -> str:
    sizes = {name: hub.lake.read_latest("identified", name).num_rows
             for name in hub.lake.tables("identified")}
    return max(sizes, key=lambda name: sizes[name])


@pytest.mark.slow
def test_an_incremental_county_delivery_gives_the_links_of_a_full_relink(
        county_hub: Hub) -> None:
    name = _largest_dataset(county_hub)
    complete = county_hub.lake.read_latest("identified", name)
    held = complete.num_rows // 5
    write_identified(county_hub, complete.slice(0, complete.num_rows - held), name)
    assert link(county_hub, LinkOptions(mode="full", retrain=True))["mode"] == "full"
    before = _persons(county_hub)

    write_identified(county_hub, complete, name)  # the later delivery: the held-back records
    stats = link(county_hub, LinkOptions(mode="incremental"))
    assert stats["mode"] == "incremental"
    incremental = _persons(county_hub)
    assert set(incremental) == set(before) | {f"{name}:{r}" for r in
                                              complete["record_id"].to_pylist()}
    # every old person keeps its id unless a new record joined it
    assert sum(incremental[r] == p for r, p in before.items()) >= 0.95 * len(before)
    # new records scored only against the rest: far fewer candidate pairs than a full run
    full_stats = link(county_hub, LinkOptions(mode="full"))
    assert stats["candidate_pairs"] < full_stats["candidate_pairs"]
    assert _persons(county_hub) == incremental


@pytest.mark.slow
def test_a_redelivery_that_changes_a_linked_record_is_rescored_in_full(county_hub: Hub) -> None:
    """A corrected record (a rectification) must not keep its stored match: an incremental
    run notices the change against the version linked last and scores everything afresh."""
    name = _largest_dataset(county_hub)
    complete = county_hub.lake.read_latest("identified", name)
    write_identified(county_hub, complete, name)
    link(county_hub, LinkOptions(mode="full"))
    assert link(county_hub, LinkOptions(mode="incremental"))["changed_records"] == 0

    surnames = complete["last_name"].to_pylist()
    first = next(i for i, value in enumerate(surnames) if value)
    surnames[first] = "QZXWERTYNOTANAME"
    corrected = complete.set_column(complete.schema.get_field_index("last_name"), "last_name",
                                    pa.array(surnames, complete.schema.field("last_name").type))
    write_identified(county_hub, corrected, name)
    stats = link(county_hub, LinkOptions(mode="incremental"))
    assert (stats["mode"], stats["changed_records"]) == ("full", 1)


def test_a_record_is_matched_to_its_person_with_the_stored_model(linked_hub: Hub) -> None:
    matcher = Matcher(linked_hub)
    record = linked_hub.lake.read_latest("identified", "febrl3").slice(0, 1).to_pylist()[0]
    query = {role: (str(record[role]) if record[role] is not None else None)
             for role in ("first_name", "last_name", "date_of_birth", "address", "other_id")}
    found = matcher.match(query)
    persons = _persons(linked_hub)
    assert found and found[0]["linked"]
    assert found[0]["person_id"] == persons[f"febrl3:{record['record_id']}"]
    assert found == sorted(found, key=lambda f: -f["match_weight"])

    stranger = matcher.match({"first_name": "ZEBEDEE", "last_name": "QUIXOTE-NOONE",
                              "date_of_birth": "1901-02-03"})
    assert not any(f["linked"] for f in stranger)
    with pytest.raises(SpecError):
        matcher.match({"shoe_size": "9"})


def test_components_name_each_cluster_by_its_smallest_member() -> None:
    nodes = pa.array(["e", "d", "c", "b", "a", "f"])
    clustered = components(nodes, pa.array(["a", "c", "d", "x"]), pa.array(["c", "e", "e", "f"]))
    assert dict(zip(clustered["unique_id"].to_pylist(), clustered["cluster_key"].to_pylist(),
                    strict=True)) == {"a": "a", "b": "b", "c": "a", "d": "a", "e": "a", "f": "f"}


def test_large_inputs_train_on_a_seeded_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    records = pa.table({"unique_id": [f"d:{i:04d}" for i in range(100)]})
    assert link_run._training_sample(records) is None
    monkeypatch.setattr(link_run, "TRAIN_SAMPLE", 30)
    sample = link_run._training_sample(records.take(pa.array(range(99, -1, -1))))
    assert sample is not None and sample.num_rows == 30
    again = link_run._training_sample(records)
    assert again is not None and sample["unique_id"].to_pylist() == again["unique_id"].to_pylist()


def test_link_match_cli_prints_candidates_as_json(linked_hub: Hub) -> None:
    from tests.test_cli import odahub

    record = linked_hub.lake.read_latest("identified", "febrl3").slice(0, 1).to_pylist()[0]
    result = odahub(linked_hub.settings.home, "link", "match", f"first_name={record['first_name']}",
                    f"last_name={record['last_name']}",
                    f"date_of_birth={record['date_of_birth']}", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["nominals"] > 0
    assert answer["candidates"][0]["record"].startswith("febrl3:")
    bad = odahub(linked_hub.settings.home, "link", "match", "nonsense", "--json")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


def test_a_model_trained_on_other_comparisons_is_retrained_not_scored(linked_hub: Hub) -> None:
    from copy import deepcopy

    from odahub.errors import NotFound
    from odahub.link import model as link_model

    stored = link_model.require_latest(linked_hub.catalog)
    assert link_model.is_current(stored)
    older = deepcopy(stored)
    older.settings["comparisons"][0]["comparison_levels"].pop()  # a level this version added
    assert not link_model.is_current(older)
    saved = link_model.save(linked_hub.catalog, older)
    with pytest.raises(NotFound, match="--retrain"):
        link_model.require_latest(linked_hub.catalog)
    stats = link(linked_hub, LinkOptions(mode="incremental"))
    assert stats["mode"] == "full" and stats["model_id"] != saved.id
    assert link_model.is_current(link_model.require_latest(linked_hub.catalog))


def test_link_evaluate_and_explain_clis_answer_in_json(linked_hub: Hub, tmp_path: Path,
                                                       febrl_truth_table: pa.Table) -> None:
    """The command-line contract: `link evaluate --truth FILE --json` and `link explain A B`."""
    import pyarrow.parquet as pq

    from tests.test_cli import odahub

    truth = tmp_path / "truth.parquet"
    pq.write_table(febrl_truth_table, truth)
    result = odahub(linked_hub.settings.home, "link", "evaluate", "--truth", str(truth), "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["pairwise"]["precision"] > 0.95 and scores["pairwise"]["recall"] > 0.9, scores
    assert 0 < scores["cluster"]["f1"] <= 1
    ids = febrl_truth_table["record_id"].to_pylist()
    original = next(r for r in ids if r.endswith("-org") and r.replace("org", "dup-0") in ids)
    pair = [f"febrl3:{original}", f"febrl3:{original.replace('org', 'dup-0')}"]
    result = odahub(linked_hub.settings.home, "link", "explain", *pair, "--json")
    assert result.returncode == 0, result.stderr
    waterfall = json.loads(result.stdout)
    assert waterfall["linked"] is True
    assert {waterfall["record_a"], waterfall["record_b"]} == set(pair)
    weights = [step["match_weight"] for step in waterfall["comparisons"]]
    assert len(weights) >= 3 and all(isinstance(w, (int, float)) for w in weights)
    missing = odahub(linked_hub.settings.home, "link", "explain", pair[0], "febrl3:nobody")
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
