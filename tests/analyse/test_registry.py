"""Model registry, practitioners' decisions and drift records, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from odahub.analyse import registry
from odahub.errors import NotFound, SpecError
from odahub.hub import Hub


def test_versions_supersede_and_retire(hub: Hub) -> None:
    catalog = hub.catalog
    common = {"title": "t", "trained_as_of": "2024-12-31", "data_source": "truth",
              "artefact_version": 1, "metrics": {"auroc": 0.7}}
    registry.register_model(catalog, model="m", **common)
    second = registry.register_model(catalog, model="m", **common)
    assert second.version == 2
    assert registry.active_model(catalog, "m").version == 2
    assert [v.status for v in registry.model_versions(catalog, "m")] == ["superseded", "active"]
    registry.retire_model(catalog, "m", 2, "drift: score PSI 0.6")
    with pytest.raises(NotFound):
        registry.active_model(catalog, "m")


def test_decisions_need_reasons_for_overrides(hub: Hub) -> None:
    catalog = hub.catalog
    with pytest.raises(SpecError) as raised:
        registry.record_decision(catalog, model="m", model_version=1, entity_id="H-1",
                                 decision="override_lower", decided_by="sw1")
    assert raised.value.problems[0].column == "reason"
    with pytest.raises(SpecError):
        registry.record_decision(catalog, model="m", model_version=1, entity_id="H-1",
                                 decision="ignore", decided_by="sw1", reason="x")
    registry.record_decision(catalog, model="m", model_version=1, entity_id="H-1",
                             decision="accept", decided_by="sw1", score=0.4, tier="high")
    registry.record_decision(catalog, model="m", model_version=1, entity_id="H-1",
                             decision="override_lower", decided_by="sw2",
                             reason="family already supported by early help")
    made = registry.decisions(catalog, "m", "H-1")
    assert [d.decision for d in made] == ["accept", "override_lower"]
    assert made[1].reason and made[1].decided_by == "sw2"


def test_drift_is_recorded(hub: Hub) -> None:
    row = registry.record_drift(hub.catalog, model="m", model_version=1, as_of="2025-12-31",
                                score_psi=0.3, max_feature_psi=0.2, feature_psi={"x": 0.2},
                                signal="retrain")
    assert row.id and row.signal == "retrain"
