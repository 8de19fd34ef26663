"""Financial years as the UK public sector writes them ("2015/16"), parsed from any common form."""

from __future__ import annotations

import re
from datetime import date

from odahub.errors import SpecError

_FORMS = re.compile(r"^\s*(\d{4})\s*(?:[/\-–_]\s*(\d{2}|\d{4}))?\s*f?\s*$")


def financial_year(value: object) -> str:
    """'2015-16', '2015/2016', '2015' or 2015 -> '2015/16' (the year starting 1 April 2015)."""
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    match = _FORMS.match(text)
    if match is None:
        raise SpecError(f"not a financial year: {value!r} (write it like 2015/16)")
    start = int(match.group(1))
    end = match.group(2)
    if end is not None and int(end[-2:]) != (start + 1) % 100:
        raise SpecError(f"not a financial year: {value!r} (the second year must follow the first)")
    return f"{start}/{(start + 1) % 100:02d}"


def start_year(year: str) -> int:
    return int(financial_year(year)[:4])


def of_date(day: date) -> str:
    """The financial year (April to March) a date falls in."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def shift(year: str, years: int) -> str:
    first = start_year(year) + years
    return f"{first}/{(first + 1) % 100:02d}"
