"""Rot confirmed over time: from what successive audits observed to a source's state.

One failed fetch proves little (a server restarting, a deploy, a flaky route), so a
source is ``dead`` only after ``failures`` failed audits spread at least ``spacing``
apart since it was last alive; before that it is ``suspect``. Checks made while the
network was down (``offline``) are skipped entirely: they count neither way. A
failure right after an alive check is never enough on its own, whatever the policy.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the report's models import this module; the archive is not needed
    from provenance.archive.models import AuditCheck

__all__ = [
    "DEFAULT_DEAD_AFTER",
    "DEFAULT_DEAD_SPACING_DAYS",
    "RotAssessment",
    "RotPolicy",
    "RotState",
    "assess_rot",
]

DEFAULT_DEAD_AFTER = 3
DEFAULT_DEAD_SPACING_DAYS = 3.0


class RotState(enum.StrEnum):
    """What the audit history says about a source."""

    ALIVE = "alive"  # the latest check got content
    SUSPECT = "suspect"  # failing, but not yet often or long enough to call it dead
    DEAD = "dead"  # failed ``failures`` times, ``spacing`` apart, since last alive
    UNVERIFIABLE = "unverifiable"  # the latest check could not tell (paywall, bot wall...)
    UNKNOWN = "unknown"  # never checked with the network up

    @property
    def is_dead(self) -> bool:
        """Confirmed rot."""
        return self is RotState.DEAD

    @property
    def is_failing(self) -> bool:
        """Suspect or dead: the latest check failed."""
        return self in (RotState.SUSPECT, RotState.DEAD)


@dataclass(frozen=True, slots=True)
class RotPolicy:
    """When failures add up to ``dead``: ``failures`` of them at least ``spacing`` apart."""

    failures: int = DEFAULT_DEAD_AFTER
    spacing: dt.timedelta = dt.timedelta(days=DEFAULT_DEAD_SPACING_DAYS)


@dataclass(frozen=True, slots=True)
class RotAssessment:
    """A source's rot state and the evidence for it.

    ``counted`` are the failures that count towards ``dead`` (spaced by the
    policy), ``failing_since`` the first failure of the current streak,
    ``last_alive`` the latest alive check, if any.
    """

    state: RotState
    counted: tuple[dt.datetime, ...] = ()
    failing_since: dt.datetime | None = None
    last_alive: dt.datetime | None = None
    needed: int = 0


def assess_rot(history: Sequence[AuditCheck], policy: RotPolicy) -> RotAssessment:
    """The rot state ``history`` (oldest first) adds up to under ``policy``."""
    checks = [c for c in history if not c.offline]
    last_alive = next((c.checked_at for c in reversed(checks) if c.verdict.is_alive), None)
    if not checks:
        return RotAssessment(RotState.UNKNOWN)
    latest = checks[-1]
    if latest.verdict.is_alive:
        return RotAssessment(RotState.ALIVE, last_alive=last_alive)
    if latest.verdict.is_unverifiable:
        return RotAssessment(RotState.UNVERIFIABLE, last_alive=last_alive)
    # The current streak: every check since the last alive one. Unverifiable checks
    # inside it (a timeout between two 404s) neither break it nor count.
    streak = [
        c.checked_at
        for c in checks
        if c.verdict.is_dead and (last_alive is None or c.checked_at > last_alive)
    ]
    counted = [streak[0]]
    for moment in streak[1:]:
        if moment - counted[-1] >= policy.spacing:
            counted.append(moment)
    # A failure on a URL that was alive last time is never a hard failure alone.
    needed = max(policy.failures, 2) if last_alive is not None else max(policy.failures, 1)
    state = RotState.DEAD if len(counted) >= needed else RotState.SUSPECT
    return RotAssessment(
        state,
        counted=tuple(counted),
        failing_since=streak[0],
        last_alive=last_alive,
        needed=needed,
    )
