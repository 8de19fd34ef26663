from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pyarrow as pa
import pytest

from odahub.hub import Hub
from odahub.lake import owner, sealed
from odahub.lake.store import TMP_PREFIX

PEOPLE = pa.table({"record_id": ["1", "2"], "last_name": ["Oyelaran-Smith", "Hughes"]})


def test_version_becomes_visible_only_on_commit(hub: Hub) -> None:
    with hub.lake.new_version("pseudonymised", "people", rows_read=2) as writer:
        writer.write_table(PEOPLE)
        assert hub.lake.latest("pseudonymised", "people") is None
    version = hub.lake.require_latest("pseudonymised", "people")
    assert version.version == 1
    assert version.rows_read == 2
    assert hub.lake.read_table(version).to_pylist() == PEOPLE.to_pylist()


def test_failed_write_leaves_previous_version_intact(hub: Hub) -> None:
    with hub.lake.new_version("marts", "t") as writer:
        writer.write_table(PEOPLE)
    with pytest.raises(RuntimeError), hub.lake.new_version("marts", "t") as writer:
        writer.write_table(pa.table({"record_id": ["x"]}))
        raise RuntimeError("disk full")
    versions = hub.lake.versions("marts", "t")
    assert [v.version for v in versions] == [1]
    assert hub.lake.read_latest("marts", "t").num_rows == 2
    leftovers = [p.name for p in hub.lake.table_dir("marts", "t").iterdir()]
    assert leftovers == ["v000001"], leftovers


def test_sealed_zone_is_encrypted_at_rest(hub: Hub) -> None:
    with hub.lake.new_version("identified", "people") as writer:
        path = writer.write_table(PEOPLE)
    version = hub.lake.require_latest("identified", "people")
    (stored,) = hub.lake.files_of(version)
    raw = stored.read_bytes()
    assert b"Oyelaran-Smith" not in raw and b"Hughes" not in raw
    assert sealed.is_sealed(stored), path
    assert hub.lake.read_table(version).column("last_name").to_pylist() == [
        "Oyelaran-Smith", "Hughes"]


def test_open_zone_is_plain_parquet(hub: Hub) -> None:
    with hub.lake.new_version("marts", "plain") as writer:
        writer.write_table(PEOPLE)
    (stored,) = hub.lake.files_of(hub.lake.require_latest("marts", "plain"))
    assert not sealed.is_sealed(stored)


def _slow_writer(home: str, url: str) -> None:
    from tests.conftest import make_hub

    hub = make_hub(Path(home), url)
    with hub.lake.new_version("marts", "t") as writer:
        writer.write_table(PEOPLE)
        Path(home, "started").touch()
        time.sleep(60)


def test_sigkill_mid_write_changes_nothing(sqlite_hub: Hub) -> None:
    home = sqlite_hub.settings.home
    with sqlite_hub.lake.new_version("marts", "t") as writer:
        writer.write_table(PEOPLE.slice(0, 1))
    process = multiprocessing.get_context("spawn").Process(
        target=_slow_writer, args=(str(home), sqlite_hub.settings.database_url))
    process.start()
    deadline = time.time() + 60
    while not (home / "started").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    assert [v.version for v in sqlite_hub.lake.versions("marts", "t")] == [1]
    assert sqlite_hub.lake.read_latest("marts", "t").num_rows == 1
    removed = sqlite_hub.lake.sweep()
    assert len(removed) == 1 and removed[0].name.startswith("_tmp-")


def test_sweep_leaves_live_writers_and_recent_commits_alone(hub: Hub) -> None:
    """A writer still at work (its owner lock held) keeps its folder, however old; so does a
    version renamed into place but not yet catalogued, until the grace period has passed."""
    with hub.lake.new_version("marts", "t") as writer:
        writer.write_table(PEOPLE)
        os.utime(writer.folder, (0, 0))  # looks ancient; the lock says it is alive
        assert hub.lake.sweep() == []
    assert [v.version for v in hub.lake.versions("marts", "t")] == [1]
    assert not (hub.lake.version_dir("marts", "t", 1) / owner.LOCK_NAME).exists()
    uncatalogued = hub.lake.version_dir("marts", "t", 2)
    uncatalogued.mkdir()
    lockless = hub.lake.table_dir("marts", "t") / f"{TMP_PREFIX}old"
    lockless.mkdir()
    assert hub.lake.sweep() == []  # both recent: a commit or a staging may be under way
    os.utime(uncatalogued, (0, 0))
    os.utime(lockless, (0, 0))
    assert hub.lake.sweep(zones=("linked",)) == []  # another zone's sweep leaves marts alone
    assert sorted(p.name for p in hub.lake.sweep()) == sorted([uncatalogued.name, lockless.name])
    assert [v.version for v in hub.lake.versions("marts", "t")] == [1]
