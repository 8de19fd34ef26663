"""Ground truth on disk: Parquet files written chunk by chunk with a fixed schema."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from odahub.synth.feeds.records import to_dates
from odahub.synth.geography import Geography
from odahub.synth.params import EARLY_HELP_RATE_RATIO, PERIOD_START, STEP_DAYS
from odahub.synth.population import NONE
from odahub.synth.simulate import ChunkLife

TRUTH_FILES = ("records", "persons", "households", "events", "pii", "interventions", "errors")


class TruthSink:
    """One streaming Parquet writer per truth table."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = dict.fromkeys(TRUTH_FILES, 0)

    def write(self, name: str, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
        table = table.cast(pa.schema([
            pa.field(f.name, pa.string() if pa.types.is_null(f.type) else f.type)
            for f in table.schema]))
        writer = self.writers.get(name)
        if writer is None:
            writer = pq.ParquetWriter(str(self.folder / f"{name}.parquet"), table.schema)
            self.writers[name] = writer
        else:
            table = table.cast(writer.schema)
        writer.write_table(table)
        self.rows[name] += len(frame)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def dates_or_null(days: np.ndarray) -> pd.Series:
    return pd.Series(np.where(days == NONE, np.datetime64("NaT"), to_dates(np.maximum(days, 0))),
                     dtype="datetime64[s]").dt.date


def persons_truth(life: ChunkLife) -> pd.DataFrame:
    p = life.population.persons
    hh = life.population.households
    first = p["hh0"].to_numpy()
    return pd.DataFrame({
        "person_id": p["person_id"],
        "household_id": hh["household_id"].to_numpy()[p["hh1"].to_numpy()],
        "first_household_id": hh["household_id"].to_numpy()[first],
        "household_change_date": dates_or_null(p["hh_change_day"].to_numpy()),
        "first_name": p["first_name"], "middle_name": p["middle_name"],
        "last_name": p["surname"], "previous_last_name": p["previous_surname"],
        "last_name_change_date": dates_or_null(p["surname_change_day"].to_numpy()),
        "date_of_birth": pd.Series(to_dates(p["dob_day"].to_numpy())).dt.date,
        "born_in_period": p["dob_day"].to_numpy() >= 0,
        "date_of_death": dates_or_null(p["death_day"].to_numpy()),
        "sex": p["sex"], "ethnicity": p["ethnicity"], "nhs_number": p["nhs_number"],
        "ni_number": p["ni_number"], "phone": p["phone"], "email": p["email"], "upn": p["upn"],
        "substance_misuse": hh["substance_misuse"].to_numpy()[first],
        "mental_health": hh["mental_health"].to_numpy()[first],
        "da_history": hh["da_history"].to_numpy()[first],
        "imd_decile": hh["imd_decile"].to_numpy()[first],
        "school_ready": p["school_ready"], "p_not_school_ready": p["p_not_school_ready"],
        "da_high_risk_escalation": p["da_high_risk_escalation"],
    })


def households_truth(life: ChunkLife, geo: Geography) -> pd.DataFrame:
    hh = life.population.households
    first = hh["address0"].to_numpy()
    final = np.where(hh["address1"].to_numpy() >= 0, hh["address1"].to_numpy(), first)
    oa = Geography.oa_of_address(final)
    lsoa = geo.lsoa_of_oa[oa]
    members = np.bincount(life.population.persons["hh1"].to_numpy(), minlength=len(hh))
    return pd.DataFrame({
        "household_id": hh["household_id"],
        "formed_date": dates_or_null(hh["formed_day"].to_numpy()),
        "uprn": geo.address_uprn[final], "address": geo.address_line[final] + ", "
        + geo.address_town[final], "postcode": geo.postcode[Geography.postcode_of_address(final)],
        "oa_code": geo.oa_code[oa], "lsoa_code": geo.lsoa_code[lsoa],
        "ward_code": geo.ward_code[geo.ward_of_lsoa[lsoa]],
        "first_uprn": geo.address_uprn[first],
        "first_postcode": geo.postcode[Geography.postcode_of_address(first)],
        "move_date": dates_or_null(hh["move_day"].to_numpy()),
        "members_at_end": members,
        "imd_decile": hh["imd_decile"], "lone_parent": hh["lone_parent"],
        "substance_misuse": hh["substance_misuse"], "mental_health": hh["mental_health"],
        "da_history": hh["da_history"], "hidden_risk": hh["hidden_risk"],
        "da_incidents_before_outcome": hh["da_incidents_before_outcome"],
        "p_da_escalation": hh["p_da_escalation"],
        "da_high_risk_escalation": hh["da_high_risk_escalation"],
        "known_to_services": hh["known_to_services"], "early_help": hh["early_help"],
        "first_oa_code": geo.oa_code[Geography.oa_of_address(first)],
        # Planted yearly rates per step of PLANTED_STEP_DAYS from the period start (truth only,
        # never a feature): the best achievable score for any prediction date and horizon.
        "planted_from": pd.Series(np.full(len(hh), PERIOD_START)),
        "planted_step_days": np.full(len(hh), STEP_DAYS, dtype=np.int32),
        "planted_da_high_rate": hh["planted_da_high_rate"],
        "planted_child_services_rate": hh["planted_child_services_rate"],
        "planted_exploitation_rate": hh["planted_exploitation_rate"],
    })


def interventions_truth(life: ChunkLife) -> pd.DataFrame:
    t = life.interventions
    hh = life.population.households
    return pd.DataFrame({
        "household_id": hh["household_id"].to_numpy()[t["household"].to_numpy()],
        "programme": t["programme"],
        "start_date": dates_or_null(t["start_day"].to_numpy()),
        "end_date": dates_or_null(t["end_day"].to_numpy()),
        "completed": t["completed"], "prior_events_12m": t["prior_events_12m"],
        "events_prevented": t["events_prevented"],
        "affected_event_types": "crime,asb,domestic_abuse",
        "rate_ratio": EARLY_HELP_RATE_RATIO,
    })


ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "crime": ("offence_group", "outcome"), "asb": ("category",),
    "domestic_abuse": ("dash_risk", "role_in_incident"),
    "missing_episode": ("found_oa_code", "found_location", "found_hour", "duration_hours"),
    "cin_referral": ("referral_source", "outcome"), "cp_plan": ("category",),
    "early_help": ("programme", "completed"), "homelessness": ("reason",),
    "school_attendance": ("attendance_pct", "term"),
    "exclusion": ("exclusion_type", "days"), "early_years": ("school_ready", "assessment"),
    "substance_misuse": ("substance", "treatment_outcome"),
    "ae_attendance": ("complaint", "alcohol_related"), "fire_incident": ("incident_type",),
    "probation": ("order_type",),
}


def attributes_json(events: pd.DataFrame) -> pd.Series:
    """The event's attributes as a JSON object, built with vectorised string operations."""
    result = pd.Series("{}", index=events.index, dtype=object)
    for event_type, names in ATTRIBUTES.items():
        mask = (events["event_type"] == event_type).to_numpy()
        if not mask.any():
            continue
        parts = []
        for name in names:
            values = events.loc[mask, name]
            key = "found_oa" if name == "found_oa_code" else name
            if values.dtype == object and isinstance(values.dropna().iloc[0] if
                                                     values.notna().any() else "", str):
                text = '"' + values.astype(str).str.replace('"', '\\"', regex=False) + '"'
            elif values.dtype == bool or name in ("completed", "school_ready", "alcohol_related"):
                text = values.map({True: "true", False: "false"}).fillna("null")
            else:
                text = values.astype(float).round(2).astype(str)
            parts.append(f'"{key}": ' + text.where(values.notna(), "null"))
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + ", " + part
        result[mask] = ("{" + joined + "}").to_numpy()
    return result
