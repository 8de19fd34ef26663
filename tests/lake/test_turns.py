"""Stage runs share the lake; a purge has it alone (ADR 0090)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from odahub.lake import turns


def test_stages_share_the_lake_and_a_purge_waits_for_them_then_says_why(tmp_path: Path) -> None:
    with turns.stage(tmp_path), turns.stage(tmp_path):  # stages run beside each other
        with pytest.raises(turns.Busy, match="erasure waited .* nothing was removed"):
            with turns.purge(tmp_path, "erasure", wait_seconds=0.2):
                pytest.fail("a purge ran beside a stage")
    with turns.purge(tmp_path, "erasure", wait_seconds=0.2):
        pass  # no stage left: its turn


def test_a_stage_waits_while_a_purge_runs(tmp_path: Path) -> None:
    purging, entered = threading.Event(), threading.Event()
    release = threading.Event()

    def purge() -> None:
        with turns.purge(tmp_path, "retention", wait_seconds=5):
            purging.set()
            release.wait(30)

    def stage() -> None:
        with turns.stage(tmp_path):
            entered.set()

    purger = threading.Thread(target=purge)
    purger.start()
    assert purging.wait(30)
    stager = threading.Thread(target=stage)
    stager.start()
    assert not entered.wait(0.3)  # held back while the purge runs
    release.set()
    assert entered.wait(30)  # and let in once it is done
    purger.join(30)
    stager.join(30)


def test_decorated_entry_points_take_their_turn(tmp_path: Path) -> None:
    class Hub:
        class settings:  # noqa: N801 - stands in for Settings
            home = tmp_path

    seen = []

    @turns.stage_run
    def a_stage(hub: Hub, value: int) -> int:
        with pytest.raises(turns.Busy):
            with turns.purge(hub.settings.home, "erasure", wait_seconds=0.1):
                pass
        seen.append(value)
        return value + 1

    @turns.purge_run("erasure")
    def a_purge(hub: Hub) -> str:
        return "alone"

    assert a_stage(Hub(), 1) == 2
    assert a_purge(Hub()) == "alone"
    assert seen == [1]
