"""Changed-only checks: the documents, and the lines in them, changed since a git ref.

``git_changes(root, ref)`` compares the merge base of ``ref`` and ``HEAD`` with
the working tree (committed, staged and unstaged changes alike) and adds the
untracked files git does not ignore, which count as changed throughout. For a
pull request, ``--changed-since origin/main`` is then "what this branch
changed". ``restrict(report, changes)`` keeps only the claims, citations and
findings on changed lines, and recounts the summary.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from provenance.check import CheckResult, _summary, run_check
from provenance.config import Settings
from provenance.errors import UsageError
from provenance.evidence import EvidenceOptions
from provenance.models import ClaimReport, DocumentReport, Finding, Report

__all__ = ["ChangeSet", "check_changed", "git_changes", "parse_diff", "restrict"]

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")

Runner = Callable[[Sequence[str], Path], str]


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Changed files (POSIX paths relative to the project root) and their changed lines.

    A file mapped to ``None`` is new or untracked: every line counts as changed.
    """

    ref: str
    files: dict[str, frozenset[int] | None]

    def has(self, path: str) -> bool:
        """Whether the document at ``path`` changed at all."""
        return path in self.files

    def touches(self, path: str, first: int | None, last: int | None = None) -> bool:
        """Whether any line from ``first`` to ``last`` of ``path`` changed (no line: the file)."""
        if path not in self.files:
            return False
        lines = self.files[path]
        if lines is None or first is None:
            return True
        return any(n in lines for n in range(first, (last or first) + 1))


def _git(args: Sequence[str], root: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=root,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except FileNotFoundError:
        raise UsageError("--changed-since needs git, and git is not installed") from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise UsageError(
            f"--changed-since: git {args[0]} failed: {detail[0] if detail else done.returncode}"
        )
    return done.stdout


def _unquote(path: str) -> str:
    if path.startswith('"') and path.endswith('"'):
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return path


def parse_diff(diff: str) -> dict[str, frozenset[int] | None]:
    """Changed line numbers per file from ``git diff -U0`` output."""
    files: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = _unquote(line[4:])
            current = None if target == "/dev/null" else files.setdefault(target[2:], set())
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match is None:
                continue
            start, count = int(match[1]), int(match[2] or 1)
            if count == 0:  # a pure deletion after line `start`: both neighbours changed
                current.update((start, start + 1))
            else:
                current.update(range(start, start + count))
    return {path: frozenset(lines) for path, lines in files.items()}


def git_changes(root: Path, ref: str, git: Runner = _git) -> ChangeSet:
    """What changed under ``root`` since ``ref`` (merge base to working tree, plus untracked)."""
    git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    try:
        base = git(["merge-base", ref, "HEAD"], root).strip() or ref
    except UsageError:
        base = ref  # no common history (or no HEAD yet): compare with the ref itself
    diff = git(
        ["diff", "-U0", "--no-color", "--no-ext-diff", "--relative", "--diff-filter=d", base, "--"],
        root,
    )
    files: dict[str, frozenset[int] | None] = dict(parse_diff(diff))
    untracked = git(["ls-files", "--others", "--exclude-standard", "-z"], root)
    for path in untracked.split("\0"):
        if path:
            files[path] = None
    return ChangeSet(ref=ref, files=files)


def _claim_kept(changes: ChangeSet, path: str, claim: ClaimReport) -> bool:
    return changes.touches(path, claim.line, claim.end_line)


def _finding_kept(
    changes: ChangeSet, finding: Finding, claims: list[tuple[str, ClaimReport]]
) -> bool:
    if changes.touches(finding.path, finding.line):
        return True
    spot = (finding.line or 0, finding.column or 0)
    return any(
        path == finding.path and (c.line, c.column) <= spot <= (c.end_line, c.end_column)
        for path, c in claims
    )


def restrict(report: Report, changes: ChangeSet) -> Report:
    """``report`` cut down to the documents, claims and findings on changed lines."""
    documents: list[DocumentReport] = []
    kept_claims: list[tuple[str, ClaimReport]] = []
    for doc in report.documents:
        if not changes.has(doc.path):
            continue
        claims = [c for c in doc.claims if _claim_kept(changes, doc.path, c)]
        citations = [c for c in doc.citations if changes.touches(doc.path, c.line)]
        cited = sum(1 for c in claims if c.cited)
        documents.append(
            doc.model_copy(
                update={
                    "claims": claims,
                    "citations": citations,
                    "coverage": cited / len(claims) if claims else None,
                }
            )
        )
        kept_claims += [(doc.path, c) for c in claims]
    findings = [f for f in report.findings if _finding_kept(changes, f, kept_claims)]
    cited_ids = {c.source for d in documents for c in d.citations if c.source}
    cited_ids |= {f.source for f in findings if f.source}
    sources = [s for s in report.sources if s.id in cited_ids]
    summary = _summary(documents, findings, sources, report.summary.errors)
    return report.model_copy(
        update={
            "documents": documents,
            "findings": findings,
            "sources": sources,
            "summary": summary,
        }
    )


def check_changed(
    specs: list[str],
    *,
    root: Path,
    settings: Settings,
    ref: str,
    sources: Path | None = None,
    on_event: Callable[..., None] | None = None,
    evidence: EvidenceOptions | None = None,
) -> CheckResult:
    """``run_check`` over the documents changed since ``ref``, reporting only changed lines."""
    changes = git_changes(root, ref)
    result = run_check(
        specs,
        root=root,
        settings=settings,
        sources=sources,
        on_event=on_event,
        evidence=evidence,
        only=changes.has,
    )
    return replace(result, report=restrict(result.report, changes))
