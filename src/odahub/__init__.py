"""odahub: an open-source Office of Data Analytics hub."""

from __future__ import annotations

__version__ = "0.1.0"
