"""The documentation tells the truth: README sections match the code, every option has help."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click

from provenance.cli import ExitCode, cli
from provenance.rules import RULES

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _readme_module():
    spec = importlib.util.spec_from_file_location("readme", REPO / "scripts" / "readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_readme_sections_are_current():
    assert _readme_module().render(README) == README, "run: python scripts/readme.py"


def test_readme_exit_code_table_matches_the_enum():
    rows = re.findall(r"^\| (\d) \| `(\w+)` \|", README, re.M)
    assert [(int(code), name) for code, name in rows] == [(int(c), c.name) for c in ExitCode]


def test_readme_lists_every_rule():
    for rule in RULES:
        assert f"| `{rule.value}` |" in README


def _walk(group: click.Group):
    for command in group.commands.values():
        yield command
        if isinstance(command, click.Group):
            yield from _walk(command)


def test_every_command_and_option_has_help_with_an_example():
    for command in _walk(cli):
        assert command.help, f"{command.name} has no help"
        assert "Example" in command.help, f"{command.name} help shows no example"
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help and "Example" in param.help, f"{command.name} {param.name}"


def test_readme_set_up_commands_are_the_ci_commands():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_command = "python -m pip install -e '.[test]' && python -m pytest"
    assert test_command in README
    assert test_command in ci
    assert "python -m pip install -e . && provenance check" in README
