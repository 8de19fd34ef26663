"""The canonical relations every analysis reads, whatever their source.

Two adapters build them (`inputs.from_lake`, `inputs.from_truth`); marts, models and tools only
ever see these column sets, so models developed on the synthetic truth run unchanged on the lake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from odahub.engine import Engine
from odahub.model import load_model

# Event attributes the analyses use, with their SQL types (canonical names from model/events.yaml).
EVENT_ATTRIBUTES: dict[str, str] = {
    "dash_risk": "VARCHAR",
    "school_ready": "BOOLEAN",
    "attendance_pct": "DOUBLE",
    "found_oa": "VARCHAR",
    "found_location": "VARCHAR",
    "found_hour": "INTEGER",
    "duration_hours": "DOUBLE",
    "category": "VARCHAR",
    "programme": "VARCHAR",
    "complaint": "VARCHAR",
    "role_in_incident": "VARCHAR",  # DA: victim or perpetrator (perpetrator history)
    "offence_group": "VARCHAR",     # crime: violence by a perpetrator is a DA risk factor
}

EVENTS_COLUMNS: dict[str, str] = {
    "person_id": "VARCHAR",
    "household_id": "VARCHAR",
    "dataset": "VARCHAR",
    "record_id": "VARCHAR",
    "agency": "VARCHAR",
    "event_type": "VARCHAR",
    "event_date": "DATE",
    "oa_code": "VARCHAR",
    **EVENT_ATTRIBUTES,
}
PERSONS_COLUMNS: dict[str, str] = {
    "person_id": "VARCHAR",
    "household_id": "VARCHAR",
    "birth_date": "DATE",
    "sex": "VARCHAR",
    "ethnicity": "VARCHAR",
    "oa_code": "VARCHAR",
}
MEMBERS_COLUMNS: dict[str, str] = {
    "household_id": "VARCHAR",
    "person_id": "VARCHAR",
    "valid_from": "DATE",
    "valid_to": "DATE",
}
AREAS_COLUMNS: dict[str, str] = {
    "oa_code": "VARCHAR",
    "lsoa_code": "VARCHAR",
    "ward_code": "VARCHAR",
    "imd_decile": "INTEGER",
    "latitude": "DOUBLE",
    "longitude": "DOUBLE",
}
RELATIONS = {
    "an_events": EVENTS_COLUMNS,
    "an_persons": PERSONS_COLUMNS,
    "an_members": MEMBERS_COLUMNS,
    "an_areas": AREAS_COLUMNS,
}


@dataclass
class Inputs:
    """The canonical relations plus, for a synthetic county, its truth (never a feature)."""

    events: pa.Table
    persons: pa.Table
    members: pa.Table
    areas: pa.Table
    source: str
    truth_persons: pa.Table | None = None
    truth_households: pa.Table | None = None
    truth_events: pa.Table | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def end_date(self) -> date:
        """The last day the data describes: everything is 'as of' on or before it."""
        value = pa.compute.max(self.events.column("event_date")).as_py()
        assert isinstance(value, date), "events need at least one dated row"
        return value

    def register(self, engine: Engine) -> None:
        """Make the relations queryable as an_events, an_persons, an_members, an_areas."""
        for name, table in zip(RELATIONS, (self.events, self.persons, self.members, self.areas),
                               strict=True):
            engine.register(name, table)


def agencies_sql(alias: str = "agency_of") -> str:
    """event_type -> agency, from the canonical model (schema as data)."""
    rows = ", ".join(f"('{name}', '{event.agency}')" for name, event in load_model().events.items())
    return f"(VALUES {rows}) AS {alias}(event_type, agency)"


def conform(engine: Engine, source: str, columns: dict[str, str], present: set[str],
            renames: dict[str, str] | None = None) -> pa.Table:
    """Select the canonical columns from `source`, casting, renaming and filling missing ones."""
    renames = renames or {}
    parts = []
    for name, sql_type in columns.items():
        origin = renames.get(name, name)
        value = f'"{origin}"'
        if sql_type == "INTEGER":  # "21.0" as text is a valid integer hour
            value = f"TRY_CAST({value} AS DOUBLE)"
        expr = (f"TRY_CAST({value} AS {sql_type})" if origin in present
                else f"CAST(NULL AS {sql_type})")
        parts.append(f"{expr} AS {name}")
    return engine.sql(f"SELECT {', '.join(parts)} FROM {source}")


def empty(columns: dict[str, str], engine: Engine) -> pa.Table:
    parts = ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, t in columns.items())
    return engine.sql(f"SELECT {parts} WHERE 1 = 0")


def conform_table(engine: Engine, table: pa.Table, columns: dict[str, str]) -> pa.Table:
    """Any table holding some canonical columns -> exactly the canonical columns and types."""
    engine.register("an_conform_src", table)
    try:
        return conform(engine, "an_conform_src", columns, set(table.column_names))
    finally:
        engine.unregister("an_conform_src")


def conform_inputs(engine: Engine, inputs: Inputs) -> Inputs:
    inputs.events = conform_table(engine, inputs.events, EVENTS_COLUMNS)
    inputs.persons = conform_table(engine, inputs.persons, PERSONS_COLUMNS)
    inputs.members = conform_table(engine, inputs.members, MEMBERS_COLUMNS)
    inputs.areas = conform_table(engine, inputs.areas, AREAS_COLUMNS)
    return inputs
