"""Realistic errors in partner records, at configured rates, with a log of each one applied.

Errors are applied to the clean canonical columns (first_name, surname, dob, postcode, address)
before a feed renames and formats them; date-format and malformed-row errors are flagged here
(`_alt_date`, `_malformed`) and carried out by the formatting and the writers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from odahub.synth.params import ErrorRates
from odahub.synth.pools import nicknames

LETTERS = np.asarray(list("abcdefghijklmnopqrstuvwxyz"))


def corrupt(rng: np.random.Generator, frame: pd.DataFrame, fields: frozenset[str],
            rates: ErrorRates, dataset: str, dated: bool, can_malform: bool,
            next_id: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply errors to the `fields` a feed carries; returns (records, error log)."""
    log: list[pd.DataFrame] = []
    frame = frame.copy()
    n = len(frame)

    def record(mask: np.ndarray, field: str, error: str, clean: object, value: object) -> None:
        if mask.any():
            log.append(pd.DataFrame({
                "record_id": frame["record_id"].to_numpy()[mask], "field": field,
                "error": error, "clean_value": _text(np.asarray(clean, dtype=object)[mask]),
                "value": _text(np.asarray(value, dtype=object)[mask])}))

    if "first_name" in fields:
        clean = frame["first_name"].to_numpy()
        table = nicknames()
        options = pd.Series(clean).map(table)
        has = options.notna().to_numpy()
        mask = has & (rng.random(n) < rates.nickname)
        chosen = [names[int(i) % len(names)] for names, i in
                  zip(options[mask], rng.integers(0, 4, int(mask.sum())), strict=True)]
        value = clean.copy()
        value[mask] = chosen
        record(mask, "first_name", "nickname", clean, value)
        frame["first_name"] = value
    for field in ("first_name", "surname"):
        if field in fields:
            clean = frame[field].to_numpy()
            mask = pd.notna(clean) & (rng.random(n) < rates.typo / 2)
            value = clean.copy()
            value[mask] = [typo(rng, str(name)) for name in clean[mask]]
            record(mask, field, "typo", clean, value)
            frame[field] = value
    if "surname" in fields:
        clean = frame["surname"].to_numpy()
        old = frame["old_surname"].to_numpy()
        mask = pd.notna(old) & (rng.random(n) < rates.surname_change)
        value = np.where(mask, old, clean)
        record(mask, "surname", "surname_change", clean, value)
        frame["surname"] = value
    if "dob" in fields:
        dob = pd.DatetimeIndex(frame["dob"])
        can = (dob.day <= 12) & (dob.day != dob.month)
        mask = np.asarray(can) & (rng.random(n) < rates.dob_transposed)
        swapped = pd.to_datetime(pd.DataFrame({"year": dob.year, "month": np.where(
            mask, dob.day, dob.month), "day": np.where(mask, dob.month, dob.day)}))
        record(mask, "dob", "dob_transposed", dob.strftime("%Y-%m-%d"),
               swapped.dt.strftime("%Y-%m-%d"))
        frame["dob"] = swapped.to_numpy()
    if "address" in fields:
        stale = frame["old_address"].notna().to_numpy() & (rng.random(n) < rates.stale_address)
        record(stale, "address", "stale_address", frame["address"], frame["old_address"])
        for column in ("address", "postcode", "uprn"):
            frame[column] = np.where(stale, frame["old_" + column], frame[column])
    if "postcode" in fields:
        clean = frame["postcode"].to_numpy()
        u = rng.random(n)
        missing = pd.notna(clean) & (u < rates.postcode_missing)
        partial = pd.notna(clean) & ~missing & (u < rates.postcode_missing + rates.postcode_partial)
        value = clean.copy()
        value[partial] = [str(code).split(" ")[0] for code in clean[partial]]
        value[missing] = None
        record(missing, "postcode", "postcode_missing", clean, value)
        record(partial, "postcode", "postcode_partial", clean, value)
        frame["postcode"] = value
    frame["_alt_date"] = dated & (rng.random(n) < rates.date_format)
    frame["_malformed"] = can_malform & (rng.random(n) < rates.malformed)
    record(frame["_alt_date"].to_numpy(), "date", "date_format", frame["record_id"],
           frame["record_id"])
    record(frame["_malformed"].to_numpy(), "row", "malformed", frame["record_id"],
           frame["record_id"])
    frame, duplicates = duplicate(rng, frame, rates.duplicate, next_id)
    if len(duplicates):
        log.append(duplicates)
    errors = pd.concat(log, ignore_index=True) if log else empty_log()
    errors.insert(0, "dataset", dataset)
    return frame, errors


def duplicate(rng: np.random.Generator, frame: pd.DataFrame, rate: float,
              next_id: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Some records delivered twice, each copy with a new id, right after the original."""
    mask = rng.random(len(frame)) < rate
    source = np.flatnonzero(mask)
    # Positions: every row once, the duplicated ones a second time straight after.
    order = np.sort(np.concatenate([np.arange(len(frame)), source]), kind="stable")
    is_copy = np.zeros(len(order), dtype=bool)
    is_copy[np.searchsorted(order, source, side="right") - 1] = True
    combined = frame.iloc[order].reset_index(drop=True)
    original = frame["record_id"].to_numpy()[source]
    new_ids: np.ndarray = np.empty(len(source), dtype=object)
    new_ids[:] = next_id(len(source))  # type: ignore[operator]
    record_id = combined["record_id"].to_numpy().copy()
    record_id[is_copy] = new_ids
    combined["record_id"] = record_id
    for column in ("_malformed", "_alt_date"):
        combined[column] = combined[column].to_numpy() & ~is_copy
    log = pd.DataFrame({"record_id": new_ids, "field": "row", "error": "duplicate",
                        "clean_value": _text(original), "value": _text(new_ids)})
    return combined, log


def typo(rng: np.random.Generator, name: str) -> str:
    """One keyboard-style edit: substitute, delete, insert or swap neighbours."""
    if len(name) < 3:
        return name + str(LETTERS[rng.integers(0, 26)])
    i = int(rng.integers(1, len(name) - 1))
    kind = int(rng.integers(0, 4))
    letter = str(LETTERS[rng.integers(0, 26)])
    if kind == 0:
        edited = name[:i] + letter + name[i + 1:]
    elif kind == 1:
        edited = name[:i] + name[i + 1:]
    elif kind == 2:
        edited = name[:i] + letter + name[i:]
    else:
        edited = name[:i - 1] + name[i] + name[i - 1] + name[i + 1:]
    return edited if edited != name else name + letter


def _text(values: object) -> np.ndarray:
    series = pd.Series(np.asarray(values, dtype=object))
    result: np.ndarray = series.where(series.isna(), series.astype(str)).to_numpy()
    return result


def empty_log() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in
                         ("record_id", "field", "error", "clean_value", "value")})
