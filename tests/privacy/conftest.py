"""Privacy tests on the session's synthetic county need the synth stage's generator."""

from __future__ import annotations

import pytest

import odahub.synth


@pytest.fixture(scope="session")
def county_ready() -> None:
    if not hasattr(odahub.synth, "generate_county"):
        pytest.skip("odahub.synth.generate_county is not built yet (LOUD SKIP)")
