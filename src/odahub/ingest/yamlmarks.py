"""YAML loading that remembers the line of every key, so errors can point at it."""

from __future__ import annotations

from typing import Any

import yaml

Lines = dict[tuple[Any, ...], int]


def load_with_lines(text: str) -> tuple[Any, Lines]:
    """Return the parsed document and a map from key path to its 1-based line."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: Lines = {(): 1}
    if node is not None:
        _walk(node, (), lines)
    return yaml.safe_load(text), lines


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: Lines) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines)


def nearest_line(lines: Lines, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest known prefix of `loc` (pydantic adds type tags we skip)."""
    for end in range(len(loc), -1, -1):
        found = lines.get(tuple(loc[:end]))
        if found is not None:
            return found
    return None
