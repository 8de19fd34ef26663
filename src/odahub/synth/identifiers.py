"""Identifiers in their real formats, vectorised: NHS numbers (mod 11), NI numbers, phones, UPNs.

Every identifier is a bijection of a person's global number, so identifiers are unique without
bookkeeping and the same person always gets the same one.
"""

from __future__ import annotations

import numpy as np

NHS_WEIGHTS = np.arange(10, 1, -1)  # weights of the first nine digits
# NI prefixes: neither letter D, F, I, Q, U, V; second letter not O; a few pairs never issued.
_NI_LETTERS = [c for c in "ABCEGHJKLMNPRSTWXYZ"]
_NI_BANNED = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
NI_PREFIXES = np.asarray(
    sorted(a + b for a in _NI_LETTERS for b in _NI_LETTERS if b != "O" and a + b not in _NI_BANNED))
SCRAMBLE = 7_919_393  # odd and not a multiple of 5: a bijection modulo powers of ten


def scramble(number: np.ndarray, modulus: int, seed: int) -> np.ndarray:
    """A seeded bijection on [0, modulus) (modulus a power of ten) so ids look random."""
    return (number.astype(np.int64) * SCRAMBLE + seed * 104_729) % modulus


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """The decimal digits of non-negative ints, most significant first: shape (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % 10


def nhs_check_digit(first_nine: np.ndarray) -> np.ndarray:
    """Mod-11 check digit of 9-digit ints; 10 means the number cannot be issued."""
    remainder = (digits(first_nine, 9) * NHS_WEIGHTS).sum(axis=1) % 11
    check = 11 - remainder
    return np.where(check == 11, 0, check)


def nhs_numbers(number: np.ndarray, seed: int) -> np.ndarray:
    """Valid, unique NHS numbers (strings of 10 digits) for person numbers."""
    base = 400_000_000 + scramble(number, 100_000_000, seed)
    check = nhs_check_digit(base)
    # Where the check digit would be 10, moving the first digit from 4 to 5 makes it 0
    # (the remainder shifts by 10), and the 5xxxxxxxx range is used by nothing else.
    base = np.where(check == 10, base + 100_000_000, base)
    check = nhs_check_digit(base)
    result: np.ndarray = (base * 10 + check).astype(str).astype(object)
    return result


def ni_numbers(number: np.ndarray, seed: int) -> np.ndarray:
    scrambled = scramble(number, 10**8, seed + 1)
    prefix = NI_PREFIXES[(scrambled // 10**6) % len(NI_PREFIXES)]
    middle = np.char.zfill((scrambled % 10**6).astype(str), 6)
    suffix = np.asarray(list("ABCD"))[scrambled % 4]
    return np.char.add(np.char.add(prefix, middle), suffix).astype(object)


def mobiles(number: np.ndarray, seed: int) -> np.ndarray:
    scrambled = scramble(number, 10**9, seed + 2)
    return np.char.add("07", np.char.zfill(scrambled.astype(str), 9)).astype(object)


def landlines(number: np.ndarray, seed: int) -> np.ndarray:
    scrambled = scramble(number, 10**6, seed + 3)
    return np.char.add("01632 ", np.char.zfill(scrambled.astype(str), 6)).astype(object)


def upns(number: np.ndarray, seed: int) -> np.ndarray:
    """Unique pupil numbers: a check letter then 12 digits (the LA code 881 first)."""
    scrambled = scramble(number, 10**9, seed + 4)
    letters = np.asarray(list("ABCDEFGHJKLMNPQRTUVWXYZ"))[scrambled % 23]
    body = np.char.add("881", np.char.zfill(scrambled.astype(str), 9))
    return np.char.add(letters, body).astype(object)


def prefixed(prefix: str, number: np.ndarray, width: int, seed: int, stream: int) -> np.ndarray:
    scrambled = scramble(number, 10**width, seed + stream)
    return np.char.add(prefix, np.char.zfill(scrambled.astype(str), width)).astype(object)


def nhs_is_valid(values: np.ndarray) -> np.ndarray:
    """True where a 10-digit string has a valid mod-11 check digit (used by tests and docs)."""
    as_int = values.astype(np.int64)
    check = nhs_check_digit(as_int // 10)
    valid: np.ndarray = (check != 10) & (check == as_int % 10)
    return valid


def or_none(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` where `mask`, None elsewhere (an object array)."""
    result: np.ndarray = np.full(len(mask), None, dtype=object)
    result[mask] = np.asarray(values)[mask]
    return result


def serial_ids(prefix: str, chunk: int, start: int, count: int, width: int = 6) -> np.ndarray:
    """`<prefix><chunk:03d><n:0width>` for n in [start, start + count), vectorised."""
    if count == 0:
        return np.empty(0, dtype=object)
    numbers = np.char.zfill(np.arange(start, start + count).astype(str), width)
    result: np.ndarray = np.char.add(f"{prefix}{chunk:03d}", numbers).astype(object)
    return result
