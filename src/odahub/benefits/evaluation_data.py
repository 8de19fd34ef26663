"""Build the evaluation table (one row per person or household: treatment flag, pre-period
counts, pre/post outcome counts) from events and interventions — the county's truth or the
pipeline's pseudonymised events linked to nominal ids."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from odahub.engine import Engine
from odahub.errors import SpecError

if TYPE_CHECKING:  # pandas is heavy; loaded only where a frame is built (CLI start-up time)
    import pandas as pd

# Outcome -> the canonical event types counted for it (as in the Bristol evaluation's measures).
OUTCOMES: dict[str, tuple[str, ...]] = {
    "asb": ("asb",),
    "offending": ("crime", "probation"),
    "police_callouts": ("crime", "asb", "domestic_abuse"),
    "school_absence": ("exclusion",),
    "domestic_abuse": ("domestic_abuse",),
}
NOT_COVARIATES = ("intervention", "case_note")


def evaluation_table(engine: Engine, events: pa.Table, interventions: pa.Table,
                     units: pa.Table | None = None, *, window_days: int = 365,
                     outcomes: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """`events`: unit_id, event_type, event_date. `interventions`: unit_id, start_date.
    Treated units are indexed at their first start; comparison units at the treated's median
    start, so both are measured over the same calendar windows either side. Covariates: counts
    of each event type in the year before the index (`prior_<type>`) and the year before that
    (`prior_y2_<type>`), plus any numeric `units` columns besides unit_id (`prior_unit_<col>`).

    Why the second year: programmes select on a high count in the year before the start, which
    is partly a lasting high rate and partly a bad year (regression to the mean). One year's
    count cannot tell these apart, so matched comparison units with the same count have lower
    lasting rates than the treated and the effect is biased towards harm; the year before
    that, untouched by the selection, measures the lasting rate."""
    outcomes = outcomes or OUTCOMES
    _require(events, ("unit_id", "event_type", "event_date"), "events")
    _require(interventions, ("unit_id", "start_date"), "interventions")
    types = sorted(set(events.column("event_type").to_pylist()) - set(NOT_COVARIATES) - {None})
    suffix = uuid.uuid4().hex[:8]
    names = {"ev": f"eval_events_{suffix}", "iv": f"eval_interventions_{suffix}",
             "un": f"eval_units_{suffix}"}
    engine.register(names["ev"], events.select(["unit_id", "event_type", "event_date"]))
    engine.register(names["iv"], interventions.select(["unit_id", "start_date"]))
    engine.register(names["un"], units.select(["unit_id"]) if units is not None
                    else events.select(["unit_id"]))
    try:
        table = engine.sql(_sql(names, types, outcomes, window_days)).to_pandas()
    finally:
        for name in names.values():
            engine.unregister(name)
    return _with_unit_covariates(table, units)


def _with_unit_covariates(table: pd.DataFrame, units: pa.Table | None) -> pd.DataFrame:
    """Join the units' own numeric or boolean columns (e.g. household risk factors)."""
    if units is None:
        return table
    extra = [f.name for f in units.schema if f.name != "unit_id"
             and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
                  or pa.types.is_boolean(f.type))]
    if not extra:
        return table
    frame = units.select(["unit_id", *extra]).to_pandas().drop_duplicates("unit_id")
    frame = frame.rename(columns={c: f"prior_unit_{_safe(c)}" for c in extra})
    merged = table.merge(frame, on="unit_id", how="left")
    columns = [f"prior_unit_{_safe(c)}" for c in extra]
    merged[columns] = merged[columns].astype(float).fillna(0.0)
    return merged


def _count(types: tuple[str, ...], start: str, end: str) -> str:
    listed = ", ".join(f"'{t}'" for t in types)
    return (f"CAST(SUM(CASE WHEN e.event_type IN ({listed}) AND e.event_date >= {start} "
            f"AND e.event_date < {end} THEN 1 ELSE 0 END) AS INTEGER)")


