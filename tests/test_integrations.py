"""The pre-commit hook and the GitHub action, tested for real.

``test_pre_commit_try_repo`` runs ``pre-commit try-repo`` against a temporary git
repository: pre-commit builds its own virtualenv and installs provenance into it from the
package index, as on a user's machine (pre-commit-uv, in the test extra, makes that a uv
install: ~13 s instead of ~60 s). It is the slowest test here; the second commit reuses
that environment.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from provenance.cli import cli
from provenance.formats import REPORT_FILES
from tests.conftest import REPO

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def _parse(command: str, args: list[str]) -> click.Context:
    """Parse ``provenance COMMAND ARGS`` as the CLI would; raises on an unknown option."""
    return cli.commands[command].make_context(command, args, resilient_parsing=False)


def _provenance_lines(script: str) -> list[list[str]]:
    joined = script.replace("\\\n", " ")
    return [
        shlex.split(line.strip())
        for line in joined.splitlines()
        if line.strip().startswith("provenance ")
    ]


def test_action_runs_the_check_with_real_options():
    assert ACTION["runs"]["using"] == "composite"
    steps = ACTION["runs"]["steps"]
    check = next(s for s in steps if s.get("id") == "check")
    [line] = _provenance_lines(check["run"])
    assert line[:2] == ["provenance", "check"]
    substitutes = {'"${fetch[@]}"': "--no-fetch", "${fetch[@]}": "--no-fetch"}
    args = [substitutes.get(token, token) for token in line[2:]]
    args = [a for a in args if a != "$INPUT_PATHS"] + ["docs"]
    ctx = _parse("check", args)
    assert set(ctx.params["formats"]) >= {"sarif", "summary"}
    assert ctx.params["reports_dir"] == Path("reports")
    # Environment variables it sets are the ones the CLI reads.
    options = {p.name.upper() for p in cli.commands["check"].params}
    for name in check["env"]:
        if name.startswith("PROVENANCE_CHECK_"):
            assert name.removeprefix("PROVENANCE_CHECK_") in options, name
    # Its inputs are all used, and nothing is interpolated into the script itself.
    assert "${{" not in check["run"]
    for name in ACTION["inputs"]:
        assert f"inputs.{name}" in yaml.safe_dump(ACTION["runs"]), name


def test_action_uploads_the_sarif_the_check_writes():
    upload = next(s for s in ACTION["runs"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@v")
    assert upload["with"]["sarif_file"] == f"reports/{REPORT_FILES['sarif']}"
    check = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "check")
    assert f"reports/{REPORT_FILES['summary']}" in check["run"]
    assert '"$GITHUB_STEP_SUMMARY"' in check["run"]


def test_pre_commit_hook_entry_parses():
    [hook] = HOOKS
    assert hook["id"] == "provenance" and hook["language"] == "python"
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["provenance", "check"]
    ctx = _parse("check", [*entry[2:], "doc.md"])
    assert ctx.params["no_fetch"] is True and ctx.params["output"] == "-"
    assert re.search(hook["files"], "docs/a.md") and not re.search(hook["files"], "a.py")


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_try_repo(tmp_path):
    target = tmp_path / "site"
    target.mkdir()
    _git(target, "init", "-q")
    (target / "post.md").write_text(
        "# Malaria\n\nMalaria caused an estimated 608,000 deaths in 2022 .\n", encoding="utf-8"
    )
    (target / "notes.py").write_text("x = 1  # not a document\n", encoding="utf-8")
    _git(target, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("GITHUB_ACTIONS", None)
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "provenance"]
    failed = subprocess.run(
        [*command, "--all-files"], cwd=target, env=env, capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout
    assert "post.md:3:51: error: stripped-marker" in failed.stdout
    (target / "post.md").write_text(
        "# Malaria\n\nMalaria caused an estimated 608,000 deaths in 2022.\n", encoding="utf-8"
    )
    _git(target, "add", ".")
    passed = subprocess.run(
        [*command, "--all-files"], cwd=target, env=env, capture_output=True, text=True, check=False
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
