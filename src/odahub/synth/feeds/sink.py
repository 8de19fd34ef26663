"""Turns each chunk's true events into partner records: select, corrupt, lay out, write, and
log the truth (which record is whom, which errors, which identifiers are where)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from odahub.model import load_model
from odahub.synth.feeds.base import Feed
from odahub.synth.feeds.corrupt import corrupt
from odahub.synth.feeds.records import base_frame
from odahub.synth.feeds.writers import Writer, open_writer
from odahub.synth.geography import Geography
from odahub.synth.identifiers import serial_ids
from odahub.synth.params import PERIOD_DAYS, ErrorRates, chunk_rng
from odahub.synth.simulate import ChunkLife
from odahub.synth.truth import TruthSink


class FeedSink:
    def __init__(self, out: Path, feeds: list[Feed], rates: ErrorRates, seed: int,
                 truth: TruthSink) -> None:
        self.out = out
        self.feeds = feeds
        self.rates = rates
        self.seed = seed
        self.truth = truth
        self.writers: dict[str, Writer] = {}
        self.counts: dict[str, int] = {feed.dataset: 0 for feed in feeds}
        direct = {name for name, role in load_model().roles.items() if role.direct}
        self.identifiers = {
            feed.dataset: {column: entry["role"] for column, entry in feed.columns.items()
                           if entry.get("role") in direct} for feed in feeds}
        for feed in feeds:
            folder = out / "feeds" / feed.dataset
            folder.mkdir(parents=True, exist_ok=True)
            self.writers[feed.dataset] = open_writer(feed, folder / feed.file)

    def add(self, life: ChunkLife, geo: Geography) -> None:
        for index, feed in enumerate(self.feeds):
            rng = chunk_rng(self.seed, life.chunk, 100 + index)
            rows = self._rows(life, geo, feed, rng)
            self._write(life, geo, feed, rows, rng)

    def _rows(self, life: ChunkLife, geo: Geography, feed: Feed,
              rng: np.random.Generator) -> pd.DataFrame:
        if not feed.sources:
            # The population spine: everyone alive at the end, at their last address.
            lives = life.lives
            alive = np.flatnonzero(lives.end >= PERIOD_DAYS)
            day = np.full(len(alive), PERIOD_DAYS - 1)
            return pd.DataFrame({"person": alive, "day": day,
                                 "household": lives.household_at(alive, day),
                                 "event_id": None})
        events = life.events
        rows = events[events["event_type"].isin(feed.sources)]
        if feed.sample < 1.0:
            rows = rows[rng.random(len(rows)) < feed.sample]
        if "found_oa" in feed.sources or "missing_episode" in feed.sources:
            rows = rows.assign(found_oa_code=geo.oa_code[rows["found_oa"].fillna(0)
                                                       .to_numpy(dtype=np.int64)])
        return rows

    def _write(self, life: ChunkLife, geo: Geography, feed: Feed, rows: pd.DataFrame,
               rng: np.random.Generator) -> None:
        frame = base_frame(life, geo, rows)
        issued = [0]

        def next_id(count: int) -> np.ndarray:
            ids = serial_ids(feed.id_prefix, life.chunk, issued[0], count)
            issued[0] += count
            return ids

        frame["record_id"] = next_id(len(frame))
        frame["_u"] = rng.random(len(frame))
        csv = feed.format == "csv"
        frame, errors = corrupt(rng, frame, feed.fields, self.rates, feed.dataset, feed.dated,
                                feed.dated or csv, next_id)
        laid_out = feed.build(frame, csv)
        malformed = frame["_malformed"].to_numpy(dtype=bool) if csv else np.zeros(
            len(frame), dtype=bool)
        self.writers[feed.dataset].write(laid_out, malformed)
        self.counts[feed.dataset] += len(laid_out)
        self.truth.write("records", pd.DataFrame({
            "dataset": feed.dataset, "record_id": frame["record_id"],
            "person_id": frame["person_id"], "household_id": frame["household_id"],
            "event_id": frame["event_id"]}))
        self.truth.write("errors", errors)
        self.truth.write("pii", self._pii(feed, laid_out, frame["record_id"].to_numpy()))

    def _pii(self, feed: Feed, laid_out: pd.DataFrame, record_id: np.ndarray) -> pd.DataFrame:
        parts = []
        file = f"feeds/{feed.dataset}/{feed.file}"
        for column, role in self.identifiers[feed.dataset].items():
            values = laid_out[column]
            keep = values.notna().to_numpy()
            parts.append(pd.DataFrame({
                "dataset": feed.dataset, "file": file, "record_id": record_id[keep],
                "field": column, "kind": role, "value": values[keep].astype(str).to_numpy(),
                "start": pd.array([None] * int(keep.sum()), dtype="Int64"),
                "end": pd.array([None] * int(keep.sum()), dtype="Int64")}))
        return pd.concat(parts, ignore_index=True)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
