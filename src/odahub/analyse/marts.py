"""Feature marts as of a date: one SQL definition (DuckDB dialect, transpiled for Spark).

Every feature is computed from events with `event_date <= as_of` only, so a mart built as of D
cannot see anything recorded after D (tests/analyse/test_leakage.py proves it). "Ever" counts
decay with a one-year half-life, so an incident five years ago weighs little.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from odahub.engine import Engine
from odahub.model import load_model

WINDOWS = {"6m": 182, "12m": 365, "36m": 1095}
HALF_LIFE_DAYS = 365.0
SHORT_HALF_LIFE_DAYS = 91.0  # recency: a quarter-year half-life
NO_CONTACT_DAYS = 3650  # "days since" when never in contact: ten years, a finite, monotone code
DASH_GRADES = ("CASE lower(dash_risk) WHEN 'high' THEN 3 WHEN 'medium' THEN 2 "
               "WHEN 'standard' THEN 1 ELSE 0 END")


def event_types() -> list[str]:
    return list(load_model().events)


def agencies() -> list[str]:
    return sorted({event.agency for event in load_model().events.values()})


def _lit(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def _age(day: date, column: str = "event_date") -> str:
    return f"date_diff('day', {column}, {_lit(day)})"


def person_aggregates(as_of: date) -> list[str]:
    """Per-person aggregate expressions over events known by `as_of`."""
    age = _age(as_of)
    parts: list[str] = []
    for kind in event_types():
        hit = f"event_type = '{kind}'"
        for label, days in WINDOWS.items():
            parts.append(f"SUM(CASE WHEN {hit} AND {age} < {days} THEN 1 ELSE 0 END) "
                         f"AS {kind}_{label}")
        parts.append(f"SUM(CASE WHEN {hit} THEN exp(-{age} / {HALF_LIFE_DAYS}) ELSE 0 END) "
                     f"AS {kind}_decayed")
        parts.append(f"SUM(CASE WHEN {hit} THEN exp(-{age} / {SHORT_HALF_LIFE_DAYS}) ELSE 0 END)"
                     f" AS {kind}_recent")
        # Acceleration: the last six months minus the six months before.
        parts.append(f"SUM(CASE WHEN {hit} AND {age} < 182 THEN 1 WHEN {hit} AND {age} < 365 "
                     f"THEN -1 ELSE 0 END) AS {kind}_accel")
        parts.append(f"MIN(CASE WHEN {hit} THEN {age} END) AS {kind}_days_since")
    for agency in agencies():
        parts.append(f"SUM(CASE WHEN agency = '{agency}' AND {age} < 365 THEN 1 ELSE 0 END) "
                     f"AS agency_{agency}_12m")
    parts += [
        "COUNT(*) AS events_total",
        f"COUNT(DISTINCT CASE WHEN {age} < 365 THEN agency END) AS agencies_12m",
        "COUNT(DISTINCT agency) AS agencies_ever",
        "MIN(event_date) AS first_contact",
        "MAX(event_date) AS last_contact",
        f"MAX(CASE WHEN event_type = 'domestic_abuse' AND {age} < 365 THEN {DASH_GRADES} "
        "ELSE 0 END) AS dash_max_12m",
        f"SUM(CASE WHEN lower(dash_risk) = 'high' AND {age} < 1095 THEN 1 ELSE 0 END) "
        "AS dash_high_36m",
        f"SUM(CASE WHEN event_type = 'ae_attendance' AND lower(COALESCE(complaint, '')) "
        f"LIKE '%self-harm%' THEN exp(-{age} / {HALF_LIFE_DAYS}) ELSE 0 END) AS self_harm_decayed",
        f"SUM(CASE WHEN event_type = 'ae_attendance' AND lower(COALESCE(complaint, '')) "
        f"LIKE '%self-harm%' AND {age} < 1095 THEN 1 ELSE 0 END) AS self_harm_36m",
        f"SUM(CASE WHEN event_type = 'cp_plan' AND lower(COALESCE(category, '')) LIKE '%exploit%'"
        f" AND {age} < 365 THEN 1 ELSE 0 END) AS cp_exploitation_12m",
        f"MIN(CASE WHEN event_type = 'school_attendance' AND {age} < 365 THEN attendance_pct END)"
        " AS attendance_min_12m",
        *da_aggregates(as_of),
    ]
    return parts


def da_aggregates(as_of: date) -> list[str]:
    """Domestic abuse as an analyst builds it from linked police data: the person's role
    (perpetrator history follows the linked person between households), violence outside the
    home, whether DASH grades are rising, and how close together incidents come."""
    age = _age(as_of)
    da = "event_type = 'domestic_abuse'"
    grade = f"CASE WHEN {da} AND {age} < 1095 THEN {DASH_GRADES} END"
    when = f"CASE WHEN {da} AND {age} < 1095 THEN event_date END"
    return [
        f"SUM(CASE WHEN {da} AND lower(COALESCE(role_in_incident, '')) = 'perpetrator' "
        f"THEN exp(-{age} / {HALF_LIFE_DAYS}) ELSE 0 END) AS da_perpetrator_decayed",
        f"SUM(CASE WHEN {da} AND lower(COALESCE(role_in_incident, '')) = 'victim' "
        f"THEN exp(-{age} / {HALF_LIFE_DAYS}) ELSE 0 END) AS da_victim_decayed",
        f"SUM(CASE WHEN event_type = 'crime' AND lower(COALESCE(offence_group, '')) LIKE "
        f"'violence%' THEN exp(-{age} / {HALF_LIFE_DAYS}) ELSE 0 END) AS violent_crime_decayed",
        f"MIN(CASE WHEN event_type = 'crime' AND lower(COALESCE(offence_group, '')) LIKE "
        f"'violence%' THEN {age} END) AS violent_crime_days_since",
        # The last grade, and against the person's average over three years: escalating grades.
        f"arg_max({grade}, {when}) AS dash_last",
        f"arg_max({grade}, {when}) - AVG({grade}) AS dash_rise",
        f"SUM(CASE WHEN {da} AND lower(dash_risk) = 'high' THEN exp(-{age} / "
        f"{SHORT_HALF_LIFE_DAYS}) ELSE 0 END) AS dash_high_recent",
        f"MIN(CASE WHEN {da} AND lower(dash_risk) = 'high' THEN {age} END) "
        "AS dash_high_days_since",
        # Mean days between incidents over three years (closer together: escalating).
        f"CAST(date_diff('day', MIN({when}), MAX({when})) AS DOUBLE) / "
        f"NULLIF(COUNT({when}) - 1, 0) AS da_gap_days",
    ]


def person_features_sql(as_of: date) -> str:
    """One row per person born by `as_of`; household and area as of that date."""
    d = _lit(as_of)
    counts = [p.rsplit(" AS ", 1)[1] for p in person_aggregates(as_of)]
    zero = {"first_contact", "last_contact", "attendance_min_12m", "da_gap_days"}
    filled = []
    for name in counts:
        if name.endswith("_days_since"):
            filled.append(f"COALESCE(a.{name}, {NO_CONTACT_DAYS}) AS {name}")
        elif name in zero:
            filled.append(f"a.{name}")
        else:
            filled.append(f"COALESCE(a.{name}, 0) AS {name}")
    return f"""
