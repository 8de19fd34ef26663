"""Value pools built once per county: names (from Faker's en_GB lists), streets, towns, nicknames.

Persons draw from these pools with numpy, never with one Faker call each, so a million persons
take seconds and the draw depends only on the seed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from faker import Faker
from faker.providers.person.en_GB import Provider as PersonProvider

DATA = Path(__file__).parent / "data"

# A few names outside ASCII so that encodings matter (all representable in cp1252).
ACCENTED_FEMALE = ("Zoë", "Siân", "Chloë", "Renée", "Anaïs", "Noémie")
ACCENTED_MALE = ("Seán", "José", "Björn", "Søren", "Rónán", "Élie")
ACCENTED_SURNAMES = ("O'Brien", "D'Souza", "Smith-Jones", "Núñez", "Müller", "Gómez")
TOWNS = ("Oddington", "Haleford", "Brackenbury", "Marlow Green", "Eastwick St Mary",
         "Thornham", "Little Sefton", "Ashby Cross", "Kingsmead", "Wetherden")
STREET_SUFFIXES = ("Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Crescent",
                   "Gardens", "Court", "Place", "Grove")


@dataclass(frozen=True)
class Pools:
    female: np.ndarray
    female_p: np.ndarray
    male: np.ndarray
    male_p: np.ndarray
    surnames: np.ndarray
    surname_p: np.ndarray
    streets: np.ndarray

    def draw_first(self, rng: np.random.Generator, is_female: np.ndarray) -> np.ndarray:
        n = len(is_female)
        women = rng.choice(self.female, size=n, p=self.female_p)
        men = rng.choice(self.male, size=n, p=self.male_p)
        return np.where(is_female, women, men)

    def draw_surname(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(self.surnames, size=n, p=self.surname_p)


def _weighted(names: list[str], weights: list[float]) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(weights, dtype=float)
    return np.asarray(names, dtype=object), p / p.sum()


def _first_names(base: tuple[str, ...], accented: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    names = sorted(set(base))
    # Popular names first in Faker's list: a Zipf-like weight gives realistic repetition.
    weights = [1.0 / (1 + i) ** 0.6 for i in range(len(names))]
    extra = [0.004 * sum(weights)] * len(accented)
    return _weighted([*names, *accented], [*weights, *extra])


@cache
def build_pools(seed: int) -> Pools:
    female, female_p = _first_names(PersonProvider.first_names_female, ACCENTED_FEMALE)
    male, male_p = _first_names(PersonProvider.first_names_male, ACCENTED_MALE)
    last = dict(PersonProvider.last_names)
    surnames, surname_p = _weighted(
        [*sorted(last), *ACCENTED_SURNAMES],
        [*(last[name] for name in sorted(last)), *([0.02] * len(ACCENTED_SURNAMES))])
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    stems = sorted({faker.last_name() for _ in range(600)}
                   | {faker.first_name() for _ in range(200)})
    suffix_rng = np.random.default_rng(seed)
    streets = np.asarray(
        [f"{stem} {STREET_SUFFIXES[int(i)]}" for stem, i in
         zip(stems, suffix_rng.integers(0, len(STREET_SUFFIXES), len(stems)), strict=True)],
        dtype=object)
    return Pools(female, female_p, male, male_p, surnames, surname_p, streets)


@cache
def nicknames() -> dict[str, tuple[str, ...]]:
    """Formal name -> its common nicknames (our own small table, data/nicknames.csv)."""
    table: dict[str, list[str]] = {}
    with (DATA / "nicknames.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            table.setdefault(row["name"], []).append(row["nickname"])
    return {name: tuple(values) for name, values in sorted(table.items())}
