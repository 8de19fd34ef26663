"""Generate docs/user/cli.md from the command tree, so the CLI reference can't drift.

Run `python -m odahub.cli_docs > docs/user/cli.md`; tests/test_docs.py fails when it is stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import typer.main

# Typer 0.29 vendors its own click, so commands are walked by duck typing, not click's classes.

HEADER = """# Command-line reference

Generated from the commands themselves by `python -m odahub.cli_docs > docs/user/cli.md`;
a test fails when this page is out of date. Every command exits non-zero on failure and prints
a clear message without a traceback; `--json` output is machine-readable on stdout alone.
"""


def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name in sorted(subcommands):
            yield from walk(command.commands[name], (*path, name))


def command_paths() -> list[str]:
    from odahub.cli import app

    root = typer.main.get_command(app)
    return [" ".join(path) for path, _ in walk(root, ("odahub",))]


def render() -> str:
    from odahub.cli import app

    root = typer.main.get_command(app)
    parts = [HEADER]
    for path, command in walk(root, ("odahub",)):
        name = " ".join(path)
        context = command.context_class(command, info_name=name, terminal_width=100,
                                        max_content_width=100)
        usage = command.get_usage(context).replace("Usage: ", "")
        help_text = (command.help or "").strip()
        parts.append(f"## `{name}`\n\n{help_text}\n\n```\n{usage}\n```\n")
        options = [param for param in command.params if param.param_type_name == "option"]
        if options:
            parts.append("| option | help |\n|---|---|")
            for option in options:
                flags = ", ".join(f"`{flag}`" for flag in option.opts + option.secondary_opts)
                text = re.sub(r"\s+", " ", option.help or "").replace("|", "\\|")
                parts.append(f"| {flags} | {text} |")
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
