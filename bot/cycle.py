"""A program's cycle: its phases placed from the cycle's start, and a cohort's dated calendar.

A program file's `[calendar]` gives one cycle as phases (the call, selection, orientation, the working
period, sessions, peer groups, surveys), each from one month-day to another. A month-day falls in the
year the work begins, or "next year" or "previous year". The cycle's start is the first day of the
working period (`work`); a cohort starting on another day shifts the whole cycle, so phases keep their
order and lengths. A phase may close at an hour in a named zone ("23:59", "America/Los_Angeles"): a
deadline is then one instant, the same for everyone. A phase without an hour closes when its last day
has ended everywhere on Earth, and opens when its first day has begun somewhere.

A cohort keeps its phases as ISO dates in `Cohort.calendar["phases"]`, which coordinators may move.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import _
from bot.timezones import date_span, deadline_words, long_date

YEAR_DAY = re.compile(r"^(\d\d)-(\d\d)(?: (next|previous) year)?$")
YEAR_OFFSETS = {None: 0, "next": 1, "previous": -1}
LONGEST_PHASE = timedelta(days=366)  # a phase of one cycle lasts at most a year
EARLIEST_ZONE = timedelta(hours=14)  # UTC+14: where a day begins first
LATEST_ZONE = timedelta(hours=12)  # UTC-12: where a day ends last ("anywhere on Earth")


@dataclass(frozen=True)
class YearDay:
    """A month-day in the year the work begins, or the year after or before it."""

    month: int
    day: int
    years: int = 0  # -1, 0 or 1

    def in_cycle(self, work_year: int) -> date:
        year = work_year + self.years
        day = min(self.day, 28) if (self.month, self.day) == (2, 29) and not _leap(year) else self.day
        return date(year, self.month, day)

    def __str__(self) -> str:
        suffix = {1: " next year", -1: " previous year"}.get(self.years, "")
        return f"{self.month:02d}-{self.day:02d}{suffix}"


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def parse_year_day(text: str) -> YearDay | None:
    match = YEAR_DAY.match(" ".join(text.split()))
    if not match:
        return None
    month, day = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)):
        return None
    return YearDay(month, day, YEAR_OFFSETS[match[3]])


@dataclass(frozen=True)
class PhaseRule:
    """One phase as the program file gives it."""

    id: str
    name: str
    opens: YearDay
    closes: YearDay
    closes_at: time | None = None  # a deadline's hour, in `zone`
    zone: str | None = None


@dataclass(frozen=True)
class CalendarRules:
    """A program's cycle: its phases in file order and the one that is the working period."""

    phases: tuple[PhaseRule, ...]
    work: str

    def rule(self, phase_id: str) -> PhaseRule | None:
        return next((phase for phase in self.phases if phase.id == phase_id), None)

    def place(self, starts_on: date) -> dict[str, Any]:
        """The cohort calendar (JSON) of a cycle whose work begins on `starts_on`."""
        work = self.rule(self.work)
        assert work is not None, "a validated program names its work phase"
        nominal = work.opens.in_cycle(starts_on.year)
        shift = starts_on - nominal
        phases = {}
        for phase in self.phases:
            dated = DatedPhase(
                phase.id,
                phase.name,
                phase.opens.in_cycle(starts_on.year) + shift,
                phase.closes.in_cycle(starts_on.year) + shift,
                phase.closes_at,
                phase.zone,
            )
            phases[phase.id] = dated.as_json()
        return {"phases": phases}


