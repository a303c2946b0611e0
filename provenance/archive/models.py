"""Typed answers of the evidence archive: one snapshot of a URL, and a verification report.

These cross the archive's boundary (the check pipeline and the CLI read them), so
they are frozen pydantic models. Digests follow the convention of
``provenance.fetch.models.FetchResult``: ``sha256:<hex>``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from provenance.fetch.models import Reason, Redirect, Verdict

__all__ = ["AuditCheck", "Snapshot", "TextStatus", "VerifyProblem", "VerifyReport"]


class TextStatus(enum.StrEnum):
    """What became of the readable text of a snapshot's payload."""

    EXTRACTED = "extracted"  # a text is kept (it may be empty: a page with no words)
    NO_PAYLOAD = "no-payload"  # nothing to read: a failed fetch, or an empty body
    UNSUPPORTED_TYPE = "unsupported-type"  # images, JSON, archives...: no text by design
    UNDECODABLE = "undecodable"  # unknown or corrupt content-encoding, unreadable PDF
    TOO_LARGE = "too-large"  # the decoded payload exceeds the extraction cap
    PDF_UNAVAILABLE = "pdf-unavailable"  # a PDF, but the optional ``pypdf`` is not installed


class Snapshot(BaseModel):
    """One fetch of one URL as the archive remembers it.

    A fetch that got an HTTP response points at its WARC record (``warc_path``,
    ``offset``, ``length``: the ``response`` record, or the ``revisit`` record
    when the payload was unchanged). A fetch that got no response at all
    (timeout, DNS error) has no record: ``warc_path`` is ``None`` and ``error``
    says what happened.

    ``digest`` is ``sha256:<hex>`` of the decoded payload (content-encoding
    removed), the same value as ``FetchResult.digest``; ``payload_digest`` is
    ``sha256:<hex>`` of the payload as archived (content-encoding still applied),
    the value the WARC record's ``WARC-Payload-Digest`` states in base32.
    ``text_path`` says where the extracted text is: ``index.sqlite3#texts/<hex>`` (a row of
    the index, ``<hex>`` the sha256 of the text) or, in archives written before the index
    held texts, ``text/<xx>/<hex>.txt`` (a file under the archive root).
    ``text_digest`` is ``sha256:<hex>`` of the text's UTF-8 bytes as written
    (``None`` for snapshots indexed before the archive kept it).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    url: str
    normalized_url: str
    captured_at: datetime
    http_status: int | None = None
    verdict: Verdict
    reason: Reason
    final_url: str | None = None
    redirects: tuple[Redirect, ...] = ()
    digest: str | None = None
    payload_digest: str | None = None
    warc_path: str | None = None
    offset: int | None = None
    length: int | None = None
    text_path: str | None = None
    text_status: TextStatus = TextStatus.NO_PAYLOAD
    title: str | None = None
    content_type: str | None = None
    size: int | None = None
    is_revisit: bool = False
    text_digest: str | None = None
    error: str | None = None

    @property
    def archived(self) -> bool:
        """The fetch got an HTTP response, stored as a WARC record."""
        return self.warc_path is not None


class AuditCheck(BaseModel):
    """What one ``provenance audit`` run observed of one URL.

    ``reason`` ``offline`` means the network, not the source, failed: such a check
    never counts as a failure of the source.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    url: str
    normalized_url: str
    checked_at: datetime
    verdict: Verdict
    reason: Reason
    http_status: int | None = None
    digest: str | None = None

    @property
    def offline(self) -> bool:
        """The network was down: the check says nothing about the source."""
        return self.reason is Reason.OFFLINE


class VerifyProblem(BaseModel):
    """One thing ``SnapshotStore.verify`` found wrong, located as precisely as it can be."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    message: str
    url: str | None = None
    warc_path: str | None = None
    offset: int | None = None

    def one_line(self) -> str:
        """Render as ``warc_path@offset: url: message`` (omitting what is unknown)."""
        where = ""
        if self.warc_path is not None:
            where = self.warc_path if self.offset is None else f"{self.warc_path}@{self.offset}"
            where += ": "
        if self.url is not None:
            where += f"{self.url}: "
        return where + self.message


class VerifyReport(BaseModel):
    """What ``SnapshotStore.verify`` checked and every problem it found."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    snapshots_checked: int
    files_checked: int
    problems: tuple[VerifyProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """Every indexed snapshot resolved to a complete record with the right digest."""
        return not self.problems
