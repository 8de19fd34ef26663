"""Demand across agencies: multi-agency households, overlapping interventions, demand by agency.

Cost needs unit costs, which the benefits stage owns (Unit Cost Database): when it has published
`reference/unit_costs` (event_type, unit_cost_gbp), demand rows carry a cost; otherwise null.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from odahub.engine import Engine

INTERVENTIONS = ("cp_plan", "early_help", "intervention", "probation", "substance_misuse",
                 "mental_health", "cin_referral")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def households_sql(as_of: date) -> str:
    d = f"DATE '{as_of.isoformat()}'"
    return f"""
WITH recent AS (SELECT pf.household_id, e.agency, e.event_type, e.event_date
                FROM an_person_features pf JOIN an_events e ON e.person_id = pf.person_id
                WHERE e.event_date <= {d} AND e.event_date > {d} - INTERVAL 365 DAY
                AND pf.household_id IS NOT NULL)
SELECT household_id, {d} AS as_of, COUNT(*) AS contacts_12m,
       COUNT(DISTINCT agency) AS agencies_12m,
       string_agg(DISTINCT agency, ', ') AS agencies,
       COUNT(DISTINCT CASE WHEN event_type IN ({_in(INTERVENTIONS)}) THEN agency END)
           AS intervening_agencies_12m,
       CASE WHEN COUNT(DISTINCT agency) >= 3 THEN true ELSE false END AS multi_agency,
       CASE WHEN COUNT(DISTINCT CASE WHEN event_type IN ({_in(INTERVENTIONS)}) THEN agency END)
            >= 2 THEN true ELSE false END AS overlapping_interventions
FROM recent GROUP BY household_id
"""


def by_agency_sql(as_of: date, with_costs: bool) -> str:
    d = f"DATE '{as_of.isoformat()}'"
    cost = ("SUM(c.unit_cost_gbp)" if with_costs else "CAST(NULL AS DOUBLE)")
    join = "LEFT JOIN an_unit_costs c ON c.event_type = e.event_type" if with_costs else ""
    return f"""
SELECT e.agency, e.event_type, {d} AS as_of, COUNT(*) AS events_12m,
       COUNT(DISTINCT e.person_id) AS persons_12m,
       COUNT(DISTINCT pf.household_id) AS households_12m,
       COUNT(DISTINCT CASE WHEN dh.multi_agency THEN pf.household_id END)
           AS multi_agency_households_12m,
       {cost} AS cost_gbp_12m
FROM an_events e LEFT JOIN an_person_features pf ON pf.person_id = e.person_id
LEFT JOIN an_demand_households dh ON dh.household_id = pf.household_id {join}
WHERE e.event_date <= {d} AND e.event_date > {d} - INTERVAL 365 DAY
GROUP BY e.agency, e.event_type
ORDER BY e.agency, e.event_type
"""


def build(engine: Engine, as_of: date, unit_costs: pa.Table | None = None) -> dict[str, pa.Table]:
    """demand_households and demand_by_agency (person features as of the date registered)."""
    households = engine.sql(households_sql(as_of))
    engine.register("an_demand_households", households)
    if unit_costs is not None:
        engine.register("an_unit_costs", unit_costs)
    by_agency = engine.sql(by_agency_sql(as_of, unit_costs is not None))
    return {"demand_households": households, "demand_by_agency": by_agency}
