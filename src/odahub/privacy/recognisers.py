"""Presidio recognisers for UK case notes, pattern mode only (no NLP model needed).

Presidio ships the UK check-digit and format recognisers (NHS, NI number, postcode, vehicle
registration) switched off by default; we switch them on and add the patterns it lacks: UK phone
formats, dates of birth as people write them, street addresses, and titled names.
"""

from __future__ import annotations

import re
import unicodedata

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import (
    NhsRecognizer,
    PhoneRecognizer,
    UkNinoRecognizer,
    UkPostcodeRecognizer,
    UkVehicleRegistrationRecognizer,
)

# Presidio entity → the typed placeholder left in the text.
PLACEHOLDERS = {
    "PERSON": "<PERSON>",
    "DOB": "<DOB>",
    "ADDRESS": "<ADDRESS>",
    "UK_POSTCODE": "<POSTCODE>",
    "PHONE_NUMBER": "<PHONE>",
    "EMAIL_ADDRESS": "<EMAIL>",
    "UK_NHS": "<NHS_NUMBER>",
    "UK_NINO": "<NI_NUMBER>",
    "UK_VEHICLE_REGISTRATION": "<VEHICLE>",
}

MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
NUMERIC_MONTH = r"(?:0?[1-9]|1[0-2])"
YEAR = r"(?:19|20)[0-9]{2}"

DATE_PATTERNS = [
    Pattern("d/m/y", rf"\b{DAY}[/.\-]{NUMERIC_MONTH}[/.\-](?:{YEAR}|[0-9]{{2}})\b", 0.6),
    Pattern("iso", rf"\b{YEAR}-{NUMERIC_MONTH}-{DAY}\b", 0.6),
    Pattern("d month y", rf"\b{DAY}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTHS}\.?,?\s+{YEAR}\b", 0.6),
    Pattern("month d, y", rf"\b{MONTHS}\.?\s+{DAY}(?:st|nd|rd|th)?,?\s+{YEAR}\b", 0.6),
]

STREET_TYPES = (r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Cl|Drive|Dr|Way|Court|Ct"
                r"|Crescent|Cres|Place|Pl|Gardens|Gdns|Grove|Gr|Terrace|Hill|Park|View|Walk"
                r"|Row|Square|Sq|Mews|Rise|Green|Parade|Meadows?|Fields?|Chase|Gate|Wharf)")
ADDRESS_PATTERNS = [
    Pattern("house number and street",
            rf"\b(?:(?:Flat|Apartment|Unit)\s+[0-9]+[A-Za-z]?,?\s+)?[0-9]{{1,4}}[A-Za-z]?,?\s+"
            rf"(?:[A-Z][A-Za-z'\-]+\s+){{1,3}}{STREET_TYPES}\b(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?"
            rf"(?=,|\s+[A-Z]{{1,2}}[0-9]))?", 0.6),
    Pattern("named house on street",
            rf"\b(?:[A-Z][A-Za-z'\-]+\s+){{1,3}}{STREET_TYPES}(?=,\s*[A-Z]{{1,2}}[0-9])", 0.5),
]

PHONE_PATTERNS = [
    Pattern("uk mobile", r"(?<![0-9])(?:\+44\s?7[0-9]{3}|\(?07[0-9]{3}\)?)[\s\-]?[0-9]{3}"
            r"[\s\-]?[0-9]{3}(?![0-9])", 0.6),
    Pattern("uk landline", r"(?<![0-9])(?:\+44\s?\(?0?\)?|\(?0)[1-3][0-9]{2,4}\)?[\s\-]?"
            r"[0-9]{3,4}[\s\-]?[0-9]{3,4}(?![0-9])", 0.5),
]

