"""Pace nudges: a daily look at each running cohort for pairs behind the program's minimum (bot/progress.py).

The job "pace-nudges" (subject "cohort:ID:DATE") runs once a day through the cohort's sessions phase, from
the first moment anywhere on Earth of that date, and plans the next day's run itself. Each pair found
behind gets one nudge, to both people, each in their own morning (the program's check-in hour in their
zone), outbox kind "pace-nudge"; pairs.pace_nudged_on records it, and a pair still behind is nudged
again at most once in NUDGE_EVERY. Never nudged: a pair that is not active or is paused, a person who is
away (the other still hears), a cohort that has ended or whose sessions phase has not begun or is over.
"""

from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import outbox
from bot.checkins import first_moment, local_moment
from bot.cohorts import cohort_label
from bot.ending import has_ended
from bot.i18n import _, ngettext, speaking
from bot.messages import Reply
from bot.programs import Program, ProgramCatalog
from bot.progress import Progress, expected_by, hours_words, pace_phase, pairs_behind
from bot.scheduler import JobContext, JobHandler, schedule
from bot.timezones import long_date
from storage.db import Database
from storage.models import Cohort, Pair, Person

NUDGE = "pace-nudges"
KIND = "pace-nudge"
NUDGE_EVERY = timedelta(days=30)


def subject_of(cohort_id: int, day: date) -> str:
    return f"cohort:{cohort_id}:{day.isoformat()}"


async def plan_next(session: AsyncSession, cohort: Cohort, program: Program, after: date, now: datetime) -> None:
    """Plan the first day after `after` inside the cohort's sessions phase (none past it, or with no minimum)."""
    phase = pace_phase(cohort, program)
    if phase is None:
        return
    day = max(after + timedelta(days=1), phase.opens)
    if day <= phase.closes:
        await schedule(session, NUDGE, subject_of(cohort.id, day), first_moment(day, program.check_ins.send_at), now)


async def plan_all(db: Database, programs: ProgramCatalog, now: datetime) -> None:
    """At start: every cohort still running has its next look planned (planning twice keeps one)."""
    async with db.transaction() as session:
        for cohort in (await session.execute(select(Cohort).where(Cohort.ends_on >= now.date()))).scalars():
            program = programs.get(cohort.program_id)
            if program is not None:
                await plan_next(session, cohort, program, now.date() - timedelta(days=1), now)


class Side(NamedTuple):
    """One member of a pair behind pace, and who the other one is."""

    pair_id: int
    person_id: int
    timezone: str
    partner_name: str
    language: str  # the one they read


async def nudge_pairs(context: JobContext) -> None:
    """Nudge the pairs behind pace on the job's day, then plan tomorrow's look."""
    session, now = context.session, context.now
    _kind, cohort_id, day_text = context.job.subject.split(":")
    cohort = await session.get(Cohort, int(cohort_id))
    program = context.programs.get(cohort.program_id) if cohort else None
    if cohort is None or program is None or has_ended(cohort, program, now):
        return
    day = date.fromisoformat(day_text)
    await plan_next(session, cohort, program, max(day, now.date() - timedelta(days=1)), now)
    if day < now.date() - timedelta(days=1):  # the server was down: that day's look is replaced by today's
        return
    behind = await pairs_behind(session, cohort, program, day, now)
    if not behind:
        return
    sides = await _sides(session, cohort, day)
    messages = []
    for side in sides:
        if side.pair_id not in behind:
            continue
        with speaking(side.language):  # each in their own language
            reply = nudge(
                program, cohort, side.partner_name, behind[side.pair_id], expected_by(cohort, program, day) or 0
            )
        messages.append(
            outbox.Queued(
                side.person_id,
                reply,
                due_at=max(now, local_moment(day, program.check_ins.send_at, side.timezone)),
                ref=f"{KIND}:{side.pair_id}",
            )
        )
    await outbox.queue_each(session, messages, kind=KIND, now=now)
    nudged = {message.ref for message in messages}
    await session.execute(
        update(Pair)
        .where(Pair.id.in_([pair_id for pair_id in behind if f"{KIND}:{pair_id}" in nudged]))
        .values(pace_nudged_on=day)
    )


async def _sides(session: AsyncSession, cohort: Cohort, day: date) -> list[Side]:
    """Both members of each pair that may be nudged on `day`: active, not paused, not nudged in the last
    NUDGE_EVERY; a person away that day is left out."""
    guide, guided = aliased(Person), aliased(Person)
    query = (
        select(Pair.id, guide, guided)
        .join(guide, guide.id == Pair.guide_id)
        .join(guided, guided.id == Pair.guided_id)
        .where(
            Pair.cohort_id == cohort.id,
            Pair.status == "active",
            or_(Pair.paused_until.is_(None), Pair.paused_until < day),
            or_(Pair.pace_nudged_on.is_(None), Pair.pace_nudged_on <= day - NUDGE_EVERY),
        )
        .order_by(Pair.id)
    )
    sides = []
    for pair_id, guide_person, guided_person in await session.execute(query):
        for person, partner in ((guide_person, guided_person), (guided_person, guide_person)):
            if person.away_until is None or person.away_until < day:
                sides.append(Side(pair_id, person.id, person.timezone or "UTC", partner.display_name, person.language))
    return sides


def nudge(program: Program, cohort: Cohort, partner_name: str, progress: Progress, expected: int) -> Reply:
    """The nudge in the program's words, with what to do next, in the language being spoken (the caller's
    `speaking`)."""
    rules = program.one_to_one
    phase = pace_phase(cohort, program)
    assert rules is not None and phase is not None
    by = long_date(phase.closes)
    if rules.minimum is None:
        where = _(
            "You and {name} have {hours} of contact held, booked or reported so far; the program asks for "
            "{asked} hours by {date}, about {expected} by now."
        ).format(
            name=partner_name,
            hours=hours_words(progress.hours + progress.booked_minutes / 60),
            asked=rules.hours_words(),
            date=by,
            expected=hours_words(expected),
        )
        step = _(
            "Please report your hours at the next check-in if you have met, or type `book` to find a time together."
        )
    else:
        count = progress.sessions + progress.booked
        where = ngettext(
            "You and {name} have {count} session held or booked so far; the program asks for {asked} sessions "
            "by {date}, about {expected} by now.",
            "You and {name} have {count} sessions held or booked so far; the program asks for {asked} sessions "
            "by {date}, about {expected} by now.",
            count,
        ).format(name=partner_name, count=count, asked=rules.quota_words(), date=by, expected=expected)
        step = _("Type `book` to find a time together.")
    return Reply(
        f"{where} {step}",
        title=_("{cohort}: time for your next session").format(cohort=cohort_label(cohort, program)),
    )


JOBS: dict[str, JobHandler] = {NUDGE: nudge_pairs}