@dataclass(frozen=True)
class DatedPhase:
    """A phase of one cohort with real dates."""

    id: str
    name: str
    opens: date
    closes: date
    closes_at: time | None = None
    zone: str | None = None

    @property
    def opening(self) -> datetime:
        """The first instant of the phase: its first day's start in its zone, else where days begin first."""
        if self.zone:
            return datetime.combine(self.opens, time(0), ZoneInfo(self.zone)).astimezone(UTC)
        return datetime.combine(self.opens, time(0), UTC) - EARLIEST_ZONE

    @property
    def deadline(self) -> datetime:
        """The instant it closes: the deadline's minute has passed, else its last day has ended everywhere."""
        if self.closes_at is not None and self.zone:
            at = datetime.combine(self.closes, self.closes_at, ZoneInfo(self.zone)).astimezone(UTC)
            return at + timedelta(minutes=1)
        return datetime.combine(self.closes + timedelta(days=1), time(0), UTC) + LATEST_ZONE

    def is_open(self, now: datetime) -> bool:
        return self.opening <= now < self.deadline

    def words(self, reader_zone: str | None) -> str:
        """ "1 July to 26 August 2027", and for a deadline with an hour when it closes, in the reader's zone
        and the zone it was set in."""
        days = date_span(self.opens, self.closes)
        if self.closes_at is None:
            return days
        return _("{dates}, closing {deadline}").format(
            dates=days, deadline=deadline_words(self.deadline, self.zone, reader_zone)
        )

    def closing(self, reader_zone: str | None) -> str:
        """When it closes, to follow "closes": "on 26 August 2027 at 23:59 (America/Los_Angeles), that is
        ... your time" for a deadline with an hour, else "at the end of 22 April 2027"."""
        if self.closes_at is None:
            return _("at the end of {date}").format(date=long_date(self.closes))
        return _("on {deadline}").format(deadline=deadline_words(self.deadline, self.zone, reader_zone))

    def has_day(self, day: date) -> bool:
        return self.opens <= day <= self.closes

    def moved(self, opens: date, closes: date) -> "DatedPhase":
        return DatedPhase(self.id, self.name, opens, closes, self.closes_at, self.zone)

    def as_json(self) -> dict[str, str]:
        found = {"name": self.name, "opens": self.opens.isoformat(), "closes": self.closes.isoformat()}
        if self.closes_at is not None and self.zone:
            found |= {"closes_at": self.closes_at.strftime("%H:%M"), "zone": self.zone}
        return found

    @classmethod
    def from_json(cls, phase_id: str, data: dict[str, str]) -> "DatedPhase":
        closes_at = time.fromisoformat(data["closes_at"]) if data.get("closes_at") else None
        return cls(
            phase_id,
            data.get("name") or phase_id,
            date.fromisoformat(data["opens"]),
            date.fromisoformat(data["closes"]),
            closes_at,
            data.get("zone"),
        )


def dated_phases(calendar: dict[str, Any] | None) -> dict[str, DatedPhase]:
    """A cohort's phases, by id, in the order they open."""
    phases = [DatedPhase.from_json(key, value) for key, value in ((calendar or {}).get("phases") or {}).items()]
    return {phase.id: phase for phase in sorted(phases, key=lambda p: (p.opens, p.closes))}


def dated_phase(calendar: dict[str, Any] | None, phase_id: str | None) -> DatedPhase | None:
    if phase_id is None:
        return None
    data = ((calendar or {}).get("phases") or {}).get(phase_id)
    return DatedPhase.from_json(phase_id, data) if data else None


def with_phase(calendar: dict[str, Any], phase: DatedPhase) -> dict[str, Any]:
    """A copy of a cohort calendar with one phase replaced (a new dict, so SQLAlchemy sees the change)."""
    return {**calendar, "phases": {**calendar.get("phases", {}), phase.id: phase.as_json()}}


@dataclass(frozen=True)
class PhaseUses:
    """What a program does in which phase: the rules that tie the phases together."""

    work: str
    application: str | None
    one_to_one: str | None
    peer_groups: str | None
    surveys: tuple[tuple[str, str], ...]  # (survey id, phase id)


def contradictions(phases: dict[str, DatedPhase], uses: PhaseUses) -> list[str]:
    """What does not fit in one cycle's dated phases, each sentence naming the phase; empty if all fits."""
    problems = []
    for phase in phases.values():
        if phase.closes < phase.opens:
            problems.append(f"phase '{phase.id}' closes ({phase.closes}) before it opens ({phase.opens})")
        elif phase.closes - phase.opens >= LONGEST_PHASE:
            problems.append(f"phase '{phase.id}' lasts longer than the one-year cycle")
    work = phases.get(uses.work)
    if work is None:
        return [*problems, f"the working period '{uses.work}' is not one of the phases"]
    call = phases.get(uses.application) if uses.application else None
    if call is not None and call.closes >= work.opens:
        problems.append(f"phase '{call.id}' (the call) must close before the work begins ({work.opens})")
    for use, phase_id in (("one-to-one sessions", uses.one_to_one), ("peer groups", uses.peer_groups)):
        phase = phases.get(phase_id) if phase_id else None
        if phase is not None and not (work.opens <= phase.opens and phase.closes <= work.closes):
            problems.append(
                f"phase '{phase.id}' ({use}) must lie inside the working period '{work.id}' "
                f"({work.opens} to {work.closes})"
            )
    for survey_id, phase_id in uses.surveys:
        phase = phases.get(phase_id)
        if phase is not None and phase.closes < work.opens:
            problems.append(f"phase '{phase.id}' (survey '{survey_id}') closes before the work begins ({work.opens})")
    return problems
