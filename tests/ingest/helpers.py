"""Small feeds written by the tests themselves (the synthetic county has its own test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from odahub.hub import Hub
from odahub.ingest.feeds import add_feed
from odahub.ingest.spec import FeedSpec, parse_spec

SPEC = """\
dataset: police_incidents
partner: police
format: csv
record_id: incident_ref
event_type: crime
description: "Crimes and incidents recorded by the force"
retention_days: 2555
columns:
  forename: {role: first_name}
  surname: {role: last_name}
  dob: {role: date_of_birth, format: "%d/%m/%Y"}
  postcode: {role: postcode}
  nhs: {role: nhs_number}
  offence_date: {role: event_date}
  outcome: {attribute: outcome}
  status: {type: string}
"""
HEADER = "incident_ref,forename,surname,dob,postcode,nhs,offence_date,outcome,status\n"
GOOD_ROWS = [
    "I1,Mr John,O'Brien-Smith,01/02/1980,sw1a1aa,943 476 5919,05/06/2020,charged,open\n",
    "I2,  jane ,smith,31/12/1975,CB2 1TN,,06/06/2020,,closed\n",
    "I3,Ann,Lee,02/03/1990,CB21TN,9434765918,07/06/2020,nfa,open\n",
]
BAD_DATE_ROW = "I4,Bob,Hughes,31/02/1980,CB2 1TN,,08/06/2020,,open\n"


def spec(text: str = SPEC) -> FeedSpec:
    return parse_spec(text, "test.yaml")


def register(hub: Hub, text: str = SPEC) -> FeedSpec:
    feed_spec = spec(text)
    add_feed(hub, feed_spec)
    return feed_spec


def write_csv(path: Path, rows: list[str] | None = None, header: str = HEADER,
              encoding: str = "utf-8") -> Path:
    path.write_bytes((header + "".join(GOOD_ROWS if rows is None else rows)).encode(encoding))
    return path


def odahub(home: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ODAHUB_HOME": str(home), "COLUMNS": "200"}
    env.pop("ODAHUB_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "odahub.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
