"""The county's geography: output areas on a grid, LSOAs, wards, postcodes and addresses.

Output areas are laid along a Morton (Z-order) curve over a lat/lon box, so consecutive OAs are
neighbours and LSOAs and wards built from runs of OAs are compact. Deprivation is a smooth field
over the box plus noise, ranked into IMD deciles per LSOA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from odahub.synth.identifiers import scramble
from odahub.synth.params import (
    ADDRESS_SPARE,
    HOUSEHOLDS_PER_OA,
    HOUSEHOLDS_PER_POSTCODE,
    LSOAS_PER_WARD,
    OAS_PER_LSOA,
)
from odahub.synth.pools import TOWNS, Pools

LAT_RANGE = (51.55, 52.05)
LON_RANGE = (0.10, 0.95)
POSTCODE_AREA = "OD"  # not a real postcode area, but valid in format
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward code
ADDRESSES_PER_OA = math.ceil(HOUSEHOLDS_PER_OA * (1 + ADDRESS_SPARE))
POSTCODES_PER_OA = math.ceil(ADDRESSES_PER_OA / HOUSEHOLDS_PER_POSTCODE)
OAS_PER_SECTOR = 32


@dataclass(frozen=True)
class Geography:
    oa_code: np.ndarray
    lsoa_of_oa: np.ndarray      # index into lsoa arrays
    ward_of_lsoa: np.ndarray
    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    imd_decile: np.ndarray      # per LSOA, 1 = most deprived
    ward_code: np.ndarray
    ward_name: np.ndarray
    cell: np.ndarray            # per OA: (lon0, lat0, lon1, lat1)
    postcode: np.ndarray        # per postcode
    postcode_lat: np.ndarray
    postcode_lon: np.ndarray
    address_uprn: np.ndarray    # per address
    address_line: np.ndarray
    address_town: np.ndarray

    @property
    def oa_count(self) -> int:
        return len(self.oa_code)

    def oa_imd(self) -> np.ndarray:
        result: np.ndarray = self.imd_decile[self.lsoa_of_oa]
        return result

    @staticmethod
    def postcode_of_address(address: np.ndarray) -> np.ndarray:
        oa, slot = np.divmod(address, ADDRESSES_PER_OA)
        result: np.ndarray = oa * POSTCODES_PER_OA + slot // HOUSEHOLDS_PER_POSTCODE
        return result

    @staticmethod
    def oa_of_address(address: np.ndarray) -> np.ndarray:
        return address // ADDRESSES_PER_OA


def morton_xy(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """De-interleave the bits of a Z-order index into grid coordinates."""
    x = np.zeros_like(index)
    y = np.zeros_like(index)
    for bit in range(16):
        x |= ((index >> (2 * bit)) & 1) << bit
        y |= ((index >> (2 * bit + 1)) & 1) << bit
    return x, y


def build_geography(households: int, seed: int, pools: Pools) -> Geography:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 999_001]))
    n_oa = max(1, math.ceil(households / HOUSEHOLDS_PER_OA))
    oa = np.arange(n_oa, dtype=np.int64)
    n_lsoa = math.ceil(n_oa / OAS_PER_LSOA)
    n_ward = math.ceil(n_lsoa / LSOAS_PER_WARD)
    cells = _cells(oa)
    centre_x = (cells[:, 0] + cells[:, 2]) / 2
    centre_y = (cells[:, 1] + cells[:, 3]) / 2
    lsoa_of_oa = oa // OAS_PER_LSOA
    imd = _imd_deciles(rng, lsoa_of_oa, n_lsoa, centre_x, centre_y)
    ward_of_lsoa = np.arange(n_lsoa) // LSOAS_PER_WARD
    town_of_ward = np.asarray(TOWNS, dtype=object)[(np.arange(n_ward) // 3) % len(TOWNS)]
    ward_name = np.asarray(
        [f"{town} {['North', 'South', 'East', 'West', 'Central', 'Park'][i % 6]}"
         + (f" {i // 60 + 1}" if i >= 60 else "") for i, town in enumerate(town_of_ward)],
        dtype=object)
    lsoa_name = np.asarray(
        [f"{town_of_ward[ward_of_lsoa[i]]} {i + 1:03d}A" for i in range(n_lsoa)], dtype=object)
    postcode, lat, lon = _postcodes(rng, n_oa, cells)
    uprn, line, town = _addresses(rng, n_oa, seed, pools, town_of_ward[ward_of_lsoa[lsoa_of_oa]])
    return Geography(
        oa_code=_codes("E00", oa), lsoa_of_oa=lsoa_of_oa, ward_of_lsoa=ward_of_lsoa,
        lsoa_code=_codes("E01", np.arange(n_lsoa)), lsoa_name=lsoa_name, imd_decile=imd,
        ward_code=_codes("E05", np.arange(n_ward)), ward_name=ward_name, cell=cells,
        postcode=postcode, postcode_lat=lat, postcode_lon=lon,
        address_uprn=uprn, address_line=line, address_town=town)


def _codes(prefix: str, index: np.ndarray) -> np.ndarray:
    return np.char.add(prefix, (900_001 + index).astype(str)).astype(object)


def _cells(oa: np.ndarray) -> np.ndarray:
    x, y = morton_xy(oa)
    side = 2 ** math.ceil(math.log2(max(2, int(max(x.max(), y.max())) + 1)))
    width = (LON_RANGE[1] - LON_RANGE[0]) / side
    height = (LAT_RANGE[1] - LAT_RANGE[0]) / side
    lon0 = LON_RANGE[0] + x * width
    lat0 = LAT_RANGE[0] + y * height
    return np.round(np.stack([lon0, lat0, lon0 + width, lat0 + height], axis=1), 6)


def _imd_deciles(rng: np.random.Generator, lsoa_of_oa: np.ndarray, n_lsoa: int,
                 x: np.ndarray, y: np.ndarray) -> np.ndarray:
    phase = rng.uniform(0, 2 * np.pi, 2)
    field = np.sin(9 * x + phase[0]) + np.cos(11 * y + phase[1])
    per_lsoa = np.bincount(lsoa_of_oa, weights=field, minlength=n_lsoa) / np.bincount(
        lsoa_of_oa, minlength=n_lsoa)
    score = per_lsoa + rng.normal(0, 0.7, n_lsoa)
    rank = np.argsort(np.argsort(score, kind="stable"), kind="stable")
    return (1 + (rank * 10) // n_lsoa).astype(np.int64)


def _postcodes(rng: np.random.Generator, n_oa: int,
               cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    index = np.arange(n_oa * POSTCODES_PER_OA)
    oa = index // POSTCODES_PER_OA
    district = 1 + oa // (OAS_PER_SECTOR * 10)
    sector = (oa // OAS_PER_SECTOR) % 10
    # Units within a sector: a shuffled list of the 400 letter pairs.
    unit_order = rng.permutation(len(UNIT_LETTERS) ** 2)
    within = index - (oa // OAS_PER_SECTOR) * OAS_PER_SECTOR * POSTCODES_PER_OA
    unit = unit_order[within]
    letters = np.asarray(list(UNIT_LETTERS))
    inward = np.char.add(np.char.add(sector.astype(str), letters[unit // len(UNIT_LETTERS)]),
                         letters[unit % len(UNIT_LETTERS)])
    outward = np.char.add(POSTCODE_AREA, district.astype(str))
    postcode = np.char.add(np.char.add(outward, " "), inward).astype(object)
    lon = cells[oa, 0] + rng.uniform(0.1, 0.9, len(index)) * (cells[oa, 2] - cells[oa, 0])
    lat = cells[oa, 1] + rng.uniform(0.1, 0.9, len(index)) * (cells[oa, 3] - cells[oa, 1])
    return postcode, np.round(lat, 6), np.round(lon, 6)


def _addresses(rng: np.random.Generator, n_oa: int, seed: int, pools: Pools,
               town_of_oa: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    index = np.arange(n_oa * ADDRESSES_PER_OA, dtype=np.int64)
    postcode = Geography.postcode_of_address(index)
    street = pools.streets[rng.integers(0, len(pools.streets), n_oa * POSTCODES_PER_OA)][postcode]
    # House numbers run along the street of the postcode, starting somewhere plausible.
    start = rng.integers(1, 120, n_oa * POSTCODES_PER_OA)[postcode]
    number = start + (index % ADDRESSES_PER_OA) % HOUSEHOLDS_PER_POSTCODE
    line = np.char.add(np.char.add(number.astype(str), " "), street.astype(str)).astype(object)
    uprn = (100_000_000_000 + scramble(index, 10**10, seed)).astype(str).astype(object)
    return uprn, line, town_of_oa[Geography.oa_of_address(index)]
