"""Where a pair stands against its program's numbers: sessions held and booked, hours of contact, and pace.

What counts as held is the rule the report has always used: a session marked held, or booked and over
without a different outcome (no-show, rescheduled, cancelled).

People also report at check-ins how many meetings (or, where the program counts hours, how many hours)
they had "since the last check-in". Those may include meetings arranged outside the assistant, so they
count; but they also include the sessions booked here, so adding the two would count one meeting twice.
The rule: a check-in's answer covers the days since the pair's previous check-in. For each such period
the pair is credited with the larger of what was held here in that period and what was reported (the
larger of the two members' answers: both describe the same meetings). Sessions held after the latest
check-in count as held. A maximum (AAHSL's up to six) counts only what is booked or held here, as
booking does (bot/booking.py): it is what the assistant can still offer.

Pace: a program's minimum (sessions, or hours of contact) spread evenly over its sessions phase (or the
working period where it has none). A pair is behind when what it has done plus what it has booked is
less than floor(minimum x share of the phase elapsed). A program with only a maximum has no pace.
Everything for a whole cohort takes two queries (sessions, check-in answers), never one per pair.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cohorts import sessions_phase
from bot.cycle import DatedPhase
from bot.i18n import _, ngettext
from bot.program_rules import SessionRules
from bot.programs import Program
from storage.models import CheckIn, CoachingSession, Cohort, Pair


@dataclass(frozen=True)
class Progress:
    """One pair's figures. Hours are hours of contact: held sessions plus hours reported beyond them."""

    held: int = 0  # sessions held here (or booked and over)
    reported: int = 0  # meetings reported at check-ins beyond the sessions held here in the same period
    booked: int = 0  # booked here and still to come
    held_minutes: int = 0
    reported_hours: float = 0.0  # hours reported at check-ins beyond the held sessions of the same period
    booked_minutes: int = 0

    @property
    def sessions(self) -> int:
        """Meetings that took place: held here, plus those only reported."""
        return self.held + self.reported

    @property
    def hours(self) -> float:
        return self.held_minutes / 60 + self.reported_hours

    @property
    def used(self) -> int:
        """Sessions booked or held here: what counts against a maximum."""
        return self.held + self.booked

    def done_and_booked(self, rules: SessionRules) -> float:
        """What counts towards the pace: sessions (or hours) done plus booked."""
        if rules.minimum is None and rules.minimum_hours is not None:
            return self.hours + self.booked_minutes / 60
        return self.sessions + self.booked


NOTHING = Progress()


def _pair_ids(cohort_id: int) -> Select[tuple[int]]:
    return select(Pair.id).where(Pair.cohort_id == cohort_id)


async def cohort_progress(session: AsyncSession, cohort_id: int, now: datetime) -> dict[int, Progress]:
    """Every pair of the cohort that has any figure, by pair id (a pair missing has done nothing)."""
    return await _progress(session, _pair_ids(cohort_id), now)


async def pair_progress(session: AsyncSession, pair_id: int, now: datetime) -> Progress:
    return (await _progress(session, select(Pair.id).where(Pair.id == pair_id), now)).get(pair_id, NOTHING)


async def _progress(session: AsyncSession, pair_ids: Select[tuple[int]], now: datetime) -> dict[int, Progress]:
    sessions = (
        await session.execute(
            select(CoachingSession.pair_id, CoachingSession.status, CoachingSession.starts_at, CoachingSession.ends_at)
            .where(CoachingSession.pair_id.in_(pair_ids), CoachingSession.status.in_(("held", "booked")))
            .order_by(CoachingSession.pair_id)
        )
    ).all()
    answers = (
        await session.execute(
            select(CheckIn.pair_id, CheckIn.asked_on, CheckIn.sessions, CheckIn.hours)
            .where(CheckIn.pair_id.in_(pair_ids), CheckIn.answered_at.is_not(None))
            .order_by(CheckIn.pair_id, CheckIn.asked_on)
        )
    ).all()
    held: dict[int, list[tuple[date, int]]] = defaultdict(list)  # (day, minutes) of each held session
    booked: dict[int, list[int]] = defaultdict(list)
    for pair_id, status, starts_at, ends_at in sessions:
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        if status == "held" or ends_at <= now:
            held[pair_id].append((starts_at.date(), minutes))
        else:
            booked[pair_id].append(minutes)
    reports: dict[int, dict[date, tuple[int, float]]] = defaultdict(dict)  # pair -> check-in day -> most reported
    for pair_id, asked_on, count, hours in answers:
        before = reports[pair_id].get(asked_on, (0, 0.0))
        reports[pair_id][asked_on] = (max(before[0], count or 0), max(before[1], hours or 0.0))
    return {
        pair_id: _pair_figures(held[pair_id], booked[pair_id], reports[pair_id])
        for pair_id in set(held) | set(booked) | set(reports)
    }


