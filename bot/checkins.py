"""Check-ins: every pair is asked, in the program's cadence, how it is going.

Monthly or quarterly from the cohort's start (the program file's `[check_ins]`), each member of every
active pair gets a message in their own morning with three buttons (on track, some difficulties, need
help) and then a count of sessions (or, where the program counts contact hours, of hours). Only those
answers are stored. "Need help" goes to the program's coordinators at once. Whoever has not answered
after `remind_after_days` gets one reminder.

Jobs (bot/scheduler.py): "check-ins" sends a cohort's check-ins for one date and plans the reminder and
the next date; "check-in-reminders" sends the reminders. Answers arrive in dialogs/checkin.py.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, String, cast, delete, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import outbox
from bot.cohorts import add_months, cohort_label
from bot.dialog import button
from bot.i18n import ENGLISH, N_, _, speaking
from bot.messages import Reply
from bot.programs import Program, ProgramCatalog
from bot.scheduler import JobContext, JobHandler, schedule
from bot.timezones import long_date
from storage.db import Database
from storage.models import CheckIn, Cohort, OutboxMessage, Pair, Person

NAME = "check-in"  # the dialog that receives the answers
SEND, REMIND = "check-ins", "check-in-reminders"
# The buttons' labels, in the reader's language where they are shown; the ids are what is stored.
ANSWERS = {"on_track": N_("On track"), "some_difficulties": N_("Some difficulties"), "need_help": N_("Need help")}
EARLIEST_ZONE = timedelta(hours=14)  # UTC+14 (Kiribati): where any local time of a day comes first


def check_in_dates(cohort: Cohort, program: Program) -> list[date]:
    """The cohort's check-in dates: every month (or quarter) after its start, inside its working period."""
    step = program.check_ins.months
    dates, number = [], 1
    while (day := add_months(cohort.starts_on, step * number)) <= cohort.ends_on:
        dates.append(day)
        number += 1
    return dates


def overtaken(cohort: Cohort, program: Program, day: date, now: datetime) -> bool:
    """The check-in of `day` is stale: the next one is due already, or the working period is over. What
    could not go out while the server was down is dropped, not delivered in a pile with what follows."""
    later = [other for other in check_in_dates(cohort, program) if other > day]
    if later:
        return now >= first_moment(later[0], program.check_ins.send_at)
    return now.date() > cohort.ends_on + timedelta(days=1)


def first_moment(day: date, at: time) -> datetime:
    """The first moment anywhere on Earth when it is `at` on `day`: a job due then is early for everyone."""
    return datetime.combine(day, at, UTC) - EARLIEST_ZONE


def local_moment(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, ZoneInfo(zone)).astimezone(UTC)


def subject_of(cohort_id: int, day: date) -> str:
    return f"cohort:{cohort_id}:{day.isoformat()}"


def _parse_subject(subject: str) -> tuple[int, date]:
    _kind, cohort_id, day = subject.split(":")
    return int(cohort_id), date.fromisoformat(day)


async def plan_next(session: AsyncSession, cohort: Cohort, program: Program, after: date, now: datetime) -> None:
    """Plan the cohort's first check-in date after `after` (none once the cohort has ended)."""
    upcoming = [day for day in check_in_dates(cohort, program) if day > after]
    if upcoming:
        day = upcoming[0]
        await schedule(session, SEND, subject_of(cohort.id, day), first_moment(day, program.check_ins.send_at), now)


async def plan_all(db: Database, programs: ProgramCatalog, now: datetime) -> None:
    """At start: every cohort that has not ended has its next check-in planned (planning twice keeps one)."""
    async with db.transaction() as session:
        cohorts = (await session.execute(select(Cohort).where(Cohort.ends_on >= now.date()))).scalars()
        for cohort in cohorts:
            program = programs.get(cohort.program_id)
            if program is not None:
                await plan_next(session, cohort, program, now.date() - timedelta(days=1), now)


async def send_check_ins(context: JobContext) -> None:
    """Ask both members of each active pair, each in their own morning; plan the reminder and what's next.
    Rows are written in bulk: a cohort of thousands stays one short transaction."""
    session, now = context.session, context.now
    found = await _job_cohort(context)
    if found is None:
        return
    cohort, program, day = found
    at = program.check_ins.send_at
    if overtaken(cohort, program, day, now):  # the server was down: the next check-in replaces this one
        await plan_next(session, cohort, program, day, now)
        return
    await _drop_undelivered(session, cohort, day)
    members = await _active_members(session, _active_pairs(cohort.id, day), day)
    if members:
        rows = [
            {"cohort_id": cohort.id, "pair_id": m.pair_id, "person_id": m.person_id, "asked_on": day, "created_at": now}
            for m in members
        ]
        created = await session.execute(insert(CheckIn).returning(CheckIn.id, CheckIn.pair_id, CheckIn.person_id), rows)
        ids = {(pair_id, person_id): check_in_id for check_in_id, pair_id, person_id in created.all()}
        messages = []
        for m in members:
            with speaking(m.language):  # each in their own language
                question = _question(ids[m.pair_id, m.person_id], day, program, cohort, m.partner_name, reminder=False)
            messages.append(
                outbox.Queued(
                    m.person_id,
                    question,
                    due_at=max(now, local_moment(day, at, m.timezone)),
                    ref=f"check-in:{ids[m.pair_id, m.person_id]}",
                )
            )
        await outbox.queue_each(session, messages, kind="check-in", now=now)
    remind_on = day + timedelta(days=program.check_ins.remind_after_days)
    await schedule(session, REMIND, context.job.subject, first_moment(remind_on, at), now)
    await plan_next(session, cohort, program, day, now)


