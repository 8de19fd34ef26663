"""What a feed is: its partner, format, spec, and how its records are laid out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from odahub.synth.identifiers import or_none

Build = Callable[[pd.DataFrame, bool], pd.DataFrame]


@dataclass(frozen=True)
class Feed:
    """One partner dataset. `build` turns corrupted canonical records into the partner's columns
    (first column the record id); `columns` is the spec's mapping of those columns."""

    dataset: str
    partner: str
    format: str
    file: str                       # file name inside feeds/<dataset>/
    record_id: str
    event_type: str | None
    description: str
    columns: dict[str, dict[str, Any]]
    build: Build
    sources: tuple[str, ...] = ()   # true event types feeding it; () = the population spine
    fields: frozenset[str] = frozenset()  # canonical fields that can carry errors
    options: dict[str, Any] = field(default_factory=dict)  # declared in the spec
    layout: dict[str, Any] = field(default_factory=dict)   # how the file is really written
    id_prefix: str = "R"
    retention_days: int = 2555
    dated: bool = True              # has text dates that can come in another format
    sample: float = 1.0             # share of true events the partner records

    def option(self, name: str, default: Any = None) -> Any:
        return self.layout.get(name, self.options.get(name, default))


def fmt_dates(values: pd.Series | np.ndarray, fmt: str, alt: np.ndarray | None = None,
              broken: np.ndarray | None = None) -> np.ndarray:
    """Dates as text in the feed's format; `alt` rows in another, `broken` rows impossible."""
    dates = pd.DatetimeIndex(pd.Series(values))
    text = np.asarray(dates.strftime(fmt), dtype=object)
    if alt is not None and alt.any():
        other = "%Y-%m-%d" if not fmt.startswith("%Y-%m-%d") else "%d/%m/%Y"
        text = np.where(alt, np.asarray(dates.strftime(other), dtype=object), text)
    if broken is not None and broken.any():
        impossible = fmt.replace("%d", "31").replace("%m", "02").replace("%H", "25")
        text = np.where(broken, np.asarray(dates.strftime(impossible), dtype=object), text)
    return or_none(~np.asarray(dates.isna()), text)


def maybe(rng_values: np.ndarray, present: float, values: np.ndarray) -> np.ndarray:
    """Values that a partner only records some of the time (None elsewhere)."""
    return or_none(rng_values < present, values)


def flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    result: np.ndarray = frame[name].to_numpy(dtype=bool)
    return result


def upper_first(values: pd.Series) -> np.ndarray:
    result: np.ndarray = values.fillna("").str.upper().replace("", None).to_numpy()
    return result
