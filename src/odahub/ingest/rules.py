"""Standardisation rules per value kind, as SQL expressions (DuckDB dialect, engine-neutral).

Each rule gives the standardised value, the problems that send a row to quarantine and the
flags that null a bad optional value but keep the row (contracts.md, "Standardised values").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from odahub.engine.sqltext import identifier as ident
from odahub.engine.sqltext import literal as lit

TITLES = "MR|MRS|MS|MISS|MX|DR|PROF|REV|SIR|DAME|LADY|LORD|MASTER"
POSTCODE = "[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}"
NI_NUMBER = "[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]"
EARLIEST = "DATE '1900-01-01'"
ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@dataclass
class Rule:
    """SQL for one output column from one source column (`raw` is the cleaned source text)."""

    value: str
    problems: list[tuple[str, str]] = field(default_factory=list)  # (condition, reason)
    flags: list[tuple[str, str]] = field(default_factory=list)  # (condition, flag)
    # Sub-expressions used several times; the plan computes each once, in an earlier layer.
    derived: list[str] = field(default_factory=list)


def cleaned(column: str) -> str:
    """Trimmed text, empty as NULL. DuckDB's `trim` (it removes spaces, ASCII 32 and Unicode's
    other space separators) is costly on every value, so it only runs where a value is not
    plain: plain means all ASCII (byte length = character length), first byte above a space
    (so not empty) and no space at the end. Trim leaves such a value unchanged (the only
    ASCII space separator is ASCII 32), so it passes through as is (ADR 0084)."""
    text = f"CAST({ident(column)} AS VARCHAR)"
    plain = f"{text} >= '!' AND NOT suffix({text}, ' ') AND strlen({text}) = length({text})"
    return f"CASE WHEN {plain} THEN {text} ELSE NULLIF(trim({text}), '') END"


def name_rule(raw: str, strip_titles: bool, untrimmed: str | None = None) -> Rule:
    """`untrimmed`, if given, is the source text before `cleaned()`: the fast path reads it
    (a one-word match has nothing to trim), so `raw` is only computed for the other rows."""
    text = f"upper(replace({raw}, '’', ''''))"
    # One pass: any run of characters other than letters, hyphens, apostrophes -> one space.
    text = f"trim(regexp_replace({text}, '[^\\pL\\-'']+', ' ', 'g'))"
    if strip_titles:
        text = f"trim(regexp_replace({text}, '^(({TITLES}) )+', ''))"
    # Most names are one word of letters, hyphens and apostrophes: one cheap match, and upper
    # case is all they need (the same result as the full cleaning above, far less work).
    word = untrimmed or raw
    plain = f"regexp_full_match({word}, '[\\pL\\-'']+')"
    return Rule(f"CASE WHEN {plain} THEN upper({word}) ELSE NULLIF({text}, '') END")


def full_name_rule(raw: str) -> tuple[Rule, Rule, Rule]:
    """'SMITH, John' and 'Mr John Smith' both give JOHN SMITH, then first and last names."""
    ordered = (f"CASE WHEN contains({raw}, ',') THEN split_part({raw}, ',', 2) || ' ' || "
               f"split_part({raw}, ',', 1) ELSE {raw} END")
    full = name_rule(ordered, strip_titles=True).value
    first = f"CASE WHEN contains({full}, ' ') THEN split_part({full}, ' ', 1) END"
    last = f"regexp_extract({full}, '([^ ]+)$', 1)"
    return Rule(full), Rule(first), Rule(f"NULLIF({last}, '')")


def date_value(raw: str, formats: list[str]) -> str:
    listed = ", ".join(lit(f) for f in dict.fromkeys([*formats, *ISO_FORMATS]))
    return f"CAST(try_strptime({raw}, [{listed}]) AS DATE)"


def date_rule(raw: str, formats: list[str], column: str, birth: bool,
              untrimmed: str | None = None) -> Rule:
    """`untrimmed`, if given, is the source text before `cleaned()`: strptime skips ASCII
    spaces at either end, so a date it parses is the trimmed text's date, and `raw` is only
    computed where it does not parse."""
    value = date_value(raw, formats)
    if untrimmed is not None:
        value = f"coalesce({date_value(untrimmed, formats)}, {value})"
    expected = formats[0] if len(formats) == 1 else "a recognised date format"
    problems = [
        (f"CASE WHEN {value} IS NULL THEN {raw} IS NOT NULL ELSE false END",
         f"{column}: not a valid date (expected {expected})"),
        (f"{value} > current_date", f"{column}: date is in the future"),
        (f"{value} < {EARLIEST}", f"{column}: implausible date (before 1900)"),
    ]
    if birth:
        problems.append((f"{value} < current_date - INTERVAL 120 YEAR",
                         f"{column}: implausible date of birth (over 120 years ago)"))
    return Rule(value, problems)


def sex_rule(raw: str) -> Rule:
    code = f"upper({raw})"
    return Rule(f"CASE WHEN {raw} IS NULL THEN NULL "
                f"WHEN {code} IN ('M', 'MALE', '1', 'MAN', 'BOY') THEN 'M' "
                f"WHEN {code} IN ('F', 'FEMALE', '2', 'WOMAN', 'GIRL') THEN 'F' ELSE 'U' END")


def checked(value: str, valid: str, raw: str, flag: str, derived: str | None = None) -> Rule:
    """A value that must pass `valid`, else null and flagged (the row is kept)."""
    checked_value = f"CASE WHEN {valid} THEN {value} END"
    # Written in terms of the value, so the plan can compute it once and refer to it.
    return Rule(checked_value, flags=[(f"{raw} IS NOT NULL AND {checked_value} IS NULL", flag)],
                derived=[derived] if derived else [])


def postcode_rule(raw: str, output: str, untrimmed: str | None = None) -> Rule:
    """`untrimmed`, if given, is the source text before `cleaned()`: the value is the same
    from it (a tidy match has nothing to trim; squashing drops spaces anyway), so `raw` is
    only computed, for the flag, where the value is missing."""
    text = untrimmed or raw
    squashed = f"regexp_replace(upper({text}), '[^A-Z0-9]', '', 'g')"
    value = f"left({squashed}, length({squashed}) - 3) || ' ' || right({squashed}, 3)"
    # Most postcodes come as 'CB2 1TN' or 'cb21tn': one match settles them, and only the rest
    # are squashed (every character but letters and digits dropped) and matched again.
    tidy = POSTCODE.replace("[A-Z]", "[A-Za-z]").replace("[A-Z0-9]", "[A-Za-z0-9]")
    tidy = tidy.replace("?[0-9]", "? ?[0-9]")
    # A tidy match is ASCII: bytes are characters, and one with its space needs only upper.
    fast = (f"upper(CASE WHEN contains({text}, ' ') THEN {text} "
            f"ELSE left({text}, strlen({text}) - 3) || ' ' || right({text}, 3) END)")
    checked_value = (f"CASE WHEN regexp_full_match({text}, '{tidy}') THEN {fast} "
                     f"WHEN regexp_full_match({squashed}, '{POSTCODE}') THEN {value} END")
    flag = f"CASE WHEN {checked_value} IS NULL THEN {raw} IS NOT NULL ELSE false END"
    return Rule(checked_value, flags=[(flag, f"{output}:invalid")])


def nhs_rule(raw: str, output: str) -> Rule:
    # Spaces and hyphens dropped; a value of ten bytes is ten digits or invalid either way, so
    # it skips the two replaces. Ten digits (one GLOB, cheaper than a regex) also means the
    # value held only digits, spaces and hyphens.
    digits = (f"CASE WHEN strlen({raw}) = 10 THEN {raw} "
              f"ELSE replace(replace({raw}, ' ', ''), '-', '') END")
    # Ten digits (one GLOB) as one integer; the check digit is then integer arithmetic.
    number = f"CASE WHEN {digits} GLOB '{'[0-9]' * 10}' THEN CAST({digits} AS BIGINT) END"
    # The weighted digit sum, sum of (11 - i) * digit i, equals 2 * P9 + sum of (9i - 89) * Pi
    # (Pi: the number of the first i digits), which is (9i - 1) * Pi modulo 11: one division
    # per digit instead of a division and a remainder (ADR 0084; tested against the digits).
    weighted = " + ".join([f"2 * ({number} // 10)", *(
        f"({number} // {10 ** (10 - i)}) * {9 * i - 1}" for i in range(1, 9))])
    valid = f"(11 - (({weighted}) % 11)) % 11 = {number} % 10"
    rule = checked(digits, valid, raw, f"{output}:check_digit", number)
    rule.derived.append(digits)  # after `number`, which contains it (shared longest first)
    return rule


def ni_rule(raw: str, output: str) -> Rule:
    value = f"regexp_replace(upper({raw}), '[^A-Z0-9]', '', 'g')"
    valid = (f"(regexp_full_match({value}, '{NI_NUMBER}') AND left({value}, 2) NOT IN "
             "('BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ'))")
    return checked(value, valid, raw, f"{output}:invalid", value)


def phone_rule(raw: str, output: str) -> Rule:
    digits = f"regexp_replace(replace({raw}, '(0)', ''), '[^0-9+]', '', 'g')"
    national = (f"CASE WHEN starts_with({digits}, '+44') THEN '0' || substr({digits}, 4) "
                f"WHEN starts_with({digits}, '0044') THEN '0' || substr({digits}, 5) "
                f"WHEN starts_with({digits}, '44') AND length({digits}) = 12 "
                f"THEN '0' || substr({digits}, 3) ELSE {digits} END")
    return checked(national, f"regexp_full_match({national}, '0[1-9][0-9]{{8,9}}')", raw,
                   f"{output}:invalid", digits)


def email_rule(raw: str, output: str) -> Rule:
    value = f"lower({raw})"
    return checked(value, f"regexp_full_match({value}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+')", raw,
                   f"{output}:invalid")


def uprn_rule(raw: str, output: str) -> Rule:
    value = f"regexp_replace({raw}, '^0+', '')"
    return checked(value, f"regexp_full_match({raw}, '[0-9]{{1,12}}')", raw,
                   f"{output}:invalid")


def address_rule(raw: str) -> Rule:
    return Rule(f"NULLIF(trim(regexp_replace(upper({raw}), '\\s+', ' ', 'g')), '')")


def typed_rule(raw: str, kind: str, output: str, formats: list[str]) -> Rule:
    """Event attributes and other typed columns: a bad value is nulled and flagged."""
    if kind == "integer":
        number = f"TRY_CAST(replace({raw}, ',', '') AS DOUBLE)"
        value = f"CASE WHEN {number} = floor({number}) THEN TRY_CAST({number} AS BIGINT) END"
        return checked(value, f"{value} IS NOT NULL", raw, f"{output}:integer")
    if kind == "number":
        value = f"TRY_CAST(replace(replace({raw}, ',', ''), '%', '') AS DOUBLE)"
        return checked(value, f"{value} IS NOT NULL", raw, f"{output}:number")
    if kind == "boolean":
        code = f"upper({raw})"
        value = (f"CASE WHEN {code} IN ('TRUE', 'T', 'YES', 'Y', '1') THEN true "
                 f"WHEN {code} IN ('FALSE', 'F', 'NO', 'N', '0') THEN false END")
        return checked(value, f"{value} IS NOT NULL", raw, f"{output}:boolean")
    if kind == "date":
        value = date_value(raw, formats)
        return checked(value, f"{value} IS NOT NULL", raw, f"{output}:date")
    return Rule(raw)


def event_type_rule(raw: str, known: list[str], default: str | None) -> Rule:
    value = f"lower(regexp_replace({raw}, '[\\s\\-]+', '_', 'g'))"
    listed = ", ".join(lit(k) for k in known)
    rule = checked(value, f"{value} IN ({listed})", raw, "event_type:unknown")
    if default is not None:
        rule.value = f"coalesce({rule.value}, {lit(default)})"
    return rule
