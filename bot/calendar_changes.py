"""A coordinator moves a phase of a cohort's dated calendar: the checks, what it would change, and the change.

A move is checked on the whole calendar (bot/cycle.py contradictions): a phase may not close before it
opens, last longer than the cycle, end the call after the work begins, or put sessions, peer groups or a
survey outside the working period. A phase that has ended is history and stays as it was.

What a move changes, shown before it is made: the check-in dates planned again when the working period
moves, a survey's window when its phase moves, and the booked one-to-one sessions and scheduled peer
groups that would fall outside their window. Those are listed, never cancelled: the coordinator decides.

The change itself: the calendar (a new dict, so SQLAlchemy sees it), `starts_on`/`ends_on` kept equal to
the working period, and the scheduled work planned again. Pending check-in jobs whose date no longer fits
are removed and the next one planned; a moved survey's pending jobs are planned again from its new dates.
A job that already ran is history and is left alone.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import checkins, ending, jobs, surveys
from bot.cohorts import cohort_calendar, cohort_in_sentence, peer_groups_phase, sessions_phase, work_span
from bot.cycle import DatedPhase, contradictions, dated_phase, dated_phases, with_phase
from bot.dates import CalendarError
from bot.i18n import _, program_words
from bot.network import create_cohort, default_cohort_name, place_graduates
from bot.program_calendar import phase_uses
from bot.programs import Program, Region, Survey
from bot.scheduler import schedule
from bot.timezones import date_span, long_date
from storage.models import CoachingSession, Cohort, GroupSeat, GroupSession, Job, Pair, Person


def phase_ids(cohort: Cohort) -> str:
    return ", ".join(f"`{phase_id}`" for phase_id in dated_phases(cohort.calendar))


@dataclass(frozen=True)
class Move:
    """One phase of a cohort with new dates, checked; `calendar` is the cohort's calendar after it."""

    cohort: Cohort
    program: Program
    before: DatedPhase
    after: DatedPhase
    calendar: dict[str, Any]

    @property
    def moves_work(self) -> bool:
        return self.after.id == self.program.calendar.work

    @property
    def surveys(self) -> list[Survey]:
        return [survey for survey in self.program.surveys if survey.phase == self.after.id]

    def moved_cohort(self) -> Cohort:
        """The cohort as it would be after the move: a copy that is not in the database."""
        starts_on, ends_on = work_span(self.calendar, self.program)
        return Cohort(
            id=self.cohort.id,
            program_id=self.cohort.program_id,
            name=self.cohort.name,
            starts_on=starts_on,
            ends_on=ends_on,
            calendar=self.calendar,
            region_id=self.cohort.region_id,
        )


def plan_move(cohort: Cohort, program: Program, phase_id: str, opens: date, closes: date, now: datetime) -> Move:
    """The move of one phase to [opens, closes], checked; CalendarError says why it cannot be made."""
    before = dated_phase(cohort.calendar, phase_id)
    if before is None:
        raise CalendarError(
            _("{cohort} has no phase `{typed}`. Its phases are: {phases}.").format(
                cohort=cohort_in_sentence(cohort, program, opening=True), typed=phase_id[:40], phases=phase_ids(cohort)
            )
        )
    name = program_words(before.name)
    if before.deadline <= now:
        raise CalendarError(
            _("{phase} (`{id}`) ended on {date}: a phase that is over stays as it was.").format(
                phase=name, id=before.id, date=long_date(before.closes)
            )
        )
    if closes < opens:
        raise CalendarError(
            _("{last} is before {first}: give the first day, then the last.").format(
                last=long_date(closes), first=long_date(opens)
            )
        )
    after = before.moved(opens, closes)
    if after == before:
        raise CalendarError(
            _("{phase} (`{id}`) runs from {span} already.").format(
                phase=name, id=before.id, span=date_span(opens, closes)
            )
        )
    if after.deadline <= now:
        raise CalendarError(
            _("{phase} (`{id}`) would close on {date}, which has passed.").format(
                phase=name, id=before.id, date=long_date(closes)
            )
        )
    calendar = with_phase(cohort.calendar, after)
    uses = phase_uses(program)
    known = set(contradictions(dated_phases(cohort.calendar), uses))
    problems = [problem for problem in contradictions(dated_phases(calendar), uses) if problem not in known]
    if problems:
        raise CalendarError(
            _("That does not fit the rest of the calendar: {problems}.").format(problems="; ".join(problems))
        )
    return Move(cohort, program, before, after, calendar)


# What a move would change


@dataclass(frozen=True)
class OutsideSession:
    """A booked one-to-one session or a scheduled peer group that would fall outside its window."""

    starts_at: datetime
    who: str  # "Pat Participant with Cora Coach", or a peer group's title and its number of people
    window: tuple[date, date]


