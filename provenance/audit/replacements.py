"""Replacements for dead or drifted sources: the local snapshot and a Web Archive copy.

``wayback_url`` builds the Web Archive address for a date (the Web Archive
redirects it to its nearest capture); ``lookup_wayback`` optionally asks the
availability API which capture is nearest; ``write_archive_urls`` records the
chosen copy in sources.toml as ``archived_url``/``archived_at``, editing only
those two keys of those records (tomlkit keeps comments, order and formatting)
and replacing the file atomically.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from provenance.errors import SourcesError
from provenance.sources import SourceRecord
from provenance.tomlwrite import replace_toml

if TYPE_CHECKING:
    import httpx

    from provenance.fetch.settings import FetchSettings

__all__ = [
    "DEFAULT_WAYBACK_API",
    "ArchiveCopy",
    "WriteBack",
    "lookup_wayback",
    "wayback_timestamp",
    "wayback_url",
    "write_archive_urls",
]

DEFAULT_WAYBACK_API = "https://archive.org/wayback/available"
_LOOKUP_CONCURRENCY = 4


def wayback_timestamp(moment: dt.datetime | dt.date) -> str:
    """``YYYYMMDDhhmmss`` in UTC; a date is its midnight."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime(moment.year, moment.month, moment.day, tzinfo=dt.UTC)
    elif moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y%m%d%H%M%S")


def wayback_url(url: str, moment: dt.datetime | dt.date) -> str:
    """``https://web.archive.org/web/<YYYYMMDDhhmmss>/<url>``."""
    return f"https://web.archive.org/web/{wayback_timestamp(moment)}/{url}"


def _parse_timestamp(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ArchiveCopy:
    """A Web Archive copy: its address and capture time; ``confirmed`` by the lookup API."""

    url: str
    captured_at: dt.datetime
    confirmed: bool = False


def lookup_wayback(
    wanted: Sequence[tuple[str, dt.datetime]],
    settings: FetchSettings,
    *,
    api: str = DEFAULT_WAYBACK_API,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, ArchiveCopy | None]:
    """Ask the availability API for the capture nearest each (url, moment).

    Returns url -> the nearest capture, or None when the API knows none or could
    not be asked (a lookup failure is not an error: the built URL still stands).
    """
    if not wanted:
        return {}
    from provenance.fetch.eventloop import run_loop

    return run_loop(lambda: _lookup_all(wanted, settings, api, transport))


async def _lookup_all(
    wanted: Sequence[tuple[str, dt.datetime]],
    settings: FetchSettings,
    api: str,
    transport: httpx.AsyncBaseTransport | None,
) -> dict[str, ArchiveCopy | None]:
    from provenance.fetch.client import make_client

    found: dict[str, ArchiveCopy | None] = {}
    limit = asyncio.Semaphore(_LOOKUP_CONCURRENCY)
    async with make_client(settings, transport) as client:

        async def one(url: str, moment: dt.datetime) -> None:
            async with limit:
                found[url] = await _lookup(client, api, url, moment)

        await asyncio.gather(*(one(url, moment) for url, moment in wanted))
    return found


async def _lookup(
    client: httpx.AsyncClient, api: str, url: str, moment: dt.datetime
) -> ArchiveCopy | None:
    import httpx

    params = {"url": url, "timestamp": wayback_timestamp(moment)}
    try:
        response = await client.get(api, params=params)
        if response.status_code != 200:
            return None
        data: Any = response.json()
    except (httpx.HTTPError, ValueError, OSError):
        return None
    closest = data.get("archived_snapshots", {}).get("closest") if isinstance(data, dict) else None
    if not isinstance(closest, dict) or not closest.get("available"):
        return None
    copy_url, stamp = closest.get("url"), closest.get("timestamp")
    captured = _parse_timestamp(stamp) if isinstance(stamp, str) else None
    if not isinstance(copy_url, str) or captured is None:
        return None
    return ArchiveCopy(copy_url.replace("http://", "https://", 1), captured, confirmed=True)


@dataclass(slots=True)
class WriteBack:
    """What ``write_archive_urls`` did: records written, and those it could not write."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already had an archived_url
    refused: dict[str, str] = field(default_factory=dict)  # record id -> why not


def write_archive_urls(
    path: Path,
    display: str,
    copies: Iterable[tuple[SourceRecord, ArchiveCopy]],
) -> WriteBack:
    """Record each copy as ``archived_url``/``archived_at`` of its record in sources.toml.

    Records that already have an ``archived_url`` are kept as they are. Records
    that do not live in ``path`` (a document's own reference list, a self-naming
    identifier) cannot be written back; ``refused`` says why. Everything else in
    the file stays byte for byte; the new file replaces the old atomically.
    """
    import tomlkit

    outcome = WriteBack()
    chosen = list(copies)
    if not chosen:
        return outcome
    try:
        old = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesError(f"cannot read: {exc.strerror or exc}", path=display) from None
    document = tomlkit.parse(old)
    for record, copy in chosen:
        table = _table_of(document, record, display)
        if isinstance(table, str):
            outcome.refused[record.id] = table
            continue
        if table.get("archived_url"):
            outcome.kept.append(record.id)
            continue
        table["archived_url"] = copy.url
        table["archived_at"] = copy.captured_at
        outcome.written.append(record.id)
    if outcome.written:
        replace_toml(path, display, tomlkit.dumps(document))
    return outcome


def _table_of(document: Any, record: SourceRecord, display: str) -> Any:
    """The TOML table holding ``record``, or why there is none in this file."""
    if record.origin_path != display:
        where = (
            "is a self-naming identifier"
            if record.origin == "identifier"
            else (f"is defined in {record.origin_path or record.origin}'s own reference list")
        )
        return f"{where}, not in {display}: add it to {display} to record an archive URL"
    if "#" not in record.id:
        table = document.get("sources", {}).get(record.id)
    else:
        doc_path, _, key = record.id.rpartition("#")
        table = None
        for name, doc_table in document.get("documents", {}).items():
            if PurePosixPath(name).as_posix().removeprefix("./") == doc_path:
                table = doc_table.get("sources", {}).get(key)
    if table is None or isinstance(table, str) or not hasattr(table, "get"):
        return f"not found in {display}"
    return table
