"""Score 1,000,000 persons: marts SQL + calibrated LightGBM, vectorised end to end.

    python bench/score.py [--persons 1000000]

Events are generated inside DuckDB (a latent risk per household drives event rates), a model is
trained on an earlier snapshot of a 50,000-person sample, then every person is featurised as of
the scoring date and scored. Baseline in the same run: a raw DuckDB aggregate over the same
events (the least any featurisation must cost). Figures are SYNTHETIC.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import numpy as np

from odahub.analyse import marts
from odahub.analyse.frames import matrix, numeric
from odahub.analyse.relations import EVENT_ATTRIBUTES, agencies_sql
from odahub.analyse.train import fit_model
from odahub.engine.duck import DuckDBEngine

KINDS = ("crime", "asb", "domestic_abuse", "cin_referral", "ae_attendance", "mental_health",
         "school_attendance", "substance_misuse")
TRAIN_AS_OF, CAL_AS_OF, SCORE_AS_OF = date(2022, 12, 31), date(2023, 12, 31), date(2024, 12, 31)


def generate(engine: DuckDBEngine, persons: int) -> None:
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    engine.execute(f"""
CREATE OR REPLACE TABLE an_persons AS
SELECT 'P' || i AS person_id, 'H' || (i // 2.5)::BIGINT AS household_id,
       DATE '1960-01-01' + ((hash(i) % 20000)::INTEGER) AS birth_date,
       CASE WHEN hash(i * 7) % 2 = 0 THEN 'F' ELSE 'M' END AS sex, 'White' AS ethnicity,
       'E' || lpad(((i // 2.5)::BIGINT // 125)::VARCHAR, 8, '0') AS oa_code
FROM range({persons}) t(i)""")
    engine.execute("""
CREATE OR REPLACE TABLE an_risk AS
SELECT household_id, 2.5 * (hash(household_id) % 1000) / 1000.0 - 1.5
       + 0.8 * sqrt(-2 * ln(random() + 1e-9)) * cos(6.28318 * random()) AS risk
FROM (SELECT DISTINCT household_id FROM an_persons)""")
    engine.execute(f"""
CREATE OR REPLACE TABLE an_events_raw AS
SELECT p.person_id, p.household_id, p.oa_code,
       ([{kinds}])[1 + (hash(p.person_id || n) % {len(KINDS)})::INTEGER] AS event_type,
       DATE '2020-01-01' + (hash(p.person_id || n || 'd') % 1825)::INTEGER AS event_date
FROM an_persons p JOIN an_risk r USING (household_id),
     range(0, 12) AS k(n)
WHERE random() < 0.08 * exp(r.risk)""")
    # Every attribute the marts may read, from the canonical list (the bench sets none of them).
    attributes = ", ".join(f"NULL::{kind} AS {name}" for name, kind in EVENT_ATTRIBUTES.items())
    engine.execute(f"""
CREATE OR REPLACE VIEW an_events AS
SELECT e.person_id, e.household_id, 'bench' AS dataset, NULL::VARCHAR AS record_id, a.agency,
       e.event_type, e.event_date, e.oa_code, {attributes}
FROM an_events_raw e LEFT JOIN {agencies_sql('a')} ON a.event_type = e.event_type""")
    engine.execute("CREATE OR REPLACE VIEW an_members AS SELECT household_id, person_id, "
                   "NULL::DATE AS valid_from, NULL::DATE AS valid_to FROM an_persons")
    engine.execute("CREATE OR REPLACE TABLE an_areas AS SELECT DISTINCT oa_code, "
                   "NULL::VARCHAR AS lsoa_code, NULL::VARCHAR AS ward_code, "
                   "(hash(oa_code) % 10 + 1)::INTEGER AS imd_decile, NULL::DOUBLE AS latitude, "
                   "NULL::DOUBLE AS longitude FROM an_persons")


def labelled(engine: DuckDBEngine, as_of: date, sample: int) -> object:
    features = engine.sql(marts.person_features_sql(as_of) + f" AND p.person_id IN "
                          f"(SELECT person_id FROM an_persons LIMIT {sample})")
    engine.register("an_bench_features", features)
    return numeric(engine.sql(f"""
SELECT f.*, CASE WHEN EXISTS (SELECT 1 FROM an_events_raw e WHERE e.person_id = f.person_id
       AND e.event_type = 'cin_referral' AND e.event_date > DATE '{as_of}'
       AND e.event_date <= DATE '{as_of}' + INTERVAL 365 DAY) THEN 1 ELSE 0 END AS label
FROM an_bench_features f""")).to_pandas()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    engine = DuckDBEngine()
    started = time.perf_counter()
    generate(engine, args.persons)
    events = engine.scalar("SELECT COUNT(*) FROM an_events_raw")
    print(f"generated {args.persons:,} persons, {events:,} events "
          f"in {time.perf_counter() - started:.1f}s (SYNTHETIC)")
    model = fit_model("bench", labelled(engine, TRAIN_AS_OF, 50_000),  # type: ignore[arg-type]
                      labelled(engine, CAL_AS_OF, 50_000))  # type: ignore[arg-type]

    started = time.perf_counter()
    engine.sql("SELECT person_id, COUNT(*), MAX(event_date) FROM an_events_raw "
               f"WHERE event_date <= DATE '{SCORE_AS_OF}' GROUP BY person_id")
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    features = engine.sql(marts.person_features_sql(SCORE_AS_OF))
    featurised = time.perf_counter() - started
    x = matrix(numeric(features.select(model.features)).to_pandas(), model.features)
    scores = model.predict(x)
    total = time.perf_counter() - started
    assert len(scores) == features.num_rows and np.isfinite(scores).all()
    print(f"baseline raw DuckDB aggregate: {baseline:.2f}s")
    print(f"features: {featurised:.2f}s  ({featurised / baseline:.1f}x the raw aggregate)")
    print(f"scored {len(scores):,} persons in {total:.2f}s: {len(scores) / total:,.0f} rows/s")


if __name__ == "__main__":
    main()
