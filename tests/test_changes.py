"""`check --changed-since REF`: only documents changed since a git ref, only changed lines.

Each test builds a real git repository in its temporary directory.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from provenance.changes import git_changes, parse_diff
from provenance.errors import UsageError

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True, check=False).returncode != 0,
    reason="needs git",
)

A = """# Malaria

Malaria caused an estimated 608,000 deaths in 2022 .
Bed nets halve the rate of infection in children under five.
"""
B = """# Dengue

Dengue cases reached a record in 2023 .
"""


def _git(root, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(project):
    _git(project, "init", "-q", "-b", "main")
    (project / "docs").mkdir()
    (project / "docs" / "a.md").write_text(A)
    (project / "docs" / "b.md").write_text(B)
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "start")
    _git(project, "checkout", "-q", "-b", "topic")
    return project


def _check(cli, *args):
    result = cli("check", "--no-fetch", "-q", "-f", "json", "-o", "-", *args)
    return result.code, json.loads(result.out) if result.out else None


def test_nothing_changed_checks_nothing(repo, cli):
    code, report = _check(cli, "--changed-since", "main", "docs")
    assert code == 0
    assert report["documents"] == [] and report["findings"] == []


def test_only_changed_lines_of_changed_documents(repo, cli):
    text = A.replace("under five.", "under five, say reports .")
    (repo / "docs" / "a.md").write_text(text + "\nA new sentence with no marker at all here.\n")
    _git(repo, "commit", "-qam", "edit a")
    code, report = _check(cli, "--changed-since", "main", "docs")
    assert [d["path"] for d in report["documents"]] == ["docs/a.md"]
    assert [c["line"] for c in report["documents"][0]["claims"]] == [4, 6]
    # The old stripped marker on line 3 is not this branch's doing; the new one on line 4 is.
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [
        ("stripped-marker", 4),
        ("uncited-claim", 6),
    ]
    assert code == 1
    assert report["summary"]["claims"] == 2
    full_code, full = _check(cli, "docs")
    assert ("stripped-marker", 3) in {(f["rule"], f["line"]) for f in full["findings"]}
    assert full_code == 1


def test_uncommitted_and_untracked_changes_count(repo, cli):
    (repo / "docs" / "b.md").write_text(B + "\nZika spread across the Americas in 2016 .\n")
    (repo / "docs" / "c.md").write_text("# New\n\nA brand new document claims this .\n")
    code, report = _check(cli, "--changed-since", "main", "docs")
    assert code == 1
    assert [d["path"] for d in report["documents"]] == ["docs/b.md", "docs/c.md"]
    assert [(f["path"], f["line"]) for f in report["findings"]] == [
        ("docs/b.md", 5),
        ("docs/c.md", 3),
    ]


def test_compares_with_the_merge_base(repo, cli):
    # main moves on after the branch was made; its edit to b.md is not this branch's change.
    _git(repo, "checkout", "-q", "main")
    (repo / "docs" / "b.md").write_text(B + "\nMain added this sentence later on .\n")
    _git(repo, "commit", "-qam", "main moves")
    _git(repo, "checkout", "-q", "topic")
    changes = git_changes(repo, "main")
    assert changes.files == {}


def test_an_unknown_ref_is_a_usage_error(repo, cli):
    result = cli("check", "--no-fetch", "-q", "--changed-since", "no-such-ref", "docs")
    assert result.code == 2
    assert result.err.startswith("provenance: error: --changed-since: git rev-parse failed")


def test_outside_a_git_repository_is_a_usage_error(project):
    with pytest.raises(UsageError, match="--changed-since: git"):
        git_changes(project, "main")


def test_parse_diff_hunks():
    diff = "\n".join(
        [
            "diff --git a/x.md b/x.md",
            "--- a/x.md",
            "+++ b/x.md",
            "@@ -3 +3 @@ heading",
            "@@ -10,2 +11,3 @@",
            "@@ -20,4 +22,0 @@",
            "diff --git a/gone.md b/gone.md",
            "+++ /dev/null",
            "@@ -1,2 +0,0 @@",
        ]
    )
    assert parse_diff(diff) == {"x.md": frozenset({3, 11, 12, 13, 22, 23})}
