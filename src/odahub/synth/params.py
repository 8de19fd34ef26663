"""Parameters of the synthetic county: the period, chunking, and the error rates of feeds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date

import numpy as np

from odahub.errors import ConfigError

# The county lives through six calendar years; models observe the first part and are scored
# on what happens in the outcome window.
PERIOD_START = date(2020, 1, 1)
PERIOD_END = date(2025, 12, 31)
OUTCOME_START = date(2024, 7, 1)
EPOCH = np.datetime64(PERIOD_START.isoformat(), "D")
PERIOD_DAYS = (PERIOD_END - PERIOD_START).days + 1
OUTCOME_DAY = (OUTCOME_START - PERIOD_START).days
# Latent risk changes over time on a grid of steps (synth/dynamics.py); processes run a burn-in
# before the period so the county starts in a steady state.
STEP_DAYS = 91
STEPS = -(-PERIOD_DAYS // STEP_DAYS)
BURN_IN_STEPS = 16

# Households are generated and written in chunks so memory stays flat at any county size;
# every chunk draws from its own seeded stream, so output does not depend on timing.
CHUNK_HOUSEHOLDS = 10_000
HOUSEHOLDS_PER_POSTCODE = 15
HOUSEHOLDS_PER_OA = 125
OAS_PER_LSOA = 5
LSOAS_PER_WARD = 4
# Spare addresses (empty homes) so households can move and separating partners find a home.
ADDRESS_SPARE = 0.35

# Planted effect of the early-help programme: the rate of police call-outs (crime, ASB,
# domestic abuse) of a treated household after its start, relative to without it.
EARLY_HELP_RATE_RATIO = 0.70


@dataclass(frozen=True)
class ErrorRates:
    """Probability of each error, per eligible record (or field) of a feed.

    A field is eligible when the feed carries it (a feed without postcodes has no postcode
    errors); `stale_address` only applies where the household has an earlier address, and
    `surname_change` only to persons who changed surname (both are measured on those).
    """

    typo: float = 0.03             # one edit in a first or last name
    nickname: float = 0.05         # Robert -> Bob, where a nickname exists
    surname_change: float = 0.30   # a record after marriage still carries the old surname
    dob_transposed: float = 0.01   # day and month swapped (when the day is <= 12)
    postcode_missing: float = 0.03
    postcode_partial: float = 0.02  # only the outward code ("OD3")
    stale_address: float = 0.10    # previous address of a household that moved
    duplicate: float = 0.02        # the same record delivered twice with a new id
    date_format: float = 0.02      # a date in another format than the feed's usual one
    malformed: float = 0.003       # ragged rows, impossible dates

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"error rate {item.name} must be between 0 and 1, got {value}")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def names(cls) -> list[str]:
        return [item.name for item in fields(cls)]

    @classmethod
    def parse(cls, pairs: list[str]) -> ErrorRates:
        """Build from NAME=VALUE strings (the CLI's `--error-rate`)."""
        values: dict[str, float] = {}
        for pair in pairs:
            name, _, raw = pair.partition("=")
            if name not in cls.names():
                raise ConfigError(f"unknown error rate {name!r}; one of {', '.join(cls.names())}")
            try:
                values[name] = float(raw)
            except ValueError:
                raise ConfigError(f"error rate {name} needs a number, got {raw!r}") from None
        return cls(**values)

    @classmethod
    def none(cls) -> ErrorRates:
        return cls(**dict.fromkeys(cls.names(), 0.0))


def chunk_rng(seed: int, chunk: int, stream: int) -> np.random.Generator:
    """An independent random stream per (seed, chunk, purpose)."""
    return np.random.default_rng(np.random.SeedSequence([seed, chunk, stream]))
