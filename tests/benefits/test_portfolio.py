"""The 2020 reserve monitoring appendix, reproduced from bids and spend lines."""

from __future__ import annotations

import pytest

from odahub.benefits.portfolio import load_portfolio, parse_portfolio, summarise
from odahub.errors import SpecError


def test_essex_2020_monitoring_appendix_is_reproduced() -> None:
    summary = summarise(load_portfolio())
    spend = {row["financial_year"]: row["spend"] for row in summary.spend_by_year}
    assert spend == {"2018/19": 964_272, "2019/20": 1_051_469, "2020/21": 557_265}
    balances = [row["balance"] for row in summary.spend_by_year]
    assert balances == [1_735_728, 684_259, 126_994]
    assert summary.total_required == 2_573_006 and summary.unallocated == 126_994
    assert [c["balance"] for c in summary.after_changes] == [208_294, 33_294]
    assert summary.after_changes[0]["amount"] == 81_300 and summary.final_balance == 33_294


def test_bids_carry_priorities_scores_and_benefits_updates() -> None:
    summary = summarise(load_portfolio())
    domestic_abuse = summary.priorities[3]
    assert "OTR-02" in domestic_abuse["bids"] and domestic_abuse["priority"].startswith("Breaking")
    bid = next(b for b in summary.bids if b["reference"] == "OTR-04")
    assert bid["title"] == "FCR Digital Hub" and bid["score"] == 17
    assert bid["benefits_update"]["further_roll_out"] is True


def test_a_bid_against_an_unknown_priority_is_refused() -> None:
    raw = {"reserve": {"name": "R", "amount": 10}, "plan_priorities": {1: "one"},
           "bids": [{"reference": "B1", "title": "t", "priorities": [9]}],
           "proposed_changes": [{"bid": "NOPE", "kind": "return", "amount": 1}]}
    with pytest.raises(SpecError) as caught:
        parse_portfolio(raw)
    assert len(caught.value.problems) == 2, caught.value.problems