WITH ev AS (SELECT * FROM an_events WHERE event_date <= {d} AND person_id IS NOT NULL),
agg AS (SELECT person_id, {', '.join(person_aggregates(as_of))} FROM ev GROUP BY person_id),
last_place AS (SELECT person_id, arg_max(oa_code, event_date) AS oa_code FROM ev
               WHERE oa_code IS NOT NULL GROUP BY person_id),
household AS (SELECT person_id, arg_max(household_id, valid_from) AS household_id FROM an_members
              WHERE (valid_from IS NULL OR valid_from <= {d})
              AND (valid_to IS NULL OR valid_to > {d})
              GROUP BY person_id)
SELECT p.person_id, COALESCE(h.household_id, p.household_id) AS household_id, {d} AS as_of,
       p.birth_date, CAST(date_diff('day', p.birth_date, {d}) AS DOUBLE) / 365.25 AS age_years,
       CAST((month(p.birth_date) + 3) % 12 AS DOUBLE) AS school_year_month,
       p.sex, p.ethnicity,
       COALESCE(lp.oa_code, p.oa_code) AS oa_code, ar.imd_decile,
       CASE WHEN a.person_id IS NULL THEN 0 ELSE 1 END AS known_to_services, {', '.join(filled)}
FROM an_persons p
LEFT JOIN agg a ON a.person_id = p.person_id
LEFT JOIN last_place lp ON lp.person_id = p.person_id
LEFT JOIN household h ON h.person_id = p.person_id
LEFT JOIN an_areas ar ON ar.oa_code = COALESCE(lp.oa_code, p.oa_code)
WHERE p.birth_date IS NULL OR p.birth_date <= {d}
"""


def numeric_person_columns(as_of: date) -> list[str]:
    names = [p.rsplit(" AS ", 1)[1] for p in person_aggregates(as_of)]
    return [n for n in names if n not in {"first_contact", "last_contact"}]


def household_features_sql(as_of: date) -> str:
    """Members as of `as_of` (from person_features), summed; composition and moves."""
    d = _lit(as_of)
    sums = [f"SUM({c}) AS {c}" for c in numeric_person_columns(as_of)
            if not c.endswith("_days_since") and c not in {"attendance_min_12m", "dash_max_12m"}
            and not c.startswith("agencies_") and c not in DA_NOT_SUMMED]
    mins = [f"MIN({c}) AS {c}" for c in numeric_person_columns(as_of)
            if c.endswith("_days_since") or c in {"attendance_min_12m", "da_gap_days"}]
    return f"""