# Street and title patterns rely on capitals, so they match case-sensitively.
CASE_SENSITIVE = re.DOTALL | re.MULTILINE
# Presidio's postcode pattern keeps to the Royal Mail letter rules; real records (and synthetic
# ones) break them, so we also accept any outward code + inward code shape.
POSTCODE_PATTERNS = [
    Pattern("postcode shape", r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s?[0-9][A-Z]{2}\b", 0.5)]
# Presidio's NI pattern excludes prefixes HMRC never issues; records still carry them (typos,
# temporary numbers), so the shape alone is redacted too, in any case, grouped by spaces or
# dashes (QQ123456C, QQ 12 34 56 C, QQ 123456 C, qq-12-34-56-c).
NINO_PATTERNS = [Pattern(
    "ni number shape",
    r"\b[A-Z]{2}[\s\-]?[0-9]{2}[\s\-]?[0-9]{2}[\s\-]?[0-9]{2}[\s\-]?[A-D]\b", 0.5)]
# Presidio's EmailRecognizer validates domains with tldextract, which fetches the public suffix
# list over the network; a plain pattern needs nothing.
EMAIL_PATTERNS = [Pattern("email", r"\b[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b", 0.6)]
TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Master)"
TITLED_NAME = [Pattern(
    "titled name", rf"\b{TITLES}\.?\s+[A-Z][a-zA-Z'\-]+(?:\s+[A-Z][a-zA-Z'\-]+)?", 0.6)]


# A date is taken for a date of birth unless the words right before it say it is when something
# happened: "Date of visit: 3 May 2021", "seen on 3/5/2021", "meeting dated 3 May 2021". Event
# dates are in the pseudonymised zone's structured columns anyway, and analysts need them in notes.
# Only a cue touching the date counts ("Visited Amy Shaw, 01/08/2013" keeps its date redacted).
EVENT_CUES = (r"visit(?:ed|s)?|seen|dated|meeting|review(?:ed)?|attended|appointment"
              r"|referr(?:al|ed)|incident|conference|hearing|discussion|assessment|call(?:ed)?"
              r"|contact(?:ed)?|received|held")
EVENT_CUE = re.compile(rf"\b(?:{EVENT_CUES})(?:\s+(?:on|of))?\s*[:\-]?\s*$", re.IGNORECASE)
CUE_WINDOW = 30  # characters before a date searched for its cue


def event_date(text: str, start: int) -> bool:
    """Whether the date starting at `start` directly follows an event cue."""
    return EVENT_CUE.search(text, max(0, start - CUE_WINDOW), start) is not None


def pattern_recognisers() -> list[EntityRecognizer]:
    """Every recogniser the redactor runs on every text (the record's names come per call)."""
    return [
        NhsRecognizer(),
        UkNinoRecognizer(),
        UkPostcodeRecognizer(),
        UkVehicleRegistrationRecognizer(),
        PatternRecognizer("UK_POSTCODE", name="PostcodeShapeRecogniser",
                          patterns=POSTCODE_PATTERNS),
        PatternRecognizer("UK_NINO", name="NinoShapeRecogniser", patterns=NINO_PATTERNS),
        PatternRecognizer("EMAIL_ADDRESS", name="EmailPatternRecogniser", patterns=EMAIL_PATTERNS),
        PhoneRecognizer(supported_regions=("GB",), context=["phone", "tel", "mobile"]),
        PatternRecognizer("PHONE_NUMBER", name="UkPhoneRecogniser", patterns=PHONE_PATTERNS),
        PatternRecognizer("DOB", name="DateOfBirthRecogniser", patterns=DATE_PATTERNS),
        PatternRecognizer("ADDRESS", name="StreetAddressRecogniser", patterns=ADDRESS_PATTERNS,
                          global_regex_flags=CASE_SENSITIVE),
        PatternRecognizer("PERSON", name="TitledNameRecogniser", patterns=TITLED_NAME,
                          global_regex_flags=CASE_SENSITIVE),
    ]


def names_recogniser(names: list[str]) -> PatternRecognizer | None:
    """A deny list of this record's own subject and household names (whole words, any case)."""
    words = sorted({n.strip() for n in names if n and len(n.strip()) > 1}, key=len, reverse=True)
    if not words:
        return None
    return PatternRecognizer("PERSON", name="RecordNamesRecogniser", deny_list=words,
                             deny_list_score=0.9)


WORD = re.compile(r"(?<![\w'\-])[^\W\d_][\w'\-]+")


def fold(word: str) -> str:
    """Upper case without accents: "Siân" and a standardised "SIAN" meet."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.upper())
                   if not unicodedata.combining(c))


class GazetteerRecogniser(EntityRecognizer):  # type: ignore[misc]
    """Capitalised words that are names the hub holds (from every identified name column).

    Notes often name people without a title or a structured field (a document feed has none);
    the hub already knows the county's names, so a set lookup per capitalised word finds them
    without an NLP model, in time linear in the text.
    """

    def __init__(self, names: frozenset[str]) -> None:
        super().__init__(supported_entities=["PERSON"], name="NameGazetteerRecogniser",
                         supported_language="en")
        self.names = names

    def load(self) -> None:
        """Nothing to load: the names are given."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None
                ) -> list[RecognizerResult]:
        words = [m for m in WORD.finditer(text) if m.group()[0].isupper()]
        known = [fold(m.group()) in self.names for m in words]
        rare: frozenset[str] = getattr(self.names, "rare", frozenset())
        found = []
        for i, m in enumerate(words):
            if known[i] or (fold(m.group()) in rare and self._beside_a_name(text, words, known, i)):
                found.append(RecognizerResult("PERSON", m.start(), m.end(), 0.7))
        return found

    @staticmethod
    def _beside_a_name(text: str, words: list[re.Match[str]], known: list[bool],
                       i: int) -> bool:
        """A rare name counts only next to a known one, one space apart: "Beverley Armstrong"."""
        before = i > 0 and known[i - 1] and text[words[i - 1].end():words[i].start()] == " "
        after = (i + 1 < len(words) and known[i + 1]
                 and text[words[i].end():words[i + 1].start()] == " ")
        return bool(before or after)