async def _drop_undelivered(session: AsyncSession, cohort: Cohort, day: date) -> None:
    """Earlier check-ins and reminders of the cohort that have still not gone out (the server was down)
    are dropped: the new check-in replaces them, rather than arriving in a pile with them."""
    earlier = select(literal("check-in:") + cast(CheckIn.id, String)).where(
        CheckIn.cohort_id == cohort.id, CheckIn.asked_on < day
    )
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status == "pending",
            OutboxMessage.kind.in_(("check-in", "check-in-reminder")),
            OutboxMessage.ref.in_(earlier),
        )
    )


async def remind(context: JobContext) -> None:
    """One reminder to each person who has not answered the check-in of that date (and is still paired)."""
    session, now = context.session, context.now
    found = await _job_cohort(context)
    if found is None:
        return
    cohort, program, day = found
    if overtaken(cohort, program, day, now):
        return
    unanswered = (
        CheckIn.cohort_id == cohort.id,
        CheckIn.asked_on == day,
        CheckIn.pair_id.in_(_active_pairs(cohort.id, day)),
        CheckIn.answered_at.is_(None),
        CheckIn.reminded_at.is_(None),
    )
    waiting = dict((await session.execute(select(CheckIn.person_id, CheckIn.id).where(*unanswered))).all())
    waiting_pairs = select(CheckIn.pair_id).where(*unanswered)
    remind_on = day + timedelta(days=program.check_ins.remind_after_days)
    messages = []
    for m in await _active_members(session, waiting_pairs, day):
        if m.person_id not in waiting:
            continue
        with speaking(m.language):  # each in their own language
            question = _question(waiting[m.person_id], day, program, cohort, m.partner_name, reminder=True)
        messages.append(
            outbox.Queued(
                m.person_id,
                question,
                due_at=max(now, local_moment(remind_on, program.check_ins.send_at, m.timezone)),
                ref=f"check-in:{waiting[m.person_id]}",
            )
        )
    await outbox.queue_each(session, messages, kind="check-in-reminder", now=now)
    await session.execute(update(CheckIn).where(*unanswered).values(reminded_at=now))


async def _job_cohort(context: JobContext) -> tuple[Cohort, Program, date] | None:
    """The cohort, its program and the check-in date a job's subject names (None if either is gone)."""
    cohort_id, day = _parse_subject(context.job.subject)
    cohort = await context.session.get(Cohort, cohort_id)
    program = context.programs.get(cohort.program_id) if cohort else None
    return (cohort, program, day) if cohort is not None and program is not None else None


class Member(NamedTuple):
    """One side of a pair, with what its check-in message needs."""

    pair_id: int
    person_id: int
    timezone: str
    partner_name: str
    language: str  # the one they read


def _active_pairs(cohort_id: int, day: date) -> Select[tuple[int]]:
    """The cohort's active pairs that no coordinator paused over `day`."""
    not_paused = Pair.paused_until.is_(None) | (Pair.paused_until < day)
    return select(Pair.id).where(Pair.cohort_id == cohort_id, Pair.status == "active", not_paused)


async def _active_members(session: AsyncSession, pair_ids: Select[tuple[int]], day: date) -> list[Member]:
    """Both members of each pair `pair_ids` selects, by one join (no list of ids: a cohort may hold more
    people than a statement may have parameters), but not a member away on `day` (their own `pause`)."""
    guide, guided = aliased(Person), aliased(Person)
    query = (
        select(Pair.id, guide.id, guide.timezone, guide.display_name, guided.id, guided.timezone, guided.display_name)
        .add_columns(guide.away_until, guided.away_until, guide.language, guided.language)
        .join(guide, guide.id == Pair.guide_id)
        .join(guided, guided.id == Pair.guided_id)
        .where(Pair.id.in_(pair_ids))
        .order_by(Pair.id)
    )
    members = []
    for pair_id, guide_id, guide_zone, guide_name, guided_id, guided_zone, guided_name, *more in await session.execute(
        query
    ):
        guide_away, guided_away, guide_language, guided_language = more
        if not _away(guide_away, day):
            members.append(Member(pair_id, guide_id, guide_zone or "UTC", guided_name, guide_language or ENGLISH))
        if not _away(guided_away, day):
            members.append(Member(pair_id, guided_id, guided_zone or "UTC", guide_name, guided_language or ENGLISH))
    return members


def _away(away_until: date | None, day: date) -> bool:
    return away_until is not None and away_until >= day


def _question(
    check_in_id: int, day: date, program: Program, cohort: Cohort, partner_name: str, *, reminder: bool
) -> Reply:
    """The check-in's question, in the language being spoken (the caller's `speaking`)."""
    if program.check_ins.cadence == "quarterly":
        title = _("Quarterly check-in, {cohort}, {date}")
    else:
        title = _("Monthly check-in, {cohort}, {date}")
    opening = _("A reminder: I have not heard from you yet.") + " " if reminder else ""
    question = _(
        "How is it going with {name}? One click is enough; I keep only your answer, "
        "and the coordinators hear about it only if you ask for help."
    ).format(name=partner_name)
    return Reply(
        opening + question,
        title=title.format(cohort=cohort_label(cohort, program), date=long_date(day)),
        buttons=tuple(
            button(NAME, _(label), f"answer|{check_in_id}|{answer}", "danger" if answer == "need_help" else "default")
            for answer, label in ANSWERS.items()
        ),
    )


def counts_hours(program: Program) -> bool:
    """ALCTS counts hours of contact rather than sessions: ask for hours there."""
    rules = program.one_to_one
    return rules is not None and rules.counts_hours


JOBS: dict[str, JobHandler] = {SEND: send_check_ins, REMIND: remind}