WITH pf AS (SELECT * FROM an_person_features WHERE household_id IS NOT NULL),
moves AS (SELECT pf.household_id, COUNT(DISTINCT e.oa_code) AS places_36m,
          COUNT(DISTINCT CASE WHEN {_age(as_of, 'e.event_date')} < 365 THEN e.agency END)
          AS agencies_12m
          FROM pf JOIN an_events e ON e.person_id = pf.person_id
          WHERE e.event_date <= {d} AND {_age(as_of, 'e.event_date')} < 1095
          GROUP BY pf.household_id),
{da_household_ctes(as_of)}
SELECT pf.household_id, {d} AS as_of, COUNT(*) AS members,
       SUM(CASE WHEN age_years >= 18 THEN 1 ELSE 0 END) AS adults,
       SUM(CASE WHEN age_years < 18 THEN 1 ELSE 0 END) AS children,
       SUM(CASE WHEN age_years < 5 THEN 1 ELSE 0 END) AS under_fives,
       SUM(CASE WHEN age_years < 2 THEN 1 ELSE 0 END) AS under_twos,
       SUM(CASE WHEN age_years >= 13 AND age_years < 18 THEN 1 ELSE 0 END) AS teenagers,
       SUM(CASE WHEN agency_police_12m > 0 THEN 1 ELSE 0 END) AS members_police_12m,
       SUM(CASE WHEN pf.agencies_12m >= 2 THEN 1 ELSE 0 END) AS members_multi_agency_12m,
       SUM(domestic_abuse_recent) * SUM(CASE WHEN age_years < 2 THEN 1 ELSE 0 END)
         AS da_recent_x_under_twos,
       SUM(domestic_abuse_6m) * SUM(crime_6m + probation_12m) AS da_x_offending_6m,
       SUM(substance_misuse_decayed) * SUM(ae_attendance_12m) AS substance_x_health_12m,
       SUM(substance_misuse_decayed) * SUM(self_harm_decayed) AS substance_x_self_harm,
       SUM(agency_police_12m) * (SUM(agency_council_12m) + SUM(agency_health_12m)
         + SUM(agency_school_12m)) AS police_x_services_12m,
       MIN(age_years) AS youngest_age, MAX(age_years) AS oldest_age,
       MAX(dash_max_12m) AS dash_max_12m, MAX(known_to_services) AS known_to_services,
       arg_max(oa_code, age_years) AS oa_code, arg_max(sex, age_years) AS hrp_sex,
       arg_max(ethnicity, age_years) AS hrp_ethnicity, MAX(imd_decile) AS imd_decile,
       COALESCE(MAX(mv.agencies_12m), 0) AS agencies_12m,
       GREATEST(COALESCE(MAX(mv.places_36m), 1) - 1, 0) AS moves_36m,
       MIN(first_contact) AS first_contact, MAX(last_contact) AS last_contact,
       {DA_HOUSEHOLD}, {', '.join(sums + mins)}
