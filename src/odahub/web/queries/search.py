"""Find people: fuzzy name, date of birth, postcode, NHS number or nominal id.

Identified search reads the identified zone (only datasets whose agreement allows identified
access for this purpose); pseudonymised search offers what analysts may use — nominal id, birth
year and the output area of a postcode — and returns nominal ids only. Fuzzy names compare the
query with the distinct surnames (a few thousand), take the records of those that match by
position from the Arrow copy of the index, and rank people there (vectorised): a name search
is a few milliseconds of Arrow, not a DuckDB query plan per request.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from odahub.engine.sqltext import literal
from odahub.governance import Level, Principal
from odahub.governance.policy import Access
from odahub.web.index import readable_records, readable_rows
from odahub.web.lakeview import Sorted
from odahub.web.queries import access
from odahub.web.serving import Serving

NAME_THRESHOLD = 0.86
FIRST_NAME_THRESHOLD = 0.80
MAX_SURNAMES = 10


@dataclass(frozen=True)
class SearchQuery:
    name: str | None = None
    date_of_birth: date | None = None
    postcode: str | None = None
    nhs_number: str | None = None
    nominal_id: str | None = None
    limit: int = 25

    def is_empty(self) -> bool:
        return not any((self.name, self.date_of_birth, self.postcode, self.nhs_number,
                        self.nominal_id))

    def terms(self) -> dict[str, str]:
        """What was searched for, as the audit log records it."""
        return {k: str(v) for k, v in self.__dict__.items() if v and k != "limit"}


@dataclass
class SearchResult:
    level: Level
    hits: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value.upper())
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def search(serving: Serving, principal: Principal, query: SearchQuery,
           level: Level | None = None) -> SearchResult:
    identified = access.readable(serving, principal, "identified")
    level = level or ("identified" if identified else "pseudonymised")
    readable = identified if level == "identified" else access.readable(
        serving, principal, "pseudonymised")
    result = SearchResult(level=level)
    if query.is_empty():
        return result
    index = serving.index.table(level)
    if not readable or index is None:
        result.note = ("Linkage has not run yet, so there are no people to find."
                       if index is None else "No dataset is open to you for this purpose.")
        access.record(serving, principal, "search", details={"terms": query.terms(), "hits": 0})
        return result
    surnames = serving.index.surnames(index) if level == "identified" else None
    if query.name and surnames is not None:
        result.hits = name_search(serving, index, surnames, readable, query)
    else:
        sql, params = (identified_sql(serving, index, readable, query) if level == "identified"
                       else pseudonymised_sql(serving, query,
                                              readable_records(index, level, readable)))
        result.hits = serving.view.rows(sql, [*params, query.limit])
    access.record(serving, principal, "search", subjects=[h["person_id"] for h in result.hits],
                  details={"terms": query.terms(), "level": level, "hits": len(result.hits),
                           "datasets": sorted(readable)})
    return result


def name_search(serving: Serving, index: str, surnames: Sorted,
                readable: Mapping[str, Access], query: SearchQuery) -> list[dict[str, Any]]:
    """Fuzzy name search (plus any exact filters) over the records of similar surnames only,
    ranked in Arrow; the same hits, scores and order as `identified_sql`."""
    assert query.name
    first, last = name_parts(query.name)
    similar = similar_surnames(serving, index, last)
    rows = readable_rows(surnames.rows(list(similar)), "identified", readable)
    rows = exact_filter(rows, query)
    score = pc.fill_null(pc.take(
        pa.array(list(similar.values()), pa.float64()),
        pc.index_in(rows["last_name"], value_set=pa.array(list(similar), pa.string()))), 0.0)
    if first:
        firsts = pc.fill_null(rows["first_name"], "")
        unique = pc.unique(firsts)
        similarity = pc.take(first_name_similarity(serving, unique, first),
                             pc.index_in(firsts, value_set=unique))
        keep = pc.greater_equal(similarity, FIRST_NAME_THRESHOLD)
        rows = rows.filter(keep)
        score = pc.add(score.filter(keep), similarity.filter(keep))
    return describe(rows, score, query.limit)


def exact_filter(rows: pa.Table, query: SearchQuery) -> pa.Table:
    """The exact filters of `add_exact_filters`, on Arrow rows."""
    wanted: list[tuple[str, pa.Scalar]] = []
    if query.date_of_birth:
        wanted.append(("date_of_birth", pa.scalar(query.date_of_birth, pa.date32())))
    if query.postcode:
        wanted.append(("postcode", pa.scalar(normalise_postcode(query.postcode))))
    if query.nhs_number:
        wanted.append(("nhs_number", pa.scalar(re.sub(r"\D", "", query.nhs_number))))
    if query.nominal_id:
        wanted.append(("person_id", pa.scalar(query.nominal_id.strip().upper())))
    for column, value in wanted:
        rows = rows.filter(pc.fill_null(pc.equal(
            rows[column], pc.cast(value, rows.schema.field(column).type)), False))
    return rows


def first_name_similarity(serving: Serving, names: pa.Array, first: str) -> pa.Array:
    """Jaro-Winkler similarity of each distinct first name to the query (DuckDB's, as in SQL)."""
    found = serving.view.rows(
        "SELECT list_transform(?::VARCHAR[], lambda n: jaro_winkler_similarity(n, ?)) AS s",
        [names.to_pylist(), first])  # the distinct names only (a few hundred at most)
    return pa.array(found[0]["s"], pa.float64())


SUMMARY = ("first_name", "last_name", "date_of_birth", "sex", "postcode")


def describe(rows: pa.Table, score: pa.Array | pa.ChunkedArray,
             limit: int) -> list[dict[str, Any]]:
    """Rank people by their best record's score (rounded to 3 places), then describe the
    `limit` best by the most frequent value of each identity field across their records."""
    if len(rows) == 0:
        return []
    best = pa.table({"person_id": rows["person_id"], "score": score}).group_by(
        "person_id").aggregate([("score", "max")])
    ranked = pa.table({"person_id": best["person_id"],
                       "score": pc.round(best["score_max"], 3)}).sort_by(
        [("score", "descending"), ("person_id", "ascending")]).slice(0, limit)
    shown = rows.filter(pc.is_in(rows["person_id"], value_set=ranked["person_id"]))
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in shown.select(["person_id", "dataset", *SUMMARY]).to_pylist():  # shown only
        records[record["person_id"]].append(record)
    return [{"person_id": person, "score": top_score,
             **{column: mode(r[column] for r in records[person]) for column in SUMMARY},
             "datasets": sorted({r["dataset"] for r in records[person]}),
             "records": len(records[person])}
            for person, top_score in zip(ranked["person_id"].to_pylist(),
                                         ranked["score"].to_pylist(), strict=True)]


def mode(values: Iterable[Any]) -> Any:
    """The most frequent non-null value (None if there is none)."""
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else None


def name_parts(name: str) -> tuple[str | None, str]:
    tokens = name.upper().split()
    return (tokens[0], tokens[-1]) if len(tokens) > 1 else (None, tokens[0])


def similar_surnames(serving: Serving, index: str, last: str) -> dict[str, float]:
    """Surnames within the fuzzy threshold of the query, with their similarity (remembered
    per index version: common surnames are searched again and again)."""
    return serving.index.memo((index, "similar", last), lambda: _similar(serving, index, last))


def _similar(serving: Serving, index: str, last: str) -> dict[str, float]:
    rows = serving.view.rows(
        f"SELECT last_name, jaro_winkler_similarity(last_name, ?) AS s FROM {index}_names "
        f"WHERE jaro_winkler_similarity(last_name, ?) >= {NAME_THRESHOLD} "
        f"ORDER BY s DESC LIMIT {MAX_SURNAMES}", [last, last])
    return {r["last_name"]: float(r["s"]) for r in rows}


def identified_sql(serving: Serving, index: str, readable: Mapping[str, Access],
                   query: SearchQuery,
                   similar: dict[str, float] | None = None) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    where, score = "true", "0.0"
    if query.name:
        first, last = name_parts(query.name)
        surnames = (similar if similar is not None
                    else similar_surnames(serving, index, last)) or {"": 0.0}
        where = "last_name IN (" + ", ".join(literal(n) for n in surnames) + ")"
        score = "CASE last_name " + " ".join(
            f"WHEN {literal(n)} THEN {s}" for n, s in surnames.items()) + " ELSE 0 END"
        if first:
            first_score = f"jaro_winkler_similarity(coalesce(first_name, ''), {literal(first)})"
            conditions.append(f"{first_score} >= {FIRST_NAME_THRESHOLD}")
            score = f"{score} + {first_score}"
    elif query.nominal_id:  # an index lookup inside, before policy's dataset filter
        where = f"person_id = {literal(query.nominal_id.strip().upper())}"
    add_exact_filters(query, conditions, params)
    records = readable_records(index, "identified", readable, where)
    # Rank people on the cheap columns first; describe only the few that are shown.
    sql = f"""
        WITH hit AS (SELECT *, {score} AS score FROM {records} r
                     WHERE {" AND ".join(conditions) or "true"}),
        top AS (SELECT person_id, round(max(score), 3) AS score FROM hit
                GROUP BY person_id ORDER BY score DESC, person_id LIMIT ?)
        SELECT top.person_id, top.score, mode(first_name) AS first_name,
               mode(last_name) AS last_name, mode(date_of_birth) AS date_of_birth,
               mode(sex) AS sex, mode(postcode) AS postcode,
               list(DISTINCT dataset ORDER BY dataset) AS datasets, count(*) AS records
        FROM top JOIN hit USING (person_id)
        GROUP BY top.person_id, top.score ORDER BY top.score DESC, top.person_id"""
    return sql, params


def add_exact_filters(query: SearchQuery, conditions: list[str], params: list[Any]) -> None:
    if query.date_of_birth:
        conditions.append("r.date_of_birth = ?")
        params.append(query.date_of_birth)
    if query.postcode:
        conditions.append("r.postcode = ?")
        params.append(normalise_postcode(query.postcode))
    if query.nhs_number:
        conditions.append("r.nhs_number = ?")
        params.append(re.sub(r"\D", "", query.nhs_number))
    if query.nominal_id:
        conditions.append("r.person_id = ?")
        params.append(query.nominal_id.strip().upper())


def pseudonymised_sql(serving: Serving, query: SearchQuery,
                      records: str) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    if query.nominal_id:
        conditions.append("r.person_id = ?")
        params.append(query.nominal_id.strip().upper())
    if query.date_of_birth:
        conditions.append("r.birth_year = ?")
        params.append(query.date_of_birth.year)
    postcodes = serving.view.table("reference", "postcodes")
    if query.postcode and postcodes is not None:
        conditions.append(f"r.oa_code IN (SELECT oa_code FROM {postcodes} WHERE postcode = ?)")
        params.append(normalise_postcode(query.postcode))
    if not conditions:  # names and NHS numbers are tokens here: nothing to match them against
        conditions.append("false")
    sql = f"""
        SELECT r.person_id, 1.0 AS score, mode(r.birth_year) AS birth_year, mode(r.sex) AS sex,
               mode(r.oa_code) AS oa_code, list(DISTINCT r.dataset ORDER BY r.dataset) AS datasets,
               count(*) AS records
        FROM {records} r
        WHERE {' AND '.join(conditions)}
        GROUP BY r.person_id ORDER BY r.person_id LIMIT ?"""
    return sql, params
