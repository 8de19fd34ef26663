"""What every CLI command shares: the hub from the context, progress bars, JSON output."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from odahub.hub import Hub

# Progress and messages go to stderr so that `--json` output is alone on stdout.
console = Console(stderr=True)


def hub_of(ctx: typer.Context) -> Hub:
    root = ctx.find_root()
    hub = root.obj
    assert isinstance(hub, Hub), "the root command builds the hub"
    return hub


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def progress(transient: bool = False) -> Iterator[Progress]:
    """A Rich progress bar with rate and ETA; disabled automatically when not a terminal."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    )
    with bar:
        yield bar


class _LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)


def lazy_module(name: str) -> Any:
    """A module imported on first use, so `odahub --help` doesn't load every stage's libraries."""
    return _LazyModule(name)
