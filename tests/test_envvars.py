"""Every option can be set by an environment variable PROVENANCE_<COMMAND>_<OPTION>."""

from __future__ import annotations

import json
import re

import click

from provenance.cli import cli as root_cli
from tests.conftest import REPO


def _options(group: click.Group, path=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _options(command, (*path, name))
            continue
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                yield (*path, name), param


def test_every_option_reads_its_environment_variable():
    assert root_cli.context_settings["auto_envvar_prefix"] == "PROVENANCE"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path, option in _options(root_cli):
        assert option.allow_from_autoenv, option.name
        name = "PROVENANCE_" + "_".join(p.replace("-", "_").upper() for p in path)
        name += "_" + option.name.upper()
        if option.name != "debug":
            assert f"`{name}`" in readme, f"README does not list {name}"


def test_fail_on_and_format_from_the_environment(copy_project, cli, monkeypatch):
    copy_project("mixed")
    assert cli("check", "--no-fetch", "-q", "-o", "-", "docs").code == 1
    monkeypatch.setenv("PROVENANCE_CHECK_FAIL_ON", "never")
    monkeypatch.setenv("PROVENANCE_CHECK_FORMATS", "json")
    result = cli("check", "--no-fetch", "-q", "-o", "-", "docs")
    assert result.code == 0
    assert json.loads(result.out)["summary"]["documents"] == 3


def test_flags_and_new_options_from_the_environment(copy_project, cli, monkeypatch):
    copy_project("mixed")
    assert cli("baseline", "--no-fetch", "-q", "docs").code == 0
    monkeypatch.setenv("PROVENANCE_CHECK_NO_FETCH", "1")
    monkeypatch.setenv("PROVENANCE_CHECK_QUIET", "true")
    monkeypatch.setenv("PROVENANCE_CHECK_BASELINE", "provenance-baseline.json")
    result = cli("check", "-o", "-", "docs")
    assert result.code == 0, result.err
    assert result.err == ""
    assert re.search(r"3 documents, 11 claims", result.out)
