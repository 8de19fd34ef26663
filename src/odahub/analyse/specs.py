"""The pilot models as data: cohort, target, prediction time, horizon, baselines, operational k.

Prediction time is the `as_of` date of the marts; the target is observed in (as_of, as_of +
horizon]. Cohort and target are SQL over the canonical relations and the marts of that date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Entity = Literal["household", "person", "oa"]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    entity: Entity
    cohort: str          # plain words, for the model card
    target: str          # plain words
    cohort_where: str    # SQL predicate over the entity's feature row (alias f)
    label_sql: str       # SQL with {start} and {end} date literals -> (entity_id, label)
    rule: str            # recency/frequency baseline: SQL expression over f
    grade: str | None    # the existing grade (DASH) as a baseline, where present
    k: int               # operational list size (scaled to the county by the harness)
    k_share: float       # k as a share of the cohort when the county is small
    horizon_days: int = 365
    truth_column: str | None = None  # planted probability of the outcome in the county's truth
    # Households/areas with no event in the window are negatives; an unassessed child is unknown.
    missing_label_is_negative: bool = True

    def window(self, as_of: date) -> tuple[str, str]:
        end = as_of + timedelta(days=self.horizon_days)
        return f"DATE '{as_of.isoformat()}'", f"DATE '{end.isoformat()}'"


# Outcome of a household: any event of a member (household as of prediction time) in the window.
_HOUSEHOLD_OUTCOME = """
SELECT pf.household_id AS entity_id, MAX(CASE WHEN {hit} THEN 1 ELSE 0 END) AS label
FROM an_person_features pf JOIN an_events e ON e.person_id = pf.person_id
WHERE e.event_date > {{start}} AND e.event_date <= {{end}} AND pf.household_id IS NOT NULL
GROUP BY pf.household_id
"""

DA_ESCALATION = ModelSpec(
    name="da_escalation",
    title="Household escalation to high-risk domestic abuse within 12 months",
    entity="household",
    cohort="Households with a domestic abuse incident recorded by the police in the 36 months "
           "before the prediction date.",
    target="A domestic abuse incident graded high risk (DASH) involving a member of the "
           "household within 12 months after the prediction date.",
    cohort_where="f.domestic_abuse_36m > 0",
    label_sql=_HOUSEHOLD_OUTCOME.format(
        hit="e.event_type = 'domestic_abuse' AND lower(e.dash_risk) = 'high'"),
    rule="f.domestic_abuse_12m + 1.0 / (1 + f.domestic_abuse_days_since / 365.0)",
    grade="f.dash_max_12m",
    k=200, k_share=0.10,
    truth_column="planted_da_high_rate",
)

SCHOOL_READINESS = ModelSpec(
    name="school_readiness",
    title="Child not school-ready at the reception assessment (age 4-5)",
    entity="person",
    cohort="Children aged 3.5 to 5.5 at the prediction date, not yet assessed, whose reception "
           "assessment falls in the next 12 months; includes children whose households are not "
           "known to any service (their features are the area's and the household's make-up).",
    target="The early-years (reception) assessment records the child as not school-ready.",
    cohort_where="f.age_years >= 3.5 AND f.age_years < 5.5 AND f.early_years_days_since >= 3650",
    label_sql="""
SELECT e.person_id AS entity_id, MAX(CASE WHEN e.school_ready = false THEN 1 ELSE 0 END) AS label
FROM an_events e WHERE e.event_type = 'early_years' AND e.school_ready IS NOT NULL
AND e.event_date > {start} AND e.event_date <= {end} GROUP BY e.person_id
""",
    rule="f.hh_agencies_12m + (11 - COALESCE(f.imd_decile, 5)) / 20.0",
    grade=None,
    k=280, k_share=0.15,
    truth_column="p_not_school_ready",
    missing_label_is_negative=False,
)

CSE_AREAS = ModelSpec(
    name="cse_areas",
    title="Output areas with elevated risk of child exploitation",
    entity="oa",
    cohort="Output areas with at least 10 resident children at the prediction date (smaller "
           "areas are not ranked: minimum counts protect privacy and stability).",
    target="Elevated: exploitation indicators among resident children in the next 12 months "
           "(missing episodes, child protection plans for exploitation) at or above both 2 and "
           "the upper quartile of areas in that year.",
    cohort_where="f.children >= 10",
    label_sql="""
WITH counts AS (
  SELECT pf.oa_code AS entity_id,
         SUM(CASE WHEN e.event_type = 'missing_episode' OR (e.event_type = 'cp_plan'
             AND lower(COALESCE(e.category, '')) LIKE '%exploit%') THEN 1 ELSE 0 END) AS n
  FROM an_person_features pf JOIN an_events e ON e.person_id = pf.person_id
  WHERE pf.age_years < 18 AND e.event_date > {start} AND e.event_date <= {end}
  AND pf.oa_code IS NOT NULL GROUP BY pf.oa_code)
SELECT entity_id, CASE WHEN n >= GREATEST(2, (SELECT quantile_disc(n, 0.75) FROM counts))
       THEN 1 ELSE 0 END AS label FROM counts
""",
    rule="f.child_missing_episode_12m + f.child_cp_plan_12m / 2.0",
    grade=None,
    k=82, k_share=0.20,
    truth_column="planted_exploitation_rate",
)

VULNERABILITY = ModelSpec(
    name="vulnerability",
    title="Household vulnerability score with risk tiers",
    entity="household",
    cohort="Households with at least one child at the prediction date.",
    target="A children-in-need referral or child protection plan for a member of the household "
           "within 12 months after the prediction date.",
    cohort_where="f.children > 0",
    label_sql=_HOUSEHOLD_OUTCOME.format(hit="e.event_type IN ('cin_referral', 'cp_plan')"),
    rule="f.cin_referral_36m + 2 * f.cp_plan_36m + f.domestic_abuse_12m",
    grade=None,
    k=500, k_share=0.10,
    truth_column="planted_child_services_rate",
)

SPECS: dict[str, ModelSpec] = {
    spec.name: spec for spec in (DA_ESCALATION, SCHOOL_READINESS, CSE_AREAS, VULNERABILITY)}

# Tiers of the vulnerability score, as multiples of the cohort's base rate.
TIERS = ((4.0, "very high"), (2.0, "high"), (1.0, "medium"), (0.0, "low"))
