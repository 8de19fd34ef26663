"""Find people: fuzzy name, date of birth, postcode, NHS number or nominal id.

Identified search reads the identified zone (only datasets whose agreement allows identified
access for this purpose); pseudonymised search offers what analysts may use — nominal id, birth
year and the output area of a postcode — and returns nominal ids only. Fuzzy names compare the
query with the distinct surnames (a few thousand), then fetch the records of those that match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from odahub.engine.sqltext import literal
from odahub.governance import Level, Principal
from odahub.governance.policy import Access
from odahub.web.index import readable_records
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
    if level == "identified" and query.name and serving.index.surnames(index) is not None:
        # Fuzzy names: only the records of similar surnames, taken by position (no scan).
        _first, last = name_parts(query.name)
        similar = similar_surnames(serving, index, last)
        candidates = serving.index.surnames(index).rows(list(similar))  # type: ignore[union-attr]
        sql, params = identified_sql(serving, "candidates", readable, query, similar)
        result.hits = serving.view.rows_over("candidates", candidates, sql,
                                             [*params, query.limit])
    else:
        sql, params = (identified_sql(serving, index, readable, query) if level == "identified"
                       else pseudonymised_sql(serving, query,
                                              readable_records(index, level, readable)))
        result.hits = serving.view.rows(sql, [*params, query.limit])
    access.record(serving, principal, "search", subjects=[h["person_id"] for h in result.hits],
                  details={"terms": query.terms(), "level": level, "hits": len(result.hits),
                           "datasets": sorted(readable)})
    return result


def name_parts(name: str) -> tuple[str | None, str]:
    tokens = name.upper().split()
    return (tokens[0], tokens[-1]) if len(tokens) > 1 else (None, tokens[0])


def similar_surnames(serving: Serving, index: str, last: str) -> dict[str, float]:
    """Surnames within the fuzzy threshold of the query, with their similarity."""
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
