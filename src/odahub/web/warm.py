"""Build what every request reads before the first request arrives (ADR 0075).

The record index of each level (with its Arrow copies by surname and by person) and the sorted
copies that person views look up (households by person and by household, risk scores by their
entity) are built once per set of lake versions. Building them at start-up means no request
waits seconds for them; a new version committed later is still picked up on demand.
"""

from __future__ import annotations

import logging

from odahub.errors import OdahubError
from odahub.governance import LEVELS
from odahub.web.queries import risk
from odahub.web.serving import Serving

log = logging.getLogger(__name__)


def warm(serving: Serving) -> None:
    try:
        for level in LEVELS:
            serving.index.table(level)
        for column in ("person_id", "household_id"):
            serving.view.lookup("linked", "households", column, [""])
        for model in risk.models(serving):
            view = serving.view.table("marts", f"risk_{model}")
            if view is not None:
                entity = risk.entity_column(serving.view.columns(view))
                serving.view.lookup("marts", f"risk_{model}", entity, [""])
    except OdahubError as error:  # requests will meet the same problem and say so
        log.warning("could not prepare the serving caches: %s", error)
