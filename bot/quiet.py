"""Quiet pairs: one side stopped answering, or no session for weeks; and pauses that have run out.

A daily job per running cohort ("quiet-pairs"). It first lifts coordinators' pauses whose last day has
passed (both are told). Then a pair is quiet when one side left their last two check-ins unanswered after
the reminder, or (in programs with one-to-one sessions) no session was held or booked for the program's
`quiet_weeks` since the pair was made, its last session, or the end of its last pause (the pair's, or
either person's own away days). A quiet pair is flagged once
(pairs.quiet_flagged_on): the other side is asked privately whether all is well, and the coordinators are
told which pair and why, with "Contact the pair" and "Reassign". Paused pairs and people away are skipped.
Answering a check-in or booking a session clears the flag, so a later silence is flagged again.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import outbox, pair_admin
from bot.checkins import first_moment
from bot.cohorts import cohort_in_sentence
from bot.dialog import button
from bot.i18n import _, role_word, speaking
from bot.messages import Reply
from bot.network import cohort_coordinators
from bot.pairs import PairInfo
from bot.programs import Program, ProgramCatalog
from bot.scheduler import JobContext, JobHandler, schedule
from storage.db import Database
from storage.models import CheckIn, CoachingSession, Cohort, Pair, Person

JOB = "quiet-pairs"
KIND = "quiet-pair"
DIALOG = "quiet"  # dialogs/pair_quiet.py receives the buttons
IN_A_ROW = 2


def look_at(day: date, program: Program) -> datetime:
    """When the day's look runs: as its check-ins' and pace's jobs do, when it is first the program's
    send_at anywhere (its messages then wait for each person's daytime)."""
    return first_moment(day, program.check_ins.send_at)


def subject_of(cohort_id: int, day: date) -> str:
    return f"cohort:{cohort_id}:{day.isoformat()}"


async def plan(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> None:
    """The cohort's next daily look, from its start to its last day (planning twice keeps one)."""
    day = max(cohort.starts_on, now.date())
    if day <= cohort.ends_on:
        await schedule(session, JOB, subject_of(cohort.id, day), look_at(day, program), now)


async def plan_all(db: Database, programs: ProgramCatalog, now: datetime) -> None:
    async with db.transaction() as session:
        for cohort in (await session.execute(select(Cohort).where(Cohort.ends_on >= now.date()))).scalars():
            program = programs.get(cohort.program_id)
            if program is not None:
                await plan(session, cohort, program, now)


async def look(context: JobContext) -> None:
    """Lift pauses that ran out, flag quiet pairs, and plan tomorrow's look."""
    _kind, cohort_id, day = context.job.subject.split(":")
    cohort = await context.session.get(Cohort, int(cohort_id))
    program = context.programs.get(cohort.program_id) if cohort else None
    if cohort is None or program is None:
        return
    session, now, today = context.session, context.now, context.now.date()
    ran_out = (Pair.paused_until < today) & Pair.pause_reason.is_not(None)  # a lifted pause keeps its last day
    for info in await pair_admin.find_pairs(session, context.programs, Pair.cohort_id == cohort.id, ran_out):
        pair_admin.resume_pair(session, info, now, early=False)
    for info, silent in await quiet_pairs(session, context.programs, cohort, program, today, now):
        await _flag(session, info, silent, today, now)
    tomorrow = max(date.fromisoformat(day), today) + timedelta(days=1)
    if tomorrow <= cohort.ends_on:
        await schedule(session, JOB, subject_of(cohort.id, tomorrow), look_at(tomorrow, program), now)


class Watched(NamedTuple):
    """A pair the daily look reads, as plain columns: loading every pair's people would cost seconds."""

    pair_id: int
    created_at: datetime
    paused_until: date | None
    guide_id: int
    guide_away: date | None
    guided_id: int
    guided_away: date | None


async def quiet_pairs(
    session: AsyncSession, programs: ProgramCatalog, cohort: Cohort, program: Program, today: date, now: datetime
) -> list[tuple[PairInfo, list[Person]]]:
    """Pairs of the cohort quiet today and not flagged yet, each with the sides who went silent (empty
    when the pair as a whole had no session for too long). Only the quiet ones are loaded whole."""
    unanswered = await _unanswered(session, cohort, program, today)
    last_sessions = await _last_sessions(session, cohort)
    weeks = program.one_to_one.quiet_weeks if program.one_to_one is not None else None
    silent_ids: dict[int, list[int]] = {}
    for pair in await _watched(session, cohort, today):
        silent = [p for p in (pair.guide_id, pair.guided_id) if unanswered.get((pair.pair_id, p)) == [None] * IN_A_ROW]
        if silent:
            silent_ids[pair.pair_id] = silent
        elif weeks and _without_sessions(pair, cohort, last_sessions.get(pair.pair_id), now) >= timedelta(weeks=weeks):
            silent_ids[pair.pair_id] = []
    if not silent_ids:
        return []
    found = await pair_admin.find_pairs(session, programs, Pair.id.in_(sorted(silent_ids)))
    return [(info, [p for p in (info.guide, info.guided) if p.id in silent_ids[info.pair.id]]) for info in found]


async def _watched(session: AsyncSession, cohort: Cohort, today: date) -> list[Watched]:
    """The cohort's active pairs not flagged yet, not paused, with nobody away today."""
    guide, guided = aliased(Person), aliased(Person)
    query = (
        select(Pair.id, Pair.created_at, Pair.paused_until, guide.id, guide.away_until, guided.id, guided.away_until)
        .join(guide, guide.id == Pair.guide_id)
        .join(guided, guided.id == Pair.guided_id)
        .where(Pair.cohort_id == cohort.id, Pair.status == "active", Pair.quiet_flagged_on.is_(None))
    )
    rows = [Watched(*row) for row in await session.execute(query)]
    return [
        pair
        for pair in rows
        if not any(day is not None and day >= today for day in (pair.paused_until, pair.guide_away, pair.guided_away))
    ]


async def _unanswered(
    session: AsyncSession, cohort: Cohort, program: Program, today: date
) -> dict[tuple[int, int], list[datetime | None]]:
    """Each (pair, person)'s answer times of their last check-ins whose reminder has passed, newest first."""
    past = today - timedelta(days=program.check_ins.remind_after_days)
    # Only the last few check-in dates can hold the last two answers: not the cohort's whole history.
    since = past - timedelta(days=31 * program.check_ins.months * (IN_A_ROW + 1))
    query = (
        select(CheckIn.pair_id, CheckIn.person_id, CheckIn.answered_at)
        .where(CheckIn.cohort_id == cohort.id, CheckIn.asked_on < past, CheckIn.asked_on >= since)
        .order_by(CheckIn.asked_on.desc(), CheckIn.id.desc())
    )
    found: dict[tuple[int, int], list[datetime | None]] = defaultdict(list)
    for pair_id, person_id, answered_at in await session.execute(query):
        if len(found[pair_id, person_id]) < IN_A_ROW:
            found[pair_id, person_id].append(answered_at)
    return found


async def _last_sessions(session: AsyncSession, cohort: Cohort) -> dict[int, datetime]:
    """Each pair's latest booked or held session start (or booking moment, whichever is later)."""
    query = (
        select(CoachingSession.pair_id, func.max(CoachingSession.starts_at), func.max(CoachingSession.created_at))
        .join(Pair, Pair.id == CoachingSession.pair_id)
        .where(Pair.cohort_id == cohort.id, CoachingSession.status.in_(("booked", "held")))
        .group_by(CoachingSession.pair_id)
    )
    return {pair_id: max(starts, booked) for pair_id, starts, booked in await session.execute(query)}


def _without_sessions(pair: Watched, cohort: Cohort, last: datetime | None, now: datetime) -> timedelta:
    """How long the pair has gone without a session, not counting days it was paused or a side was away."""
    start = datetime.combine(cohort.starts_on, time(0), UTC)
    ends = [
        datetime.combine(day + timedelta(days=1), time(0), UTC)
        for day in (pair.paused_until, pair.guide_away, pair.guided_away)
        if day is not None
    ]
    return now - max(pair.created_at, start, last or start, *ends)


async def _flag(session: AsyncSession, info: PairInfo, silent: list[Person], today: date, now: datetime) -> None:
    info.pair.quiet_flagged_on = today
    asked = [p for p in (info.guide, info.guided) if p not in silent] or [info.guide, info.guided]
    for person in asked:
        partner = info.partner_of(person.id)
        with speaking(person.language):
            question = Reply(
                _(
                    "It has been quiet between you and {name} in {cohort}. Is all well? Only the coordinators hear "
                    "about it, and only if you cannot reach them."
                ).format(name=partner.display_name, cohort=cohort_in_sentence(info.cohort, info.program)),
                title=_("Is all well?"),
                buttons=(
                    button(DIALOG, _("All is well"), f"well|{info.pair.id}"),
                    button(DIALOG, _("I can't reach them"), f"unreachable|{info.pair.id}", "danger"),
                ),
            )
        outbox.queue(session, person.id, question, kind=KIND, now=now)
    await tell_coordinators(session, info, lambda: reason_words(info, silent), now)


def reason_words(info: PairInfo, silent: list[Person]) -> str:
    """Why the pair is quiet, in the language being spoken."""
    if len(silent) > 1:
        return _("{name} and {other} left their last {count} check-ins unanswered").format(
            name=silent[0].display_name, other=silent[1].display_name, count=IN_A_ROW
        )
    if silent:
        return _("{name} left their last {count} check-ins unanswered").format(
            name=silent[0].display_name, count=IN_A_ROW
        )
    assert info.program.one_to_one is not None
    return _("no session was held or booked for {count} weeks").format(count=info.program.one_to_one.quiet_weeks)


async def tell_coordinators(
    session: AsyncSession, info: PairInfo, why: Callable[[], str], now: datetime, *, ref: str | None = None
) -> None:
    """Tell the cohort's coordinators, each in their language; `why()` says why in the language being spoken."""
    for coordinator in await cohort_coordinators(session, info.cohort, info.program):
        with speaking(coordinator.language):
            notice = Reply(
                _("A quiet pair in {cohort}: {name} with their {role} {guide}. Why: {why}.").format(
                    cohort=cohort_in_sentence(info.cohort, info.program),
                    name=info.guided.display_name,
                    role=role_word(info.program.guide_role),
                    guide=info.guide.display_name,
                    why=why(),
                ),
                title=_("A quiet pair"),
                buttons=(
                    button(DIALOG, _("Contact the pair"), f"contact|{info.pair.id}"),
                    button("pair", _("Reassign"), f"move|{info.pair.id}|"),
                ),
            )
        outbox.queue(session, coordinator.id, notice, kind=KIND, now=now, ref=ref)


JOBS: dict[str, JobHandler] = {JOB: look}
