"""The privacy step of `odahub demo` / the pipeline: pseudonymise every ingested dataset."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from odahub.hub import Hub
from odahub.lake import turns
from odahub.privacy.domains import DEFAULT_DOMAIN, active_key, domain_from_env
from odahub.privacy.pseudonymise import (
    Outcome,
    is_current,
    known_names,
    pseudonymise,
    reference_postcodes,
)
from odahub.privacy.tokens import hmac_hex


@turns.stage_run
def pseudonymise_all(hub: Hub, domain: str = DEFAULT_DOMAIN, *, force: bool = False,
                     datasets: list[str] | None = None) -> list[Outcome]:
    """Every dataset's latest identified version not yet pseudonymised under the active key."""
    hmac_hex(pa.array(["warm-up"]), bytes(32))  # load the compiled kernel outside the timings
    postcodes = reference_postcodes(hub)
    names = datasets if datasets is not None else hub.lake.tables("identified")
    known: frozenset[str] | None = None
    outcomes: list[Outcome] = []
    for name in names:
        if known is None and not is_current_dataset(hub, name, domain, force):
            known = known_names(hub)  # only when some dataset needs redacting
        outcomes.append(pseudonymise(hub, name, domain, force=force, postcodes=postcodes,
                                     names_known=known or frozenset()))
    return outcomes


def is_current_dataset(hub: Hub, name: str, domain: str, force: bool) -> bool:
    if force:
        return False
    key_id, _key = active_key(hub, domain)
    return is_current(hub, name, hub.lake.require_latest("identified", name), key_id)


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    tokens = sum(o.tokens for o in outcomes)
    token_seconds = sum(o.token_seconds for o in outcomes)
    return {
        "datasets": len(outcomes),
        "pseudonymised": sum(1 for o in outcomes if not o.skipped),
        "skipped": sum(1 for o in outcomes if o.skipped),
        "rows": sum(o.rows for o in outcomes),
        "tokens": tokens,
        "tokens_per_s": round(tokens / token_seconds) if token_seconds > 0 else 0,
        "texts_redacted": sum(o.texts for o in outcomes),
        "redact_seconds": round(sum(o.redact_seconds for o in outcomes), 2),
    }


def run(hub: Hub, state: Any) -> dict[str, Any]:
    domain = getattr(state, "linkage_domain", None) or domain_from_env()
    return summary(pseudonymise_all(hub, domain))
