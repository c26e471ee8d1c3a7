"""Every command has help ending in a runnable example and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gaiji.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path


COMMANDS = list(_commands(cli))


def test_there_is_a_command_per_stage():
    names = {c[0] for c in COMMANDS}
    assert {"reference", "extract", "match", "bench", "review", "export", "validate", "convert", "demo"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_help_has_example_and_readme_mentions_it(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`gaiji {' '.join(path)} --help` lacks an Example: block"
    assert f"gaiji {' '.join(path)}" in README or f"`{path[-1]}`" in README, (
        f"README does not mention `gaiji {' '.join(path)}`")


def test_version_and_module_entry_point():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "gaiji" in result.output