FROM pf LEFT JOIN moves mv ON mv.household_id = pf.household_id
LEFT JOIN da_away dw ON dw.household_id = pf.household_id
LEFT JOIN da_changes ch ON ch.household_id = pf.household_id
GROUP BY pf.household_id
"""


DA_NOT_SUMMED = {"dash_rise", "dash_last", "da_gap_days"}
# A household's DA picture across members: the most violent member, grades rising for anyone,
# and the interactions the literature names (a violent perpetrator in an active DA household; a
# separation in a home with DA history or with a baby).
DA_HOUSEHOLD = """MAX(violent_crime_decayed) AS violent_member_decayed,
       MAX(dash_rise) AS dash_rise, MAX(dash_last) AS dash_last,
       COALESCE(MAX(dw.da_elsewhere_decayed), 0) AS da_elsewhere_decayed,
       COALESCE(MAX(ch.members_left_12m), 0) AS members_left_12m,
       COALESCE(MAX(ch.members_joined_12m), 0) AS members_joined_12m,
       COALESCE(MAX(ch.separation_days_since), 3650) AS separation_days_since,
       SUM(violent_crime_decayed) * SUM(domestic_abuse_recent) AS violence_x_da_recent,
       COALESCE(MAX(ch.members_left_12m + ch.members_joined_12m), 0) * SUM(domestic_abuse_decayed)
         AS separation_x_da_decayed,
       COALESCE(MAX(ch.members_left_12m + ch.members_joined_12m), 0)
         * SUM(CASE WHEN age_years < 2 THEN 1 ELSE 0 END) AS separation_x_under_twos"""


def da_household_ctes(as_of: date) -> str:
    """Members' DA recorded in another household (a perpetrator's history follows the linked
    person), and members who left or joined in the last year (separation)."""
    d = _lit(as_of)
    age = _age(as_of, "e.event_date")
    return f"""da_away AS (SELECT pf.household_id, SUM(exp(-{age} / {HALF_LIFE_DAYS}))
          AS da_elsewhere_decayed
          FROM pf JOIN an_events e ON e.person_id = pf.person_id
          WHERE e.event_type = 'domestic_abuse' AND e.event_date <= {d}
          AND e.household_id IS NOT NULL AND e.household_id <> pf.household_id
          GROUP BY pf.household_id),
da_changes AS (SELECT household_id,
          SUM(CASE WHEN valid_to <= {d} AND valid_to > {d} - INTERVAL 365 DAY THEN 1 ELSE 0 END)
          AS members_left_12m,
          SUM(CASE WHEN valid_from <= {d} AND valid_from > {d} - INTERVAL 365 DAY THEN 1 ELSE 0
          END) AS members_joined_12m,
          MIN(CASE WHEN valid_to <= {d} THEN date_diff('day', valid_to, {d})
                   WHEN valid_from <= {d} THEN date_diff('day', valid_from, {d}) END)
          AS separation_days_since
          FROM an_members GROUP BY household_id)"""


def oa_features_sql(as_of: date) -> str:
    """Output areas: residents by age, and events of residents and of children, over windows."""
    d = _lit(as_of)
    age = _age(as_of)
    kinds = event_types()
    child = "pf.age_years < 18"
    counts = [f"SUM(CASE WHEN {child} THEN pf.{k}_{w} ELSE 0 END) AS child_{k}_{w}"
              for k in kinds for w in ("12m", "6m", "recent", "accel")]
    counts += [f"SUM(CASE WHEN {child} THEN pf.cp_exploitation_12m ELSE 0 END) "
               "AS child_cp_exploitation_12m"]
    counts += [f"SUM(pf.{k}_12m) AS {k}_12m" for k in kinds]
    counts += [f"SUM(pf.{k}_decayed) AS {k}_decayed" for k in kinds]
    return f"""
WITH areas AS ({_oa_sql(d, age, child, counts)})
SELECT *,
       SUM(child_missing_episode_12m) OVER (PARTITION BY lsoa_code) - child_missing_episode_12m
         AS lsoa_other_child_missing_12m,
       SUM(found_here_12m) OVER (PARTITION BY lsoa_code) AS lsoa_found_12m,
       CASE WHEN adolescents > 0 THEN child_missing_episode_12m / adolescents ELSE 0 END
         AS child_missing_per_adolescent_12m
FROM areas
"""


def _oa_sql(d: str, age: str, child: str, counts: list[str]) -> str:
    return f"""
WITH pf AS (SELECT * FROM an_person_features WHERE oa_code IS NOT NULL),
found AS (SELECT found_oa AS oa_code, COUNT(*) AS found_here_36m,
          SUM(CASE WHEN {age} < 365 THEN 1 ELSE 0 END) AS found_here_12m FROM an_events
          WHERE event_type = 'missing_episode' AND event_date <= {d} AND {age} < 1095
          GROUP BY found_oa)