def _pair_figures(held: list[tuple[date, int]], booked: list[int], reports: dict[date, tuple[int, float]]) -> Progress:
    """Reported meetings and hours beyond what was held here in the same check-in period (see the docstring)."""
    extra_sessions, extra_hours, previous = 0, 0.0, date.min
    for day in sorted(reports):
        count, hours = reports[day]
        in_period = [minutes for held_on, minutes in held if previous < held_on <= day]
        extra_sessions += max(0, count - len(in_period))
        extra_hours += max(0.0, hours - sum(in_period) / 60)
        previous = day
    return Progress(
        held=len(held),
        reported=extra_sessions,
        booked=len(booked),
        held_minutes=sum(minutes for _day, minutes in held),
        reported_hours=extra_hours,
        booked_minutes=sum(booked),
    )


# Pace


def pace_phase(cohort: Cohort, program: Program) -> DatedPhase | None:
    """The phase a program's minimum is spread over; None where there is no minimum to keep pace with."""
    rules = program.one_to_one
    if rules is None or (rules.minimum is None and rules.minimum_hours is None):
        return None
    return sessions_phase(cohort, program)


def expected_by(cohort: Cohort, program: Program, day: date) -> int | None:
    """floor(minimum x share of the phase elapsed by `day`); None outside the phase or with no minimum."""
    phase = pace_phase(cohort, program)
    rules = program.one_to_one
    if phase is None or rules is None or not phase.opens <= day <= phase.closes:
        return None
    minimum = rules.minimum if rules.minimum is not None else rules.minimum_hours
    assert minimum is not None
    share = (day - phase.opens).days / ((phase.closes - phase.opens).days + 1)
    return math.floor(minimum * share)


def is_behind(progress: Progress, rules: SessionRules, expected: int | None) -> bool:
    return expected is not None and progress.done_and_booked(rules) < expected


async def pairs_behind(
    session: AsyncSession, cohort: Cohort, program: Program, day: date, now: datetime
) -> dict[int, Progress]:
    """The cohort's active pairs behind pace on `day`, with their figures."""
    expected = expected_by(cohort, program, day)
    rules = program.one_to_one
    if expected is None or rules is None or expected == 0:
        return {}
    figures = await cohort_progress(session, cohort.id, now)
    active = (await session.execute(select(Pair.id).where(Pair.cohort_id == cohort.id, Pair.status == "active"))).all()
    found = {pair_id: figures.get(pair_id, NOTHING) for (pair_id,) in active}
    return {pair_id: progress for pair_id, progress in found.items() if is_behind(progress, rules, expected)}


# In words


def progress_words(progress: Progress, rules: SessionRules) -> str:
    """The pair's figures in the program's words, for `status`."""
    if rules.minimum is None and rules.maximum is None:
        expected = rules.hours_words()
        if expected:
            return _("{hours} of contact (held sessions and hours you reported; {expected} expected)").format(
                hours=hours_words(progress.hours), expected=expected
            )
        return _("{hours} of contact (held sessions and hours you reported)").format(hours=hours_words(progress.hours))
    if rules.minimum is None and rules.maximum is not None:
        if progress.booked:
            return _("{used} of up to {maximum} sessions used, {booked} of them still to come").format(
                used=progress.used, maximum=rules.maximum, booked=progress.booked
            )
        return _("{used} of up to {maximum} sessions used").format(used=progress.used, maximum=rules.maximum)
    return ngettext(
        "{count} session held, {booked} booked (the program asks for {quota})",
        "{count} sessions held, {booked} booked (the program asks for {quota})",
        progress.sessions,
    ).format(count=progress.sessions, booked=progress.booked, quota=rules.quota_words())


def hours_words(hours: float) -> str:
    """ "1 hour", "1.5 hours": to a tenth of an hour, in the reader's language."""
    shown = round(hours, 1)
    return ngettext("{hours} hour", "{hours} hours", 1 if shown == 1 else 2).format(hours=f"{shown:g}")
