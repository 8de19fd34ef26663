"""The prepared input kept with each run (ADR 0076): sealed, reused by incremental runs, and
reached by erasure like every other copy of a record."""

from __future__ import annotations

import threading

import pyarrow.compute as pc
import pytest

from odahub.governance import rights
from odahub.hub import Hub
from odahub.lake import sealed, turns
from odahub.link import outputs
from odahub.link import run as link_run
from odahub.link import stored as stored_input
from odahub.link.run import LinkOptions, link
from tests.link.conftest import febrl_subset, split_delivery
from tests.link.febrl import febrl_identified, write_identified


def _stored_ids(hub: Hub) -> set[str]:
    assert hub.keys is not None
    found: set[str] = set()
    for file in stored_input.files(hub):  # the base file and the incremental runs' deltas
        found |= set(sealed.read(file, hub.keys.key_by_id, ["unique_id"])["unique_id"]
                     .to_pylist())
    return found


@pytest.mark.slow
def test_erasure_reaches_the_stored_input_and_incremental_runs_still_use_it(
        sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    first, later = split_delivery(febrl_subset(300))
    table = febrl_identified(first, "febrl3")
    write_identified(hub, table, "febrl3")
    link(hub)
    victim = table.filter(pc.is_valid(table["last_name"])).slice(0, 1).to_pylist()[0]
    assert f"febrl3:{victim['record_id']}" in _stored_ids(hub)
    assert len(_stored_ids(hub)) == table.num_rows
    assert victim["last_name"].encode() not in stored_input.path(hub).read_bytes()  # sealed

    request = rights.open_request(hub.catalog, "erasure", requested_by="dpo",
                                  records=[("febrl3", victim["record_id"])])
    rights.erase(hub, request, actor="dpo")
    assert f"febrl3:{victim['record_id']}" not in _stored_ids(hub)
    assert len(_stored_ids(hub)) == table.num_rows - 1

    write_identified(hub, febrl_identified(later, "febrl3_later"), "febrl3_later")
    stats = link(hub, LinkOptions(mode="incremental"))
    assert stats["mode"] == "incremental"
    assert stats["prepared_records"] == len(later)  # the rest came from the stored input
    assert stats["records"] == table.num_rows - 1 + len(later)
    links = outputs.read(hub, "links")
    assert victim["record_id"] not in links["record_id"].to_pylist()
    assert f"febrl3:{victim['record_id']}" not in _stored_ids(hub)
    assert len(_stored_ids(hub)) == stats["records"]
    assert len(stored_input.files(hub)) == 2  # the delivery went into a delta

    # and erasure reaches the delta too
    gone = febrl_identified(later, "febrl3_later").slice(0, 1).to_pylist()[0]["record_id"]
    request = rights.open_request(hub.catalog, "erasure", requested_by="dpo",
                                  records=[("febrl3_later", gone)])
    rights.erase(hub, request, actor="dpo")
    assert f"febrl3_later:{gone}" not in _stored_ids(hub)


@pytest.mark.slow
def test_an_erasure_waits_for_a_running_link_run_which_cannot_write_the_record_back(
        sqlite_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race ADR 0090 closes: a link run reads the records, an erasure removes one, the run
    writes its outputs. Without turns the erased record came back in links and stored input."""
    hub = sqlite_hub
    first, later = split_delivery(febrl_subset(200))
    table = febrl_identified(first, "febrl3")
    write_identified(hub, table, "febrl3")
    link(hub)
    write_identified(hub, febrl_identified(later, "febrl3_later"), "febrl3_later")
    victim = table.slice(0, 1).to_pylist()[0]["record_id"]
    request = rights.open_request(hub.catalog, "erasure", requested_by="dpo",
                                  records=[("febrl3", victim)])

    read, go_on = threading.Event(), threading.Event()
    real_cluster = link_run.cluster

    def paused_cluster(*args: object, **kwargs: object) -> object:
        read.set()  # the run holds every record in memory now
        assert go_on.wait(60)
        return real_cluster(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(link_run, "cluster", paused_cluster)
    monkeypatch.setattr(link_run, "local_persons", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(turns, "PURGE_WAIT_SECONDS", 0.5)
    running = threading.Thread(target=link, args=(hub, LinkOptions(mode="incremental")))
    running.start()
    assert read.wait(60)
    with pytest.raises(turns.Busy, match="nothing was removed"):
        rights.erase(hub, request, actor="dpo")
    assert f"febrl3:{victim}" in _stored_ids(hub)  # untouched by the refused erasure
    assert rights.get(hub.catalog, request).status == "open"
    go_on.set()
    running.join(60)
    assert not running.is_alive()

    rights.erase(hub, request, actor="dpo")  # the run is done: its turn now
    assert victim not in outputs.read(hub, "links").filter(
        pc.equal(outputs.read(hub, "links")["dataset"], "febrl3"))["record_id"].to_pylist()
    assert f"febrl3:{victim}" not in _stored_ids(hub)
