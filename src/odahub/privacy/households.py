"""The names each record's free text is checked against: its subject's and its household's.

A household is the rows sharing the source's household reference, else the same address and
postcode. Grouping is done in Arrow; only the final per-record word lists are Python objects.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

NAME_COLUMNS = ("first_name", "middle_name", "last_name", "full_name")
MAX_HOUSEHOLD = 25  # a bigger "household" is a shared address (a hostel, a care home): skip it
MIN_NAME_ROWS = 2  # rows a word must be a name in to join the gazetteer


def own_names(table: pa.Table) -> pa.ChunkedArray | pa.Array:
    present = [c for c in NAME_COLUMNS if c in table.column_names]
    if not present:
        return pa.array([""] * table.num_rows, pa.string())
    parts = [pc.fill_null(table[c].cast(pa.string()), "") for c in present]
    return pc.binary_join_element_wise(*parts, " ")


def household_key(table: pa.Table) -> pa.ChunkedArray | pa.Array | None:
    if "household_ref" in table.column_names:
        return table["household_ref"].cast(pa.string())
    if "address" in table.column_names and "postcode" in table.column_names:
        return pc.binary_join_element_wise(table["address"].cast(pa.string()),
                                           table["postcode"].cast(pa.string()), "|")
    return None


def household_names(names: pa.Array | pa.ChunkedArray,
                    key: pa.Array | pa.ChunkedArray) -> list[str]:
    """For each row, the names of every row with the same household key, joined by spaces."""
    grouped = pa.table({"key": key, "names": names}).filter(pc.is_valid(key)).group_by(
        "key").aggregate([("names", "list")])
    members = grouped["names_list"].combine_chunks()
    joined = pc.if_else(pc.less_equal(pc.list_value_length(members), MAX_HOUSEHOLD),
                        pc.binary_join(members, " "), "")
    position = pc.index_in(key, value_set=grouped["key"].combine_chunks())
    result: list[str | None] = pc.take(joined, position).to_pylist()
    return [text or "" for text in result]


def record_names(table: pa.Table) -> list[list[str]]:
    names = own_names(table)
    key = household_key(table)
    texts: list[str] = [n or "" for n in names.to_pylist()]
    if key is not None:
        texts = [f"{own} {house}" for own, house in
                 zip(texts, household_names(names, key), strict=True)]
    return [sorted({w for w in text.split() if len(w) > 1}) for text in texts]


def name_words(table: pa.Table) -> Counter[str]:
    """Upper-case name words of a table's name columns, with how many rows hold each."""
    words: Counter[str] = Counter()
    for column in (c for c in NAME_COLUMNS if c in table.column_names):
        counts = pc.value_counts(pc.utf8_upper(table[column].cast(pa.string())))
        for value, rows in zip(counts.field("values").to_pylist(),
                               counts.field("counts").to_pylist(), strict=True):
            if value:
                words.update({w: rows for w in set(value.split()) if len(w) > 1})
    return words


class Gazetteer(frozenset[str]):
    """The names held in at least MIN_NAME_ROWS rows; `rare` holds those held in fewer."""

    rare: frozenset[str] = frozenset()


def gazetteer(tables: list[pa.Table], min_rows: int = MIN_NAME_ROWS) -> Gazetteer:
    """Every name the hub holds (accents folded) in at least `min_rows` rows, for notes that carry
    no structured fields. A word recorded as a name once is mostly a keying error ("CARE",
    "ALERT", "SEN" are typos of Clare, Albert, Sean) and would redact ordinary words on its own;
    it is kept aside as `rare`, a name only beside another name ("Beverley Armstrong"). A
    record's own names still reach its text through its deny list."""
    from odahub.privacy.recognisers import fold

    rows: Counter[str] = Counter()
    for table in tables:
        for word, count in name_words(table).items():
            rows[fold(word)] += count
    known = Gazetteer(word for word, count in rows.items() if count >= min_rows)
    known.rare = frozenset(word for word, count in rows.items() if count < min_rows)
    return known