@dataclass(frozen=True)
class Effects:
    check_in_dates: list[date] | None  # the upcoming check-in dates, when the working period moves
    survey_windows: list[tuple[Survey, DatedPhase]]
    sessions: list[OutsideSession]
    groups: list[OutsideSession]


async def effects(session: AsyncSession, move: Move, now: datetime, zone: str) -> Effects:
    """What the move would change; peer groups are placed on the days of `zone` (the coordinator's, as
    when they are scheduled)."""
    moved = move.moved_cohort()
    check_in_dates = None
    if move.moves_work:
        check_in_dates = [day for day in checkins.check_in_dates(moved, move.program) if day >= now.date()]
    windows = [(survey, move.after) for survey in move.surveys]
    return Effects(
        check_in_dates,
        windows,
        await _sessions_outside(session, move, moved, now),
        await _groups_outside(session, move, moved, now, zone),
    )


def _window(phase: DatedPhase | None, cohort: Cohort) -> tuple[date, date] | None:
    """The days sessions may fall on: their phase, and never after the cohort's end (as booking checks)."""
    return (phase.opens, min(phase.closes, cohort.ends_on)) if phase else None


async def _sessions_outside(session: AsyncSession, move: Move, moved: Cohort, now: datetime) -> list[OutsideSession]:
    """Booked sessions to come that the new one-to-one window leaves out, by the participant's day (as
    booking checks them)."""
    old = _window(sessions_phase(move.cohort, move.program), move.cohort)
    new = _window(sessions_phase(moved, move.program), moved)
    if new is None or new == old:
        return []
    guide, guided = aliased(Person), aliased(Person)
    query = (
        select(CoachingSession.starts_at, guided.display_name, guided.timezone, guide.display_name)
        .join(Pair, Pair.id == CoachingSession.pair_id)
        .join(guide, guide.id == Pair.guide_id)
        .join(guided, guided.id == Pair.guided_id)
        .where(Pair.cohort_id == move.cohort.id, CoachingSession.status == "booked", CoachingSession.starts_at >= now)
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    return [
        OutsideSession(starts_at, _("{name} with {other}").format(name=guided_name, other=guide_name), new)
        for starts_at, guided_name, zone, guide_name in await session.execute(query)
        if not new[0] <= starts_at.astimezone(ZoneInfo(zone or "UTC")).date() <= new[1]
    ]


async def _groups_outside(
    session: AsyncSession, move: Move, moved: Cohort, now: datetime, zone: str
) -> list[OutsideSession]:
    old = _window(peer_groups_phase(move.cohort, move.program), move.cohort)
    new = _window(peer_groups_phase(moved, move.program), moved)
    if new is None or new == old:
        return []
    query = (
        select(GroupSession.id, GroupSession.starts_at, GroupSession.title)
        .where(GroupSession.cohort_id == move.cohort.id, GroupSession.status == "scheduled")
        .where(GroupSession.starts_at >= now)
        .order_by(GroupSession.starts_at, GroupSession.id)
    )
    outside = []
    for group_id, starts_at, title in await session.execute(query):
        if not new[0] <= starts_at.astimezone(ZoneInfo(zone)).date() <= new[1]:
            seated = select(func.count()).select_from(GroupSeat).where(GroupSeat.group_id == group_id)
            joined = (await session.execute(seated)).scalar_one()
            who = _("{title} ({count} joined)").format(title=title, count=joined)
            outside.append(OutsideSession(starts_at, who, new))
    return outside


# Making the move


async def apply_move(session: AsyncSession, move: Move, now: datetime) -> None:
    """Save the moved phase and plan the cohort's scheduled work again (in the caller's transaction)."""
    cohort = move.cohort
    cohort.calendar = move.calendar
    cohort.starts_on, cohort.ends_on = work_span(move.calendar, move.program)
    if move.moves_work:
        await _replan_check_ins(session, cohort, move.program, now)
        await _replan_end(session, cohort, move.program, now)
    for survey in move.surveys:
        await _replan_survey(session, cohort, move.program, survey, now)


async def _replan_check_ins(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> None:
    """Remove the pending check-ins (and reminders) whose date is no longer one of the cohort's, and plan
    the next one after the last that went out (or from today)."""
    prefix = f"cohort:{cohort.id}:"
    query = select(Job).where(Job.kind.in_((checkins.SEND, checkins.REMIND)), Job.subject.startswith(prefix))
    dates = set(checkins.check_in_dates(cohort, program))
    last_sent = now.date() - timedelta(days=1)
    for job in (await session.execute(query)).scalars():
        day = date.fromisoformat(job.subject.removeprefix(prefix))
        if job.status == "pending" and day not in dates:
            await session.delete(job)
        elif job.kind == checkins.SEND and job.status == "done":
            last_sent = max(last_sent, day)
    await session.flush()
    await checkins.plan_next(session, cohort, program, last_sent, now)


async def _replan_end(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> None:
    """The cohort's end follows its working period: the pending end job goes, the new one is planned."""
    pending = (Job.kind == ending.END, Job.subject.startswith(f"cohort:{cohort.id}:"), Job.status == "pending")
    await session.execute(delete(Job).where(*pending))
    await ending.plan(session, cohort, program, now)


async def _replan_survey(
    session: AsyncSession, cohort: Cohort, program: Program, survey: Survey, now: datetime
) -> None:
    """Plan a moved survey again: its opening if it has not opened yet, else its reminders and closing."""
    subject = surveys.subject_of(cohort.id, survey.id)
    kinds = (surveys.OPEN, surveys.REMIND, surveys.CLOSE)
    query = select(Job).where(Job.kind.in_(kinds), Job.subject.startswith(subject))
    found = [
        job for job in (await session.execute(query)).scalars() if job.subject.split(":")[:3] == subject.split(":")
    ]
    opened = any(job.kind == surveys.OPEN and job.status == "done" for job in found)
    pending = [job.id for job in found if job.status == "pending"]
    if pending:
        await session.execute(delete(Job).where(Job.id.in_(pending)))
    if not opened:
        await surveys.plan(session, cohort, program, now)
        return
    opens, closes = surveys.survey_dates(cohort, survey)
    send_at = program.check_ins.send_at
    for day in surveys.reminder_days(opens, closes):
        if day > now.date():
            await schedule(
                session, surveys.REMIND, f"{subject}:{day.isoformat()}", checkins.first_moment(day, send_at), now
            )
    closing = datetime.combine(closes + timedelta(days=1), surveys.CLOSE_AT, UTC)
    await schedule(session, surveys.CLOSE, subject, closing, now)


def end_of_day(day: date, zone: str) -> datetime:
    """The first instant after `day` in `zone`: a deadline that includes the whole day."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone)).astimezone(UTC)


# A new cohort of a program


@dataclass(frozen=True)
class NewCohort:
    """A cohort about to be created, checked: its program, region, start, name and calendar."""

    program: Program
    region: Region | None
    starts_on: date
    name: str
    calendar: dict[str, Any]

    def preview(self) -> Cohort:
        """The cohort as it would be: a copy that is not in the database (for its calendar lines)."""
        starts_on, ends_on = work_span(self.calendar, self.program)
        return Cohort(
            program_id=self.program.id, name=self.name, starts_on=starts_on, ends_on=ends_on, calendar=self.calendar
        )


async def next_start(session: AsyncSession, program: Program, region: Region | None, today: date) -> date:
    """The program's next cycle start (its working period's first month-day, or the region's own) after the
    latest cohort's start (the region's, in a program with regions), and not before today."""
    query = select(func.max(Cohort.starts_on)).where(Cohort.program_id == program.id)
    if region is not None:
        query = query.where(Cohort.region_id == region.id)
    latest = (await session.execute(query)).scalar_one_or_none()
    after = max(latest or today, today - timedelta(days=1))
    work = program.calendar.rule(program.calendar.work)
    assert work is not None, "a validated program names its work phase"
    starts = (region.starts if region is not None else None) or work.opens
    return next(day for year in range(after.year, after.year + 3) if (day := starts.in_cycle(year)) > after)


async def plan_new(
    session: AsyncSession, program: Program, region: Region | None, starts_on: date, today: date
) -> NewCohort:
    """The new cohort, checked as bot/network.py create_cohort will check it; CalendarError says why not."""
    if starts_on < today:
        raise CalendarError(
            _("{date} has passed: a new cohort starts on a day to come.").format(date=long_date(starts_on))
        )
    calendar = cohort_calendar(program, starts_on)
    name = default_cohort_name(starts_on, work_span(calendar, program)[1], region)
    taken = select(Cohort.id).where(Cohort.program_id == program.id, Cohort.name == name)
    if (await session.execute(taken)).first() is not None:
        raise CalendarError(
            _("The {program} has a cohort named '{name}' already.").format(program=program.short_name, name=name)
        )
    return NewCohort(program, region, starts_on, name, calendar)


async def create(session: AsyncSession, new: NewCohort, now: datetime) -> tuple[Cohort, list[Person]]:
    """Create the cohort, plan its scheduled work and place the mentors its region's graduations promised
    (as `python app.py cohorts create` does); NetworkError if it can no longer be made."""
    region_id = new.region.id if new.region else None
    cohort = await create_cohort(session, new.program, new.starts_on, now, region_typed=region_id, name=new.name)
    await jobs.plan_cohort(session, cohort, new.program, now)
    placed = await place_graduates(session, cohort, new.program, now)
    return cohort, placed
