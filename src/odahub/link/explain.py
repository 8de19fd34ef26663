"""Why two records are (or are not) one person: Splink's waterfall, one row per comparison.

Recomputed on demand with the stored model, so any pair can be explained, linked or not.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from odahub.errors import NotFound
from odahub.hub import Hub
from odahub.link import model as link_model
from odahub.link.backend import splink_api, to_arrow
from odahub.link.prepare import prepare, read_union
from odahub.link.profiles import collapse
from odahub.link.scoring import register


def parse_record(name: str) -> tuple[str, str]:
    dataset, sep, record_id = name.partition(":")
    if not sep or not dataset or not record_id:
        raise NotFound(f"a record is named dataset:record_id, not {name!r}")
    return dataset, record_id


def explain(hub: Hub, record_a: str, record_b: str, show_values: bool = False) -> dict[str, Any]:
    """Prior, each comparison's level and match weight (with term-frequency adjustment), total.

    Compared values are identifiers: they are included only when `show_values` is asked for.
    """
    model = link_model.require_latest(hub.catalog)
    datasets = sorted({parse_record(record_a)[0], parse_record(record_b)[0]})
    prepared = prepare(hub, read_union(hub))
    records = prepared.records
    for name in (record_a, record_b):
        if not pc.any(pc.equal(records["unique_id"], name)).as_py():
            raise NotFound(f"no record {name} in datasets {', '.join(datasets)}")
    api = splink_api(hub.engine)
    # term frequencies over identity profiles, as the linkage run computes them
    table = register(api, collapse(hub.engine, records).records, "explain")
    linker = link_model.linker_for(api, table, model)
    for column in linker._settings_obj._term_frequency_columns:
        linker.table_management.compute_tf_table(column.unquote().name)
    left = register(api, _one(records, record_a), "left")
    right = register(api, _one(records, record_b), "right")
    row = to_arrow(linker.inference.score_pair(left, right)).to_pylist()[0]
    return _waterfall(linker, model, row, show_values)


def _one(records: pa.Table, name: str) -> pa.Table:
    return records.filter(pc.equal(records["unique_id"], name))


def _waterfall(linker: Any, model: link_model.TrainedModel, row: dict[str, Any],
               show_values: bool) -> dict[str, Any]:
    settings = linker._settings_obj
    prior = link_model.probability_to_weight(
        settings._probability_two_random_records_match)
    steps = []
    for comparison in settings.comparisons:
        name = comparison.output_column_name
        gamma = row.get(f"gamma_{name}")
        level = next((lv for lv in comparison.comparison_levels
                      if lv.comparison_vector_value == gamma), None)
        step = {"comparison": name, "level": level.label_for_charts if level else None,
                "gamma": gamma, "match_weight": _round(row.get(f"mw_{name}")),
                "tf_adjustment": _round(row.get(f"mw_tf_adj_{name}"))}
        if show_values:
            step |= {"left": row.get(f"{name}_l"), "right": row.get(f"{name}_r")}
        steps.append(step)
    return {"record_a": row["unique_id_l"], "record_b": row["unique_id_r"],
            "prior_match_weight": _round(prior), "comparisons": steps,
            "match_weight": _round(row["match_weight"]),
            "match_probability": _round(row["match_probability"], 6),
            "threshold": model.threshold,
            "linked": row["match_probability"] >= model.threshold}


def _round(value: Any, digits: int = 3) -> Any:
    return round(value, digits) if isinstance(value, float) else value
