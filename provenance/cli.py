"""The ``provenance`` command: thin wrappers over one library call each.

Each command parses options, makes one library call that returns a typed
result, renders it and picks an exit code. Exceptions become messages and exit
codes in one place, ``_handle_errors``. Every option can also be set by an
environment variable ``PROVENANCE_<COMMAND>_<OPTION>`` (e.g.
``PROVENANCE_CHECK_FAIL_UNDER=80``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import functools
import gc
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from provenance import __version__
from provenance.check import CheckEvent, CheckResult, run_check
from provenance.compare.thresholds import DEFAULT_DRIFT_THRESHOLD, DEFAULT_SUPPORT_THRESHOLD
from provenance.config import DEFAULT_BASELINE, Settings, load_settings
from provenance.errors import InputError, ProvenanceError, UsageError
from provenance.evidence import EvidenceOptions, FetchMode
from provenance.formats import AUDIT_FILES, DEFAULT_REPORTS, FORMATS, REPORT_FILES
from provenance.models import Report
from provenance.rules import RULES, RuleId, Severity

if TYPE_CHECKING:
    from provenance.archive import SnapshotStore
    from provenance.audit import AuditResult
    from provenance.fetch import FetchProgress, FetchSettings

__all__ = ["ExitCode", "cli", "main"]

BUG_REPORT = "https://github.com/provenance-dev/provenance/issues"

_DEBUG_OPTION = click.option(
    "--debug", is_flag=True, help="Show the traceback of an internal error. Example: --debug"
)


class ExitCode(enum.IntEnum):
    """What ``provenance`` exits with; CI gates on these."""

    OK = 0  # passed
    GATE_FAILED = 1  # findings matched --fail-on, or coverage under --fail-under
    INPUT_ERROR = 2  # usage, configuration or input error (one line naming file and line)
    INTERNAL_ERROR = 3  # a bug in provenance: please report it


class _Failure(Exception):
    def __init__(self, code: ExitCode) -> None:
        self.code = code


@contextlib.contextmanager
def _handle_errors(debug: bool) -> Iterator[None]:
    """Map every exception to a one-line message on stderr and an exit code."""
    try:
        yield
    except _Failure:
        raise
    except InputError as exc:
        click.echo(f"provenance: error: {exc.one_line()}", err=True)
        raise _Failure(ExitCode.INPUT_ERROR) from None
    except ProvenanceError as exc:
        click.echo(f"provenance: error: {exc}", err=True)
        raise _Failure(ExitCode.INPUT_ERROR) from None
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        click.echo("provenance: interrupted", err=True)
        raise _Failure(ExitCode.INTERNAL_ERROR) from None
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(
            f"provenance: internal error: {type(exc).__name__}: {exc}. This is a bug; please"
            f" report it at {BUG_REPORT} (rerun with --debug for the traceback).",
            err=True,
        )
        raise _Failure(ExitCode.INTERNAL_ERROR) from None


def parse_fail_on(value: str | Sequence[str]) -> frozenset[RuleId] | Severity | None:
    """``"error"`` -> Severity.ERROR; ``"never"`` -> None; ``"a,b"`` -> rule ids."""
    items = value if not isinstance(value, str) else [value]
    parts = [p.strip() for item in items for p in item.split(",") if p.strip()]
    if not parts or parts == ["never"]:
        return None
    if len(parts) == 1 and parts[0].upper() in Severity.__members__:
        return Severity.parse(parts[0])
    rules = set()
    for part in parts:
        try:
            rules.add(RuleId(part))
        except ValueError:
            import difflib

            close = difflib.get_close_matches(part, [r.value for r in RuleId], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"--fail-on: unknown rule or severity {part!r}{hint} (see `provenance rules`)"
            ) from None
    return frozenset(rules)


@click.group(
    context_settings={
        "help_option_names": ["-h", "--help"],
        "auto_envvar_prefix": "PROVENANCE",
        "max_content_width": 88,
        "terminal_width": 88,
    }
)
@click.version_option(__version__, prog_name="provenance")
def cli() -> None:
    """Check the sourcing of written claims: citations, uncited claims, source rot.

    \b
    Examples:
      provenance check --no-fetch examples/factually-trump-putin.txt
      provenance check --fail-under 80 --fail-on stripped-marker,uncited-claim docs/
      provenance sources import articles/*.md
    """


# Options shared by `check` and `audit`.

_SOURCES_OPTION = click.option(
    "--sources",
    "sources",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The sources file. Default: sources.toml in the project root (the current directory)."
    " Example: --sources refs/sources.toml",
)

_FORMAT_OPTION = click.option(
    "--format",
    "-f",
    "formats",
    type=click.Choice(sorted(FORMATS)),
    multiple=True,
    help="Report format; repeatable. Default: markdown and json files in the reports directory,"
    " plus a text summary on stdout. Example: --format json -o -",
)

_OUTPUT_OPTION = click.option(
    "--output",
    "-o",
    default=None,
    metavar="FILE|-",
    help="Write the report here instead of the reports directory; '-' is stdout."
    " Example: -o reports/pr.md",
)

_REPORTS_DIR_OPTION = click.option(
    "--reports-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for the report files (check: coverage.md and coverage.json; audit:"
    " audit.md and audit.json). Default: reports/. Example: --reports-dir out",
)

_FAIL_UNDER_OPTION = click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    default=None,
    metavar="PERCENT",
    help="Fail (exit 1) when coverage, cited claims over claims, is below PERCENT."
    " Example: --fail-under 80",
)

_FAIL_ON_OPTION = click.option(
    "--fail-on",
    default=None,
    metavar="RULES|SEVERITY|never",
    help="Fail (exit 1) on findings of these rule ids (comma-separated) or of this severity and"
    " up. Default: error. Example: --fail-on stripped-marker,uncited-claim",
)

_BASELINE_OPTION = click.option(
    "--baseline",
    "baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Fail only on findings not recorded in this baseline (made by `provenance baseline`);"
    " the rest are reported as baselined. Default: the `baseline` setting, if any."
    " Example: --baseline provenance-baseline.json",
)

_CHANGED_SINCE_OPTION = click.option(
    "--changed-since",
    default=None,
    metavar="REF",
    help="Check only documents changed since this git ref (merge base to working tree, plus"
    " untracked files) and report only claims on changed lines. Example: --changed-since"
    " origin/main",
)

_NO_FETCH_OPTION = click.option(
    "--no-fetch",
    is_flag=True,
    help="Check citations and claims only; fetch no source. Example: --no-fetch",
)

_OFFLINE_OPTION = click.option(
    "--offline",
    is_flag=True,
    help="Judge sources from the archive alone, without the network. Example: --offline",
)

_REFRESH_OPTION = click.option(
    "--refresh",
    is_flag=True,
    help="Fetch every source again, ignoring cached verdicts. Example: --refresh",
)

_ALLOW_PRIVATE_OPTION = click.option(
    "--allow-private",
    is_flag=True,
    help="Allow URLs on loopback, private and link-local addresses (refused by default so a"
    " document cannot make CI fetch internal services). Example: --allow-private",
)

_CONCURRENCY_OPTION = click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=None,
    metavar="N",
    help="Requests in flight at once. Default: 64. Example: --concurrency 16",
)

_HOST_CONCURRENCY_OPTION = click.option(
    "--host-concurrency",
    type=click.IntRange(1, 256),
    default=None,
    metavar="N",
    help="Requests in flight to one host. Default: 8. Example: --host-concurrency 2",
)

_HOST_INTERVAL_OPTION = click.option(
    "--host-interval",
    type=click.IntRange(0, 600_000),
    default=None,
    metavar="MS",
    help="Minimum milliseconds between requests to one host. Default: 0 (a host that answers"
    " 429 is slowed by itself). Example: --host-interval 500",
)

_TIMEOUT_OPTION = click.option(
    "--timeout",
    type=click.FloatRange(0.1, 3600),
    default=None,
    metavar="SECONDS",
    help="Time limit for one attempt at one URL, redirects and body included. Default: 30."
    " Example: --timeout 10",
)

_ARCHIVE_DIR_OPTION = click.option(
    "--archive-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where fetched evidence is archived (WARC, text, index). Default: .provenance/archive."
    " Example: --archive-dir /data/evidence",
)

_CACHE_DIR_OPTION = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the last verdict per URL is cached. Default: .provenance/cache."
    " Example: --cache-dir /tmp/provenance-cache",
)

_QUIET_OPTION = click.option(
    "--quiet", "-q", is_flag=True, help="No progress and no summary on stderr. Example: -q"
)


@cli.command()
@click.argument("paths", nargs=-1)
@_SOURCES_OPTION
@_FORMAT_OPTION
@_OUTPUT_OPTION
@_REPORTS_DIR_OPTION
@_FAIL_UNDER_OPTION
@_FAIL_ON_OPTION
@_BASELINE_OPTION
@_CHANGED_SINCE_OPTION
@_NO_FETCH_OPTION
@_OFFLINE_OPTION
@_REFRESH_OPTION
@_ALLOW_PRIVATE_OPTION
@_CONCURRENCY_OPTION
@_HOST_CONCURRENCY_OPTION
@_HOST_INTERVAL_OPTION
@_TIMEOUT_OPTION
@_ARCHIVE_DIR_OPTION
@_CACHE_DIR_OPTION
@_QUIET_OPTION
@_DEBUG_OPTION
def check(
    paths: tuple[str, ...],
    sources: Path | None,
    formats: tuple[str, ...],
    output: str | None,
    reports_dir: Path | None,
    fail_under: float | None,
    fail_on: str | None,
    baseline: Path | None,
    changed_since: str | None,
    no_fetch: bool,
    offline: bool,
    refresh: bool,
    allow_private: bool,
    concurrency: int | None,
    host_concurrency: int | None,
    host_interval: int | None,
    timeout: float | None,
    archive_dir: Path | None,
    cache_dir: Path | None,
    quiet: bool,
    debug: bool,
) -> None:
    """Check documents' citations and claims, and write a coverage report.

    PATHS are files, directories or globs of .txt, .md and .html documents. With
    none, the project's documents are checked: the `paths` setting and every
    document sources.toml names.

    \b
    Examples:
      provenance check --no-fetch examples/factually-trump-putin.txt
      provenance check --format json -o - docs/ | jq .summary
      provenance check --fail-under 90 --fail-on never articles/
      provenance check --no-fetch --changed-since origin/main --baseline provenance-baseline.json
    """
    with _handle_errors(debug):
        root = Path.cwd()
        settings, _ = load_settings(root)
        gate = parse_fail_on(fail_on if fail_on is not None else settings.fail_on)
        threshold = fail_under if fail_under is not None else settings.fail_under
        if no_fetch and offline:
            raise UsageError("--no-fetch and --offline do not go together: choose one")
        mode = FetchMode.NONE if no_fetch else FetchMode.OFFLINE if offline else FetchMode.LIVE
        fetch_settings = _fetch_settings(
            settings,
            refresh=refresh or None,
            allow_private=allow_private or None,
            concurrency=concurrency,
            host_concurrency=host_concurrency,
            host_interval_ms=host_interval,
            total_timeout_s=timeout,
        )
        if baseline is None and settings.baseline is not None:
            baseline = root / settings.baseline
        accepted = None
        if baseline is not None:
            from provenance.baseline import load_baseline

            accepted = load_baseline(baseline)
        progress = None if quiet else _progress()
        evidence = EvidenceOptions(
            mode=mode,
            fetch=fetch_settings,
            archive_dir=archive_dir or root / settings.archive,
            cache_dir=cache_dir or root / settings.cache,
            on_progress=progress.fetched if progress else None,
        )
        checker: Callable[..., CheckResult] = run_check
        if changed_since is not None:
            from provenance.changes import check_changed

            checker = functools.partial(check_changed, ref=changed_since)
        with _tuned_gc():
            result = checker(
                list(paths),
                root=root,
                settings=settings,
                sources=sources,
                on_event=progress.checked if progress else None,
                evidence=evidence,
            )
            if progress is not None:
                progress.stop()
            if accepted is not None:
                from provenance.baseline import apply_baseline

                result.report = apply_baseline(result.report, accepted)
            _write_outputs(result.report, formats, output, reports_dir, settings, root, quiet)
            _annotate(result.report, formats)
        _report_errors(result)
        if result.report.fetch.offline and mode is FetchMode.LIVE and not quiet:
            click.echo(
                "provenance: the network looks down (every host failed to connect):"
                " no source was marked dead",
                err=True,
            )
        raise _Failure(_exit_code(result, gate, threshold, quiet))


def _fetch_settings(settings: Settings, **overrides: object) -> FetchSettings:
    """The configured fetch settings with the options given on the command line."""
    return settings.fetch.model_copy(update={k: v for k, v in overrides.items() if v is not None})


@cli.command()
@click.argument("paths", nargs=-1)
@_SOURCES_OPTION
@_FORMAT_OPTION
@_OUTPUT_OPTION
@_REPORTS_DIR_OPTION
@_FAIL_ON_OPTION
@_OFFLINE_OPTION
@_ALLOW_PRIVATE_OPTION
@_CONCURRENCY_OPTION
@_HOST_CONCURRENCY_OPTION
@_HOST_INTERVAL_OPTION
@_TIMEOUT_OPTION
@_ARCHIVE_DIR_OPTION
@_CACHE_DIR_OPTION
@click.option(
    "--due",
    type=click.FloatRange(0, None),
    default=None,
    metavar="DAYS",
    help="Fetch only sources whose last audit is older than DAYS; the others are judged from"
    " the archive. Default: every source. Example: --due 7",
)
@click.option(
    "--dead-after",
    type=click.IntRange(1, 1000),
    default=None,
    metavar="N",
    help="Failed audits before a source is dead (before that it is suspect). Default: 3."
    " Example: --dead-after 5",
)
@click.option(
    "--dead-spacing",
    type=click.FloatRange(0, None),
    default=None,
    metavar="DAYS",
    help="Minimum days between the failures that count towards dead. Default: 3."
    " Example: --dead-spacing 7",
)
@click.option(
    "--drift-threshold",
    type=click.FloatRange(0, 1),
    default=None,
    metavar="SIMILARITY",
    help="A source whose text is less similar than this (0..1) to the as-cited snapshot has"
    f" drifted. Default: {DEFAULT_DRIFT_THRESHOLD:g}. Example: --drift-threshold 0.6",
)
@click.option(
    "--support-threshold",
    type=click.FloatRange(0, 1),
    default=None,
    metavar="SCORE",
    help="A claim whose best passage in a cited source scores under this (0..1) is weakly"
    f" supported. Default: {DEFAULT_SUPPORT_THRESHOLD:g}. Example: --support-threshold 0.4",
)
@click.option(
    "--wayback-lookup",
    is_flag=True,
    help="Ask the Web Archive's availability API for the capture nearest each as-cited date"
    " of a dead or drifted source (off by default). Example: --wayback-lookup",
)
@click.option(
    "--write-archive-urls",
    is_flag=True,
    help="Record the archive URL of each dead or drifted source in sources.toml (archived_url,"
    " archived_at), changing nothing else in the file. Example: --write-archive-urls",
)
@_QUIET_OPTION
@_DEBUG_OPTION
def audit(
    paths: tuple[str, ...],
    sources: Path | None,
    formats: tuple[str, ...],
    output: str | None,
    reports_dir: Path | None,
    fail_on: str | None,
    offline: bool,
    allow_private: bool,
    concurrency: int | None,
    host_concurrency: int | None,
    host_interval: int | None,
    timeout: float | None,
    archive_dir: Path | None,
    cache_dir: Path | None,
    due: float | None,
    dead_after: int | None,
    dead_spacing: float | None,
    drift_threshold: float | None,
    support_threshold: float | None,
    wayback_lookup: bool,
    write_archive_urls: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Re-check cited sources for rot, drift, lost quotes and weak support.

    Every cited source (or, with --due, those not audited lately) is fetched
    afresh and archived; the audit history in the archive says which are
    suspect and which are dead; each is compared with its as-cited snapshot.
    Writes reports/audit.md and reports/audit.json unless --output is given.

    \b
    Examples:
      provenance audit --due 7 articles/
      provenance audit --fail-on dead-source,drifted-source,quote-removed,weak-support
      provenance audit --write-archive-urls --wayback-lookup
    """
    with _handle_errors(debug):
        from provenance.audit import AuditOptions, RotPolicy, run_audit

        root = Path.cwd()
        settings, _ = load_settings(root)
        gate = parse_fail_on(fail_on if fail_on is not None else settings.fail_on)
        configured = settings.audit
        spacing = dead_spacing if dead_spacing is not None else configured.dead_spacing_days
        options = AuditOptions(
            policy=RotPolicy(
                failures=dead_after or configured.dead_after,
                spacing=dt.timedelta(days=spacing),
            ),
            due_days=due,
            drift_threshold=_first(
                drift_threshold, configured.drift_threshold, DEFAULT_DRIFT_THRESHOLD
            ),
            support_threshold=_first(
                support_threshold, configured.support_threshold, DEFAULT_SUPPORT_THRESHOLD
            ),
            wayback_lookup=wayback_lookup,
            wayback_api=configured.wayback_api,
            write_archive_urls=write_archive_urls,
        )
        progress = None if quiet else _progress()
        evidence = EvidenceOptions(
            mode=FetchMode.OFFLINE if offline else FetchMode.LIVE,
            fetch=_fetch_settings(
                settings,
                allow_private=allow_private or None,
                concurrency=concurrency,
                host_concurrency=host_concurrency,
                host_interval_ms=host_interval,
                total_timeout_s=timeout,
            ),
            archive_dir=archive_dir or root / settings.archive,
            cache_dir=cache_dir or root / settings.cache,
            on_progress=progress.fetched if progress else None,
        )
        result = run_audit(
            list(paths),
            root=root,
            settings=settings,
            sources=sources,
            evidence=evidence,
            options=options,
            on_event=progress.checked if progress else None,
        )
        if progress is not None:
            progress.stop()
        _write_outputs(
            result.report, formats, output, reports_dir, settings, root, quiet, AUDIT_FILES
        )
        _report_errors(result)
        if result.write_back is not None and not quiet:
            for source_id in result.write_back.written:
                click.echo(f"provenance: wrote archived_url for {source_id}", err=True)
            for source_id, why in result.write_back.refused.items():
                click.echo(f"provenance: cannot write back {source_id}: {why}", err=True)
        if result.report.fetch.offline and not offline and not quiet:
            click.echo(
                "provenance: the network looks down (every host failed to connect):"
                " this audit counts no failure",
                err=True,
            )
        raise _Failure(_exit_code(result, gate, None, quiet))


def _first(*values: float | None) -> float:
    """The first value that is set."""
    return next(v for v in values if v is not None)


@contextlib.contextmanager
def _tuned_gc() -> Iterator[None]:
    """A check makes many short-lived objects and keeps few: let the collector look less.

    What start-up imported lives to the end, so it is frozen out of every collection;
    the youngest generation is collected every 10,000 allocations instead of 700. This
    cut about a tenth of a --no-fetch run's CPU time. The CLI owns the process, so it
    sets this (and puts it back: tests run the CLI in-process); the library does not.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _progress() -> _Progress | None:
    return _Progress() if sys.stderr.isatty() else None


class _Progress:
    """Rich progress bars on stderr, drawn from the library's events."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, TaskID

        self._bar = Progress(console=Console(stderr=True), transient=True)
        self._tasks: dict[str, TaskID] = {}
        self._started = False

    def _update(self, name: str, done: int, total: int, description: str) -> None:
        if not self._started:
            self._bar.start()
            self._started = True
        if name not in self._tasks:
            self._tasks[name] = self._bar.add_task(name, total=total)
        self._bar.update(self._tasks[name], completed=done, total=total, description=description)

    def checked(self, event: CheckEvent) -> None:
        """One document done."""
        self._update("documents", event.done, event.total, f"reading {event.path}")

    def fetched(self, event: FetchProgress) -> None:
        """One URL done."""
        self._update(f"fetch-{event.phase}", event.done, event.total, f"{event.phase}: {event.url}")

    def stop(self) -> None:
        """Clear the bars."""
        if self._started:
            self._bar.stop()


def _write_outputs(
    report: Report,
    formats: tuple[str, ...],
    output: str | None,
    reports_dir: Path | None,
    settings: Settings,
    root: Path,
    quiet: bool,
    files: dict[str, str] = REPORT_FILES,
) -> None:
    if output is not None:
        chosen = formats or ("text",)
        chunks = (chunk for name in chosen for chunk in FORMATS[name](report))
        if output == "-":
            for chunk in chunks:
                click.echo(chunk, nl=False)
        else:
            _write_file(Path(output), chunks)
        return
    directory = reports_dir if reports_dir is not None else root / settings.reports
    written = _write_reports(report, formats or DEFAULT_REPORTS, directory, root, files)
    for chunk in FORMATS["text"](report):
        click.echo(chunk, nl=False)
    if not quiet:
        click.echo(f"Reports: {', '.join(written)}", err=True)


def _write_reports(
    report: Report,
    formats: Sequence[str],
    directory: Path,
    root: Path,
    files: dict[str, str] = REPORT_FILES,
) -> list[str]:
    """Write each format to its file in ``directory``; return the paths as shown."""
    written = []
    for name in formats:
        path = directory / files[name]
        _write_file(path, FORMATS[name](report))
        written.append(_shown(path, root))
    return written


def _annotate(report: Report, formats: tuple[str, ...]) -> None:
    """In GitHub Actions, annotate the new findings (on stderr: stdout may carry a report)."""
    if os.environ.get("GITHUB_ACTIONS") == "true" and "github" not in formats:
        for chunk in FORMATS["github"](report):
            click.echo(chunk, nl=False, err=True)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _write_file(path: Path, chunks: Iterable[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            out.writelines(chunks)
    except OSError as exc:
        raise InputError(
            f"cannot write the report: {exc.strerror or exc}", path=str(path)
        ) from None


def _report_errors(result: CheckResult | AuditResult) -> None:
    for error in result.errors:
        click.echo(f"provenance: error: {error.one_line()}", err=True)


def _exit_code(
    result: CheckResult | AuditResult,
    gate: frozenset[RuleId] | Severity | None,
    threshold: float | None,
    quiet: bool,
) -> ExitCode:
    if result.errors:
        return ExitCode.INPUT_ERROR
    failing = sum(1 for _ in result.report.iter_failing(gate))
    coverage = result.report.summary.coverage
    under = threshold is not None and coverage is not None and coverage * 100 < threshold
    if not quiet and under:
        click.echo(
            f"provenance: coverage {coverage:.1%} is under --fail-under {threshold:g}%", err=True
        )
    if not quiet and failing:
        noun = "finding fails" if failing == 1 else "findings fail"
        click.echo(f"provenance: {failing} {noun} the gate (--fail-on)", err=True)
    return ExitCode.GATE_FAILED if failing or under else ExitCode.OK


@cli.command("baseline")
@click.argument("paths", nargs=-1)
@click.option(
    "--sources",
    "sources",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The sources file. Default: sources.toml in the project root. Example: --sources"
    " refs/sources.toml",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where to write the baseline. Default: the `baseline` setting, else {DEFAULT_BASELINE}."
    " Example: -o .provenance-baseline.json",
)
@click.option(
    "--no-fetch",
    is_flag=True,
    help="Record citation and claim findings only; fetch no source. Example: --no-fetch",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Judge sources from the archive alone, without the network. Example: --offline",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow URLs on loopback, private and link-local addresses. Example: --allow-private",
)
@click.option(
    "--quiet", "-q", is_flag=True, help="No progress and no summary on stderr. Example: -q"
)
@_DEBUG_OPTION
def baseline_(
    paths: tuple[str, ...],
    sources: Path | None,
    output: Path | None,
    no_fetch: bool,
    offline: bool,
    allow_private: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Record today's findings so `check --baseline` fails only on new ones.

    Checks PATHS (or the whole project) as `provenance check` does and writes every
    finding's fingerprint (rule, path and normalised sentence; no line numbers) to the
    baseline file. Commit it; regenerate it when you choose to accept new findings.

    \b
    Examples:
      provenance baseline --no-fetch
      provenance check --no-fetch --baseline provenance-baseline.json
    """
    with _handle_errors(debug):
        root = Path.cwd()
        settings, _ = load_settings(root)
        if no_fetch and offline:
            raise UsageError("--no-fetch and --offline do not go together: choose one")
        mode = FetchMode.NONE if no_fetch else FetchMode.OFFLINE if offline else FetchMode.LIVE
        fetch_settings = settings.fetch
        if allow_private:
            fetch_settings = fetch_settings.model_copy(update={"allow_private": True})
        evidence = EvidenceOptions(
            mode=mode,
            fetch=fetch_settings,
            archive_dir=root / settings.archive,
            cache_dir=root / settings.cache,
        )
        result = run_check(
            list(paths), root=root, settings=settings, sources=sources, evidence=evidence
        )
        from provenance.baseline import make_baseline, render_baseline

        target = output or root / (settings.baseline or DEFAULT_BASELINE)
        recorded = make_baseline(result.report)
        _write_file(target, [render_baseline(recorded)])
        _report_errors(result)
        if not quiet:
            click.echo(
                f"provenance: recorded {len(recorded.findings)} findings in {_shown(target, root)}",
                err=True,
            )
        raise _Failure(ExitCode.INPUT_ERROR if result.errors else ExitCode.OK)


@cli.command()
@click.argument("report", metavar="REPORT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "-f",
    "formats",
    type=click.Choice(sorted(FORMATS)),
    multiple=True,
    help="Format to render; repeatable. Default: text. Example: --format sarif",
)
@click.option(
    "--output",
    "-o",
    default="-",
    metavar="FILE|-",
    help="Write here; '-' (the default) is stdout. Example: -o results.sarif",
)
@click.option(
    "--reports-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write each format to its usual file in this directory instead (coverage.html,"
    " coverage.sarif...). Example: --reports-dir reports",
)
@click.option(
    "--baseline",
    "baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Mark the findings recorded in this baseline as baselined. Example: --baseline"
    " provenance-baseline.json",
)
@_DEBUG_OPTION
def render(
    report: Path,
    formats: tuple[str, ...],
    output: str,
    reports_dir: Path | None,
    baseline: Path | None,
    debug: bool,
) -> None:
    """Render a saved JSON report in other formats, without checking or fetching again.

    \b
    Examples:
      provenance render reports/coverage.json --format sarif -o coverage.sarif
      provenance render reports/coverage.json -f html -f junit --reports-dir reports
    """
    with _handle_errors(debug):
        from provenance.baseline import apply_baseline, load_baseline
        from provenance.models import load_report

        loaded = load_report(report)
        if baseline is not None:
            loaded = apply_baseline(loaded, load_baseline(baseline))
        chosen = formats or ("text",)
        if reports_dir is not None:
            written = _write_reports(loaded, chosen, reports_dir, Path.cwd())
            click.echo(f"Reports: {', '.join(written)}", err=True)
        else:
            chunks = (chunk for name in chosen for chunk in FORMATS[name](loaded))
            if output == "-":
                for chunk in chunks:
                    click.echo(chunk, nl=False)
            else:
                _write_file(Path(output), chunks)


@cli.group()
def sources() -> None:
    """Work with sources.toml.

    \b
    Example:
      provenance sources import articles/*.md
    """


@sources.command("import")
@click.argument("documents", nargs=-1, required=True)
@click.option(
    "--sources",
    "sources_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("sources.toml"),
    show_default=True,
    help="The sources file to append to. Example: --sources refs.toml",
)
@click.option(
    "--debug", is_flag=True, help="Show the traceback of an internal error. Example: --debug"
)
def import_(documents: tuple[str, ...], sources_path: Path, debug: bool) -> None:
    """Append documents' own reference lists to sources.toml (never overwriting).

    \b
    Example:
      provenance sources import articles/*.md
    """
    with _handle_errors(debug):
        from provenance.importer import import_references

        result = import_references(list(documents), sources=sources_path, root=Path.cwd())
        for entry in result.added:
            click.echo(f"added {entry.document} [{entry.key}] {entry.url}")
        for entry in result.skipped:
            reason = "no URL" if entry.url is None else "already in sources.toml"
            click.echo(f"skipped {entry.document} [{entry.key}]: {reason}", err=True)
        for error in result.errors:
            click.echo(f"provenance: error: {error.one_line()}", err=True)
        click.echo(f"{len(result.added)} added, {len(result.skipped)} skipped", err=True)
        raise _Failure(ExitCode.INPUT_ERROR if result.errors else ExitCode.OK)


_ARCHIVE_OPTION = click.option(
    "--archive-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The evidence archive. Default: .provenance/archive. Example: --archive-dir evidence",
)


def _open_store(archive_dir: Path | None) -> SnapshotStore:
    from provenance.archive import SnapshotStore

    root = Path.cwd()
    settings, _ = load_settings(root)
    directory = archive_dir or root / settings.archive
    if not (directory / "index.sqlite3").exists():
        raise UsageError(
            f"no archive at {directory}; run `provenance check` first (or pass --archive-dir)"
        )
    # An archive the user cannot write (a CI artefact, another user's) is still readable.
    writable = os.access(directory, os.W_OK) and os.access(directory / "index.sqlite3", os.W_OK)
    return SnapshotStore(directory, read_only=not writable)


@cli.command()
@click.argument("url", required=False)
@_ARCHIVE_OPTION
@_DEBUG_OPTION
def snapshots(url: str | None, archive_dir: Path | None, debug: bool) -> None:
    """List the archived snapshots of URL, oldest first (with no URL: every URL archived).

    \b
    Examples:
      provenance snapshots
      provenance snapshots https://example.org/report
    """
    with _handle_errors(debug), _open_store(archive_dir) as store:
        if url is None:
            for known in store.urls():
                click.echo(known)
            raise _Failure(ExitCode.OK)
        history = store.history(url)
        if not history:
            raise UsageError(f"no snapshot of {url} in the archive")
        for snap in history:
            status = snap.http_status if snap.http_status is not None else "-"
            digest = snap.digest or "-"
            click.echo(
                f"{snap.captured_at:%Y-%m-%dT%H:%M:%SZ}  {status!s:>3}  {snap.verdict.value:<12}"
                f" {snap.reason.value:<16} {digest}  {snap.final_url or snap.url}"
            )


@cli.command()
@click.argument("target", metavar="URL|DIGEST")
@_ARCHIVE_OPTION
@_DEBUG_OPTION
def show(target: str, archive_dir: Path | None, debug: bool) -> None:
    """Print the archived text of a URL's latest snapshot, or of a payload digest.

    \b
    Examples:
      provenance show https://example.org/report
      provenance show sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    """
    with _handle_errors(debug), _open_store(archive_dir) as store:
        snap = store.find(target)
        if snap is None:
            raise UsageError(f"nothing in the archive matches {target}")
        text = store.text(snap)
        if text is None:
            raise UsageError(f"the snapshot of {snap.url} has no text ({snap.text_status.value})")
        click.echo(text)


@cli.group()
def archive() -> None:
    """Look after the evidence archive.

    \b
    Example:
      provenance archive verify
    """


@archive.command()
@_ARCHIVE_OPTION
@_DEBUG_OPTION
def verify(archive_dir: Path | None, debug: bool) -> None:
    """Check that every indexed snapshot resolves to a complete record with the right digest.

    Exits 0 when the archive is whole, 1 when anything is wrong (each problem on a line).

    \b
    Example:
      provenance archive verify --archive-dir .provenance/archive
    """
    with _handle_errors(debug), _open_store(archive_dir) as store:
        report = store.verify()
        for problem in report.problems:
            click.echo(problem.one_line())
        click.echo(
            f"{report.snapshots_checked} snapshots in {report.files_checked} WARC files checked:"
            f" {'ok' if report.ok else f'{len(report.problems)} problems'}",
            err=True,
        )
        raise _Failure(ExitCode.OK if report.ok else ExitCode.GATE_FAILED)


@cli.command()
def rules() -> None:
    """List every rule id with its default severity and meaning.

    \b
    Example:
      provenance rules
    """
    for rule in RULES.values():
        click.echo(f"{rule.id.value:<20} {rule.severity.label:<8} {rule.summary}")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the JSON report.

    \b
    Example:
      provenance schema > report.schema.json
    """
    click.echo(json.dumps(Report.model_json_schema(), indent=2))


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` and return the exit code (for tests and embedding)."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="provenance",
            standalone_mode=False,
        )
    except _Failure as failure:
        return int(failure.code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("provenance: aborted", err=True)
        return int(ExitCode.INTERNAL_ERROR)
    except click.UsageError as exc:
        exc.show()
        return int(ExitCode.INPUT_ERROR)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.INPUT_ERROR)
    return int(ExitCode.OK)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the ``provenance`` console script."""
    _skip_httpx_cli()
    sys.exit(run(argv))


def _skip_httpx_cli() -> None:
    """Keep ``import httpx`` from importing httpx's own command line in this process.

    httpx imports ``httpx._main`` (its ``httpx`` command: rich's console and syntax
    highlighting, pygments' lexers; ~50 ms, a sixth of the fetch machinery's imports)
    whenever those are installed, as they are beside provenance; the ``provenance``
    command never runs it. ``None`` in ``sys.modules`` makes that import fail, and httpx
    falls back to the stub it defines for a missing CLI. Only the console script does
    this: a program embedding provenance (``run``) keeps its httpx as it is.
    """
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