SELECT ar.oa_code, {d} AS as_of, ar.lsoa_code, ar.ward_code, ar.imd_decile, ar.latitude,
       ar.longitude, COUNT(pf.person_id) AS residents,
       SUM(CASE WHEN {child} THEN 1 ELSE 0 END) AS children,
       SUM(CASE WHEN pf.age_years BETWEEN 10 AND 17.99 THEN 1 ELSE 0 END) AS adolescents,
       SUM(CASE WHEN pf.known_to_services = 1 THEN 1 ELSE 0 END) AS known_residents,
       COALESCE(MAX(fo.found_here_36m), 0) AS found_here_36m,
       COALESCE(MAX(fo.found_here_12m), 0) AS found_here_12m,
       {', '.join(f'COALESCE({c.rsplit(" AS ", 1)[0]}, 0) AS {c.rsplit(" AS ", 1)[1]}'
                  for c in counts)}
FROM an_areas ar LEFT JOIN pf ON pf.oa_code = ar.oa_code
LEFT JOIN found fo ON fo.oa_code = ar.oa_code
GROUP BY ar.oa_code, ar.lsoa_code, ar.ward_code, ar.imd_decile, ar.latitude, ar.longitude
"""


def build(engine: Engine, as_of: date) -> dict[str, pa.Table]:
    """All three marts as of a date (the canonical relations must be registered)."""
    person = engine.sql(person_features_sql(as_of))
    engine.register("an_person_features", person)
    household = engine.sql(household_features_sql(as_of))
    oa = engine.sql(oa_features_sql(as_of))
    return {"person_features": person, "household_features": household, "oa_features": oa}


EARLY_YEARS = 7 * 365  # children younger than this get a home history since birth


def child_home_sql(as_of: date) -> str:
    """Young children's home since birth, as an early-years analyst reads it (ADR 0061): events
    of everyone the child lived with, while they lived together — domestic abuse while the child
    was under two, homelessness, parental substance misuse and self-harm (mental ill health) and
    the two together, and how many kinds of adversity (domestic abuse, homelessness, a social care
    referral, offending) the home saw in the last two years: cumulative risk is not additive.
    Only events on or before `as_of` count."""
    d = _lit(as_of)
    open_end = "DATE '9999-12-31'"
    home = "COUNT(DISTINCT CASE WHEN {hit} THEN h.event_date END)"
    harm = "h.event_type = 'ae_attendance' AND lower(COALESCE(h.complaint, '')) LIKE '%self-harm%'"
    da = "h.event_type = 'domestic_abuse'"
    return f"""
WITH kids AS (SELECT person_id, birth_date FROM an_persons
              WHERE birth_date <= {d} AND date_diff('day', birth_date, {d}) < {EARLY_YEARS}),
stays AS (SELECT k.person_id AS child_id, k.birth_date, m.household_id,
                 COALESCE(m.valid_from, k.birth_date) AS lo, COALESCE(m.valid_to, {open_end}) AS hi
          FROM kids k JOIN an_members m ON m.person_id = k.person_id),
mates AS (SELECT s.child_id, s.birth_date, m.person_id,
                 GREATEST(s.lo, COALESCE(m.valid_from, s.lo)) AS lo,
                 LEAST(s.hi, COALESCE(m.valid_to, s.hi)) AS hi
          FROM stays s JOIN an_members m ON m.household_id = s.household_id),
home AS (SELECT mt.child_id, mt.birth_date, e.event_type, e.event_date, e.complaint
         FROM mates mt JOIN an_events e ON e.person_id = mt.person_id
         WHERE e.event_date >= mt.lo AND e.event_date < mt.hi AND e.event_date >= mt.birth_date
         AND e.event_date <= {d}),
counts AS (SELECT h.child_id AS person_id,
  {home.format(hit=f"{da} AND date_diff('day', h.birth_date, h.event_date) < 730")}
    AS home_da_under_two,
  {home.format(hit=da)} AS home_da_since_birth,
  {home.format(hit="h.event_type = 'homelessness'")} AS home_homeless_since_birth,
  {home.format(hit="h.event_type = 'substance_misuse'")} AS home_substance_since_birth,
  {home.format(hit=harm)} AS home_self_harm_since_birth,
  {home.format(hit="h.event_type IN ('cin_referral', 'cp_plan')")} AS home_social_care_since_birth,
  COUNT(DISTINCT CASE WHEN h.event_date > {d} - INTERVAL 730 DAY AND h.event_type IN
        ('domestic_abuse', 'homelessness', 'cin_referral', 'crime') THEN h.event_type END)
    AS home_adversity_kinds_24m
  FROM home h GROUP BY h.child_id)
SELECT c.*, CAST(LEAST(home_substance_since_birth, 1) * LEAST(home_self_harm_since_birth, 1)
       AS DOUBLE) AS home_substance_x_self_harm
FROM counts c
"""
