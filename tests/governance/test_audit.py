"""The audit chain: intact logs verify; any single edit, deletion, swap or truncation made
directly in the database is caught and the first bad entry named (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from odahub.governance import audit, reports, trail
from odahub.hub import Hub

ENTRIES = 10


def fill(hub: Hub) -> None:
    for n in range(1, ENTRIES + 1):
        audit.record(hub.catalog, actor=f"user{n % 3}", action="person.view",
                     purpose="early_help", justification=f"case {n}", dataset="police_crime",
                     subjects=[f"P-{n}", f"P-{n + 1}"], details={"search": f"smith {n}"})


def sql(hub: Hub, statement: str) -> None:
    with hub.catalog.engine.begin() as connection:
        connection.execute(text(statement))


def swap(hub: Hub) -> None:
    # Exchange the positions of entries 3 and 6 (each row stays internally consistent).
    sql(hub, "UPDATE audit_log SET seq = -3 WHERE seq = 3")
    sql(hub, "UPDATE audit_log SET seq = 3 WHERE seq = 6")
    sql(hub, "UPDATE audit_log SET seq = 6 WHERE seq = -3")


TAMPERING: dict[str, tuple[Callable[[Hub], None], int]] = {
    "edit actor": (lambda h: sql(h, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4"), 4),
    "edit outcome": (lambda h: sql(h, "UPDATE audit_log SET outcome = 'denied' WHERE seq = 1"),
                     1),
    "edit time": (lambda h: sql(h, "UPDATE audit_log SET at = '2020-01-01 00:00:00' "
                                   "WHERE seq = 2"), 2),
    "edit justification": (lambda h: sql(h, "UPDATE audit_log SET justification = 'x' "
                                            "WHERE seq = 9"), 9),
    "edit subjects": (lambda h: sql(h, "UPDATE audit_log SET payload = "
                                       "'{\"subjects\": [], \"details\": {}}' WHERE seq = 7"), 7),
    "delete middle": (lambda h: sql(h, "DELETE FROM audit_log WHERE seq = 5"), 5),
    "delete first": (lambda h: sql(h, "DELETE FROM audit_log WHERE seq = 1"), 1),
    "swap": (swap, 3),
    "truncate": (lambda h: sql(h, f"DELETE FROM audit_log WHERE seq >= {ENTRIES - 2}"),
                 ENTRIES - 2),
    "truncate last": (lambda h: sql(h, f"DELETE FROM audit_log WHERE seq = {ENTRIES}"),
                      ENTRIES),
}


def test_a_clean_log_verifies(gov_hub: Hub) -> None:
    fill(gov_hub)
    result = audit.verify(gov_hub.catalog)
    assert result.ok, result
    assert result.entries == ENTRIES and result.first_bad_entry is None
    # Signed at the first entry, and the head at verify (not once per entry: ADR 0055).
    assert 1 <= result.checkpoints < ENTRIES
    assert checkpointed(gov_hub)[-1] == ENTRIES


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_tampering_is_caught_and_named(gov_hub: Hub, how: str) -> None:
    fill(gov_hub)
    tamper, first_bad = TAMPERING[how]
    tamper(gov_hub)
    result = audit.verify(gov_hub.catalog)
    assert not result.ok, how
    assert result.first_bad_entry == first_bad, result
    assert f"entry {first_bad}" in result.message


def test_a_forged_checkpoint_is_caught(gov_hub: Hub) -> None:
    fill(gov_hub)
    audit.flush(gov_hub.catalog)
    path = gov_hub.settings.home / "audit" / "checkpoints" / "chain.log"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1] + [lines[-1].replace('"seq": 10', '"seq": 11')]) + "\n")
    result = audit.verify(gov_hub.catalog)
    assert not result.ok and "bad signature" in result.message


def checkpointed(hub: Hub) -> list[int]:
    """The seqs signed in the checkpoint file, in order."""
    return [point.seq for point in trail.trail_for(hub.catalog).read_checkpoints()]


@pytest.fixture
def cadence(gov_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Checkpoints every 4 entries or 60 s of a fake clock; yields the clock to move."""
    clock = [1000.0]
    monkeypatch.setattr(trail.time, "monotonic", lambda: clock[0])
    bound = trail.trail_for(gov_hub.catalog)
    trail.bind(gov_hub.catalog, trail.AuditTrail(bound.key, bound.checkpoint_dir,
                                                 every_seconds=60, every_entries=4))
    yield clock


def test_a_busy_chain_is_signed_every_n_entries_and_truncation_is_still_caught(
        gov_hub: Hub, cadence: list[float]) -> None:
    fill(gov_hub)  # 10 entries in one burst of the (fake) clock
    assert checkpointed(gov_hub) == [1, 5, 9]  # entry 10 waits for the clock, flush or exit
    # Another process (no access to this one's pending head) still sees a cut past 9.
    sql(gov_hub, "DELETE FROM audit_log WHERE seq >= 8")
    bound = trail.trail_for(gov_hub.catalog)
    trail.bind(gov_hub.catalog, trail.AuditTrail(bound.key, bound.checkpoint_dir))
    result = audit.verify(gov_hub.catalog)
    assert not result.ok and result.first_bad_entry == 8, result