def _sql(names: dict[str, str], types: list[str], outcomes: dict[str, tuple[str, ...]],
         window: int) -> str:
    before = f"c.index_date - INTERVAL '{window} days'"
    earlier = f"c.index_date - INTERVAL '{2 * window} days'"
    after = f"c.index_date + INTERVAL '{window} days'"
    columns = [f"{_count(tuple(t), before, 'c.index_date')} AS {name}_pre,\n"
               f"  {_count(tuple(t), 'c.index_date', after)} AS {name}_post"
               for name, t in outcomes.items()]
    columns += [f"{_count((t,), before, 'c.index_date')} AS prior_{_safe(t)}" for t in types]
    columns += [f"{_count((t,), earlier, before)} AS prior_y2_{_safe(t)}" for t in types]
    return f"""
WITH treated AS (
  SELECT unit_id, MIN(CAST(start_date AS DATE)) AS index_date FROM {names['iv']} GROUP BY unit_id),
comparison_index AS (SELECT CAST(quantile_disc(index_date, 0.5) AS DATE) AS d FROM treated),
population AS (SELECT unit_id FROM {names['un']} WHERE unit_id IS NOT NULL
               UNION SELECT unit_id FROM treated),
cohort AS (
  SELECT p.unit_id, t.unit_id IS NOT NULL AS treated,
         COALESCE(t.index_date, (SELECT d FROM comparison_index)) AS index_date
  FROM population p LEFT JOIN treated t ON p.unit_id = t.unit_id)
SELECT c.unit_id, c.treated, c.index_date,
  {(','+chr(10)+'  ').join(columns)}
FROM cohort c LEFT JOIN {names['ev']} e
  ON e.unit_id = c.unit_id AND e.event_date >= {earlier} AND e.event_date < {after}
GROUP BY c.unit_id, c.treated, c.index_date
ORDER BY c.unit_id"""


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower())


def _require(table: pa.Table, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise SpecError(f"the {what} table lacks columns {missing} (has {table.column_names})")


def covariates_of(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c.startswith("prior_")]


# -- the synthetic county's truth ----------------------------------------------------------------
# Household risk factors a council knows (not the hidden risk, nor labels measured afterwards).
RISK_FACTORS = ("imd_decile", "lone_parent", "substance_misuse", "mental_health", "da_history")


def truth_tables(synth_dir: Path, unit: str = "person", programme: str | None = None
                 ) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(events, interventions, units) from DIR/truth, renamed to the evaluation columns."""
    truth = synth_dir / "truth"
    key = f"{unit}_id"
    events = pq.read_table(truth / "events.parquet",
                           columns=[key, "event_type", "event_date"])
    raw = pq.read_table(truth / "interventions.parquet")
    if programme is not None and "programme" in raw.column_names:
        raw = raw.filter(pc.equal(raw.column("programme"), programme))
    start = next((c for c in ("start_date", "start", "date") if c in raw.column_names), None)
    if start is None or key not in raw.column_names:
        raise SpecError(f"truth/interventions.parquet needs {key} and start_date "
                        f"(has {raw.column_names})")
    units_file = truth / f"{unit}s.parquet"
    present = pq.read_schema(units_file).names
    units = pq.read_table(units_file, columns=[key, *(c for c in RISK_FACTORS if c in present)])
    return (events.rename_columns(["unit_id", "event_type", "event_date"]),
            raw.select([key, start]).rename_columns(["unit_id", "start_date"]),
            units.rename_columns(["unit_id", *units.column_names[1:]]))


def planted_effect(synth_dir: Path) -> float | None:
    """The county's planted relative effect (-0.3 = 30% fewer), if its interventions file
    states one as a rate ratio or as a relative change."""
    raw = pq.read_table(synth_dir / "truth" / "interventions.parquet")
    for column, shift in (("rate_ratio", -1.0), ("effect_rate_ratio", -1.0),
                          ("planted_effect", 0.0), ("effect", 0.0)):
        if column in raw.column_names:
            values = [v for v in raw.column(column).to_pylist() if v is not None]
            if values and isinstance(values[0], int | float):
                return float(values[0]) + shift
    return None
