"""Every feed of the county, in a fixed order."""

from __future__ import annotations

from odahub.synth.feeds import council, education, health, others, police
from odahub.synth.feeds.base import Feed

FEEDS: list[Feed] = [*police.FEEDS, *council.FEEDS, *education.FEEDS, *health.FEEDS,
                     *others.FEEDS]