def test_the_head_is_signed_after_a_quiet_interval_and_at_verify(
        gov_hub: Hub, cadence: list[float]) -> None:
    audit.record(gov_hub.catalog, actor="a", action="person.view")
    audit.record(gov_hub.catalog, actor="a", action="person.view")
    assert checkpointed(gov_hub) == [1]
    cadence[0] += 61  # a minute later, the next entry is signed at once
    audit.record(gov_hub.catalog, actor="a", action="person.view")
    assert checkpointed(gov_hub) == [1, 3]
    audit.record(gov_hub.catalog, actor="a", action="person.view")
    # verify signs this process's pending head first: cutting the last entry is caught.
    sql(gov_hub, "DELETE FROM audit_log WHERE seq = 4")
    result = audit.verify(gov_hub.catalog)
    assert not result.ok and result.first_bad_entry == 4, result
    assert checkpointed(gov_hub) == [1, 3, 4]


def test_a_pending_head_is_signed_by_the_timer(gov_hub: Hub) -> None:
    bound = trail.trail_for(gov_hub.catalog)
    trail.bind(gov_hub.catalog, trail.AuditTrail(bound.key, bound.checkpoint_dir,
                                                 every_seconds=0.05, every_entries=1000))
    audit.record(gov_hub.catalog, actor="a", action="person.view")
    audit.record(gov_hub.catalog, actor="a", action="person.view")
    deadline = time.monotonic() + 30  # waits for the timer thread, asserts no duration
    while checkpointed(gov_hub)[-1:] != [2] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert checkpointed(gov_hub) == [1, 2]


def test_the_head_is_signed_when_the_process_exits(gov_hub: Hub) -> None:
    home, url = gov_hub.settings.home, gov_hub.settings.database_url
    script = (
        "from pathlib import Path\n"
        "from odahub.config import Settings\n"
        "from odahub.governance import audit\n"
        "from odahub.hub import Hub\n"
        f"hub = Hub(Settings(home=Path({str(home)!r}), database_url={url!r}))\n"
        "for n in range(5):\n"
        "    audit.record(hub.catalog, actor='cli', action='export', subjects=[f'P-{n}'])\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert checkpointed(gov_hub)[-1] == 5
    sql(gov_hub, "DELETE FROM audit_log WHERE seq = 5")
    result = audit.verify(gov_hub.catalog)
    assert not result.ok and result.first_bad_entry == 5, result


def test_concurrent_appends_keep_one_gap_free_chain(gov_hub: Hub) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def append(n: int) -> int:
        return audit.record(gov_hub.catalog, actor=f"user{n % 5}", action="search",
                            subjects=[f"P-{n}"], details={"n": n})

    with ThreadPoolExecutor(max_workers=16) as pool:
        seqs = list(pool.map(append, range(200)))
    assert sorted(seqs) == list(range(1, 201))
    result = audit.verify(gov_hub.catalog)
    assert result.ok and result.entries == 200, result
    by_seq = {e["seq"]: e["details"]["n"] for e in audit.entries(gov_hub.catalog, limit=500)}
    assert all(by_seq[seq] == n for n, seq in enumerate(seqs))  # each caller got its own seq


def test_redaction_keeps_the_chain_intact(gov_hub: Hub) -> None:
    fill(gov_hub)
    assert audit.redact(gov_hub.catalog, [2, 3]) == 2
    assert audit.verify(gov_hub.catalog).ok
    redacted = [e for e in audit.entries(gov_hub.catalog) if e["redacted"]]
    assert sorted(e["seq"] for e in redacted) == [2, 3]
    assert all(e["subjects"] is None for e in redacted)


def test_cli_verify_exit_codes(gov_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from odahub.cli import app

    fill(gov_hub)
    monkeypatch.setenv("ODAHUB_HOME", str(gov_hub.settings.home))
    monkeypatch.setenv("ODAHUB_DATABASE_URL", gov_hub.settings.database_url)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--json"])
    assert ok.exit_code == 0, ok.output
    sql(gov_hub, "UPDATE audit_log SET dataset = 'other' WHERE seq = 6")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code != 0
    assert "entry 6" in str(broken.exception)


def test_reports_who_viewed_and_usage(gov_hub: Hub) -> None:
    from odahub.governance.agreements import AgreementSpec, save

    from .conftest import add_user, today

    add_user(gov_hub, "user1", partner="council")
    save(gov_hub.catalog, [AgreementSpec.model_validate({
        "code": "T2", "tier": 2, "title": "t", "parties": ["police", "council"],
        "purpose": "early_help", "legal_gateways": ["g"], "dpia": "D", "start": today(),
        "end": today(), "shares": [{"party": "police", "datasets": ["police_crime"],
                                    "level": "identified", "roles": ["practitioner"]}]})])
    fill(gov_hub)
    viewed = reports.who_viewed(gov_hub.catalog, "police")
    assert len(viewed) == ENTRIES
    assert {row["user"] for row in viewed} == {"user0", "user1", "user2"}
    assert viewed[0]["search"] == f"smith {ENTRIES}"
    assert reports.who_viewed(gov_hub.catalog, "nhs") == []
    by_user = {row["user"]: row for row in reports.usage(gov_hub.catalog, "user")}
    assert by_user["user1"]["allowed"] == 4 and by_user["user1"]["subjects"] == 8
    by_partner = {row["partner"]: row["allowed"] for row in reports.usage(gov_hub.catalog,
                                                                        "partner")}
    assert by_partner == {"council": 4, "(none)": 6}
