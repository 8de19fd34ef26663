"""Versioned model registry, practitioners' decisions on risk lists, drift records (catalog).

These are the functions the web app calls: risk lists are advisory, so every list entry a
practitioner acts on (or overrides) gets a decision with its reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
from sqlalchemy import func, select

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.analyse import DriftCheck, ModelVersion, RiskDecision
from odahub.errors import NotFound, Problem, SpecError
from odahub.hub import Hub

DECISIONS = ("accept", "monitor", "no_action", "override_raise", "override_lower")
NEEDS_REASON = {"no_action", "override_raise", "override_lower"}


def register_model(catalog: Catalog, *, model: str, title: str, trained_as_of: str,
                   data_source: str, artefact_version: int, metrics: dict[str, Any],
                   created_by: str | None = None) -> ModelVersion:
    """A new version becomes the active one; earlier active versions are superseded."""
    with catalog.session() as session:
        latest = session.scalar(select(func.max(ModelVersion.version))
                                .where(ModelVersion.model == model)) or 0
        for old in session.scalars(select(ModelVersion).where(
                ModelVersion.model == model, ModelVersion.status == "active")):
            old.status = "superseded"
        row = ModelVersion(model=model, version=latest + 1, status="active", title=title,
                           trained_as_of=trained_as_of, data_source=data_source,
                           artefact_version=artefact_version, metrics=metrics,
                           created_by=created_by)
        session.add(row)
        session.flush()
        return row


def model_versions(catalog: Catalog, model: str | None = None) -> list[ModelVersion]:
    with catalog.session() as session:
        query = select(ModelVersion).order_by(ModelVersion.model, ModelVersion.version)
        if model:
            query = query.where(ModelVersion.model == model)
        return list(session.scalars(query))


def active_model(catalog: Catalog, model: str) -> ModelVersion:
    with catalog.session() as session:
        row = session.scalar(select(ModelVersion).where(
            ModelVersion.model == model, ModelVersion.status == "active"))
    if row is None:
        raise NotFound(f"no active version of model {model!r}: run `odahub analyse train`")
    return row


def retire_model(catalog: Catalog, model: str, version: int, reason: str) -> None:
    with catalog.session() as session:
        row = session.scalar(select(ModelVersion).where(
            ModelVersion.model == model, ModelVersion.version == version))
        if row is None:
            raise NotFound(f"model {model!r} has no version {version}")
        row.status, row.retired_at, row.retired_reason = "retired", utcnow(), reason


def record_decision(catalog: Catalog, *, model: str, model_version: int, entity_id: str,
                    decision: str, decided_by: str, reason: str | None = None,
                    score: float | None = None, tier: str | None = None) -> int:
    """Record what a practitioner did with one advisory list entry; overrides need a reason."""
    problems = []
    if decision not in DECISIONS:
        problems.append(Problem(f"decision must be one of {', '.join(DECISIONS)}",
                                column="decision"))
    if decision in NEEDS_REASON and not (reason or "").strip():
        problems.append(Problem(f"a {decision!r} decision needs a reason", column="reason"))
    if problems:
        raise SpecError("the decision was not recorded", problems)
    with catalog.session() as session:
        row = RiskDecision(model=model, model_version=model_version, entity_id=entity_id,
                           decision=decision, reason=reason, decided_by=decided_by,
                           score=score, tier=tier)
        session.add(row)
        session.flush()
        return row.id


def decisions(catalog: Catalog, model: str, entity_id: str | None = None) -> list[RiskDecision]:
    with catalog.session() as session:
        query = select(RiskDecision).where(RiskDecision.model == model)
        if entity_id is not None:
            query = query.where(RiskDecision.entity_id == entity_id)
        return list(session.scalars(query.order_by(RiskDecision.decided_at, RiskDecision.id)))


def record_drift(catalog: Catalog, **values: Any) -> DriftCheck:
    with catalog.session() as session:
        row = DriftCheck(**values)
        session.add(row)
        session.flush()
        return row


# -- artefacts in the lake ----------------------------------------------------------------
def artefact_name(model: str) -> str:
    return f"model_{model}"


def save_artefacts(hub: Hub, model: str, payload: Any, files: dict[str, bytes | str]) -> int:
    """The fitted pipeline (joblib) and its card, ATRS record and charts: one lake version."""
    with hub.lake.new_version("marts", artefact_name(model), created_by="analyse") as writer:
        joblib.dump(payload, writer.folder / "model.joblib")
        writer.files.append("model.joblib")
        for name, content in files.items():
            path = writer.folder / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
            writer.files.append(name)
    return int(writer.stats["version"])


def artefact_dir(hub: Hub, model: str, version: int | None = None) -> Path:
    name = artefact_name(model)
    versions = {v.version: v for v in hub.lake.versions("marts", name)}
    if not versions:
        raise NotFound(f"no trained artefacts for model {model!r}")
    chosen = versions.get(version if version is not None else max(versions))
    if chosen is None:
        raise NotFound(f"model {model!r} has no artefact version {version}")
    return hub.lake.path_of(chosen)


def load_payload(hub: Hub, model: str) -> tuple[ModelVersion, Any]:
    """The active registry row and its fitted pipeline (our own artefact, written above)."""
    row = active_model(hub.catalog, model)
    payload = joblib.load(artefact_dir(hub, model, row.artefact_version) / "model.joblib")
    return row, payload
