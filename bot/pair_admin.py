"""Coordinators change pairs: end one, move a participant to another coach or mentor, pause one until a day.

Reasons are chosen from lists (stored as an id in pairs.end_reason / pairs.pause_reason), never typed;
the two people are told what changed, and a reason only when it is neutral. An ended pair stays on record
and is never made again (the (cohort, guide, guided) key). A pause holds while `paused_until` is today or
later: no check-ins, reminders or nudges, no sessions booked up to that day; the daily job of bot/quiet.py
lifts it the day after and tells both. Future sessions an end or a pause removes are cancelled as
`sessions cancel` cancels them (the calendar invitation is updated), with their reminders.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, cast, delete, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import booking, outbox
from bot.cohorts import cohort_in_sentence
from bot.dates import DATE_EXAMPLES, CalendarError, read_date
from bot.messages import Reply
from bot.pairs import PairInfo, pair_infos, pairs_query
from bot.programs import Program, ProgramCatalog
from bot.timezones import long_date
from storage.models import (
    Application,
    CheckIn,
    CoachingSession,
    Cohort,
    Membership,
    OutboxMessage,
    Pair,
    Person,
    Profile,
)

KIND = "pair-change"
END_REASONS = {
    "not_a_good_fit": "not a good fit",
    "schedules": "schedules do not work",
    "left_program": "one side left the program",
    "personal": "personal reasons",
    "goals_reached": "goals reached early",
    "other": "other",
}
PAUSE_REASONS = {"leave": "leave", "illness": "illness", "workload": "workload", "other": "other"}
NEUTRAL = {"goals_reached": "the goals were reached early"}  # the only reason the two people are told
MOVED = "moved_"  # end_reason prefix of a pair that ended because its participant moved
LONGEST_PAUSE = timedelta(days=366)


def told_reason(end_reason: str | None) -> str:
    """How an ended pairing's reason is shown to its two people: a coordinator's reason only if neutral."""
    reason = (end_reason or "ended").removeprefix(MOVED)
    if reason in NEUTRAL:
        return NEUTRAL[reason]
    if reason in END_REASONS:
        return "changed by the coordinators" if (end_reason or "").startswith(MOVED) else "ended by the coordinators"
    return reason.replace("_", " ")


def is_paused(pair: Pair, today: date) -> bool:
    return pair.paused_until is not None and pair.paused_until >= today


# Dates


def read_day(typed: str, zone: str, now: datetime) -> tuple[date | None, str]:
    """The day `typed` names, or (None, why not) in words."""
    try:
        day, rest = read_date(typed.removeprefix("until ").strip(), zone, now)
    except CalendarError as error:
        return None, str(error)
    if day is None or rest.strip():
        return None, f"I couldn't read `{typed[:40]}` as a day: write it like {DATE_EXAMPLES}."
    return day, ""


def pause_refusal(day: date, today: date, last_day: date | None = None) -> str | None:
    """Why a pause until `day` is refused (past or today, over a year ahead, after the cohort), or None."""
    if day <= today:
        return f"{long_date(day)} is not after today: give a day to come."
    if day > today + LONGEST_PAUSE:
        return f"{long_date(day)} is more than a year ahead: give a nearer day."
    if last_day is not None and day > last_day:
        return f"{long_date(day)} is after the cohort's last day, {long_date(last_day)}."
    return None


# Finding pairs and guides


async def find_pairs(
    session: AsyncSession, programs: ProgramCatalog, *conditions: ColumnElement[bool], typed: str = "", pair_id: int = 0
) -> list[PairInfo]:
    """Active pairs that meet `conditions` (a cohort's, the cohorts a coordinator coordinates), where either
    side's email is `typed` or their name holds it (all of them when `typed` is empty), or the one `pair_id`."""
    guide, guided = aliased(Person), aliased(Person)
    query = pairs_query(guide, guided).where(Pair.status == "active", *conditions)
    if pair_id:
        query = query.where(Pair.id == pair_id)
    wanted = " ".join(typed.split()).lower()
    if wanted:
        query = query.where(or_(*(_named(person, wanted) for person in (guide, guided))))
    order = (Cohort.program_id, Cohort.name, guided.display_name, Pair.id)
    return await pair_infos(session, programs, query.order_by(*order))


def _named(person: type[Person], wanted: str) -> ColumnElement[bool]:
    return (func.lower(person.email) == wanted) | func.lower(person.display_name).contains(wanted, autoescape=True)


async def guides_of(session: AsyncSession, cohort: Cohort, program: Program, typed: str = "") -> list[Person]:
    """The cohort's coaches or mentors (whose email is `typed` or whose name holds it, when given)."""
    query = (
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.cohort_id == cohort.id, Membership.role == program.guide_role)
        .order_by(Person.display_name, Person.id)
    )
    wanted = " ".join(typed.split()).lower()
    if wanted:
        query = query.where(_named(Person, wanted))
    return list((await session.execute(query)).scalars())


async def guide_capacity(session: AsyncSession, cohort: Cohort, program: Program, guide_id: int) -> int:
    """How many people a coach or mentor takes: their profile's number, else their application's answer,
    else the program's."""
    profile = await session.get(Profile, guide_id)
    if profile is not None and profile.capacity is not None:
        return profile.capacity
    query = select(Application.answers).where(
        Application.cohort_id == cohort.id, Application.person_id == guide_id, Application.status == "accepted"
    )
    answers = (await session.execute(query)).scalars().first() or {}
    typed = str(answers.get("capacity", ""))
    return int(typed) if typed.isascii() and typed.isdigit() else program.guide_capacity


async def free_places(session: AsyncSession, cohort: Cohort, program: Program, guide_id: int) -> int:
    taken = select(func.count()).where(Pair.cohort_id == cohort.id, Pair.guide_id == guide_id, Pair.status == "active")
    return await guide_capacity(session, cohort, program, guide_id) - (await session.execute(taken)).scalar_one()


async def move_refusal(session: AsyncSession, info: PairInfo, target: Person) -> str | None:
    """Why `info`'s participant cannot move to `target`, or None."""
    role, name = info.program.guide_role, target.display_name
    if target.id == info.guided.id:
        return f"{name} cannot be their own {role}."
    if target.id == info.guide.id:
        return f"{name} is already {info.guided.display_name}'s {role}."
    if target.id not in {guide.id for guide in await guides_of(session, info.cohort, info.program)}:
        return f"{name} is not a {role} of {cohort_in_sentence(info.cohort, info.program)}."
    earlier = select(Pair.id).where(
        Pair.cohort_id == info.cohort.id, Pair.guide_id == target.id, Pair.guided_id == info.guided.id
    )
    if (await session.execute(earlier)).first() is not None:
        return f"{name} was {info.guided.display_name}'s {role} before: an ended pairing is not made again."
    if await free_places(session, info.cohort, info.program, target.id) <= 0:
        capacity = await guide_capacity(session, info.cohort, info.program, target.id)
        return f"{name} is at capacity: all {capacity} of their places are taken."
    return None


# The changes


async def end_pair(session: AsyncSession, info: PairInfo, reason: str, now: datetime, public_url: str) -> None:
    """End the pair for a reason of END_REASONS, cancel its future sessions, and tell both."""
    cancelled = await _close(session, info.pair, reason, now)
    neutral = f" ({NEUTRAL[reason]})" if reason in NEUTRAL else ""
    for person in (info.guide, info.guided):
        partner = info.partner_of(person.id)
        text = (
            f"The coordinators of {cohort_in_sentence(info.cohort, info.program)} have ended your pairing with "
            f"{partner.display_name}{neutral}. {_questions(info.program)}"
        )
        _tell(session, person, text, cancelled, now, public_url)


async def close_for_leaving(session: AsyncSession, info: PairInfo, now: datetime) -> None:
    """End the pair because one side left the program (`forget me`): its future sessions are cancelled and
    its check-ins withdrawn; the caller tells the people, in its own words."""
    await _close(session, info.pair, "left_program", now)


async def move_pair(
    session: AsyncSession, info: PairInfo, target: Person, reason: str, now: datetime, public_url: str
) -> Pair:
    """End the pair (its participant moves) and pair the participant with `target`; all three are told."""
    cancelled = await _close(session, info.pair, MOVED + reason, now)
    pair = Pair(cohort_id=info.cohort.id, guide_id=target.id, guided_id=info.guided.id, status="active", created_at=now)
    session.add(pair)
    await session.flush()
    program, cohort, guide_role = info.program, info.cohort, info.program.guide_role
    old = (
        f"The coordinators of {cohort_in_sentence(cohort, program)} have paired {info.guided.display_name} "
        f"with another {guide_role}: your pairing with them has ended. {_questions(program)}"
    )
    _tell(session, info.guide, old, cancelled, now, public_url)
    moved = (
        f"The coordinators of {cohort_in_sentence(cohort, program)} have paired you with a new {guide_role}: "
        f"*{target.display_name}*, {target.email}. Your pairing with {info.guide.display_name} has ended. "
        "Type `book` to book a session with your new partner."
    )
    _tell(session, info.guided, moved, cancelled, now, public_url)
    new = (
        f"The coordinators of {cohort_in_sentence(cohort, program)} have paired you with "
        f"*{info.guided.display_name}*, {info.guided.email}, as their {guide_role}."
    )
    _tell(session, target, new, [], now, public_url)
    return pair


async def pause_pair(
    session: AsyncSession, info: PairInfo, until: date, reason: str, now: datetime, public_url: str
) -> None:
    """Pause the pair up to and including `until`; sessions before then are cancelled; both told."""
    pair = info.pair
    pair.paused_until, pair.pause_reason = until, reason
    cancelled = await _cancel_sessions(session, pair, now, through=until, zone=info.guided.timezone or "UTC")
    await _withdraw_check_ins(session, pair)
    for person in (info.guide, info.guided):
        partner = info.partner_of(person.id)
        text = (
            f"The coordinators of {cohort_in_sentence(info.cohort, info.program)} have paused your pairing with "
            f"{partner.display_name} until {long_date(until)} (included): no check-ins and no sessions until then. "
            f"It resumes by itself the day after. {_questions(info.program)}"
        )
        _tell(session, person, text, cancelled, now, public_url)


def resume_pair(session: AsyncSession, info: PairInfo, now: datetime, *, early: bool) -> None:
    """Lift the pair's pause and tell both (`early`: a coordinator lifted it before its day). The pause keeps
    its last day in `paused_until` (yesterday, when lifted early: past, so not paused): quiet weeks count from
    the day after."""
    info.pair.pause_reason = None
    if early:
        info.pair.paused_until = now.date() - timedelta(days=1)
    when = "The coordinators have resumed" if early else "The pause is over: I have resumed"
    for person in (info.guide, info.guided):
        partner = info.partner_of(person.id)
        text = (
            f"{when} your pairing with {partner.display_name} in {cohort_in_sentence(info.cohort, info.program)}. "
            "Type `book` to book a session."
        )
        _tell(session, person, text, [], now, "")


async def _close(session: AsyncSession, pair: Pair, reason: str, now: datetime) -> list[CoachingSession]:
    pair.status, pair.ended_at, pair.end_reason = "ended", now, reason
    pair.paused_until, pair.pause_reason, pair.quiet_flagged_on = None, None, None
    await _withdraw_check_ins(session, pair)
    return await _cancel_sessions(session, pair, now)


async def _cancel_sessions(
    session: AsyncSession, pair: Pair, now: datetime, *, through: date | None = None, zone: str = "UTC"
) -> list[CoachingSession]:
    """Cancel the pair's booked sessions still ahead (up to the end of `through` in `zone`, if given)."""
    query = select(CoachingSession).where(
        CoachingSession.pair_id == pair.id, CoachingSession.status == "booked", CoachingSession.starts_at > now
    )
    if through is not None:
        query = query.where(CoachingSession.starts_at < _day_after(through, zone))
    rows = list((await session.execute(query.order_by(CoachingSession.starts_at))).scalars())
    for row in rows:
        await booking.cancel(session, row, now)
    return rows


def _day_after(day: date, zone: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone))


async def _withdraw_check_ins(session: AsyncSession, pair: Pair) -> None:
    """Check-ins and their reminders not sent yet to the pair are dropped."""
    refs = select(literal("check-in:") + cast(CheckIn.id, String)).where(CheckIn.pair_id == pair.id)
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status == "pending",
            OutboxMessage.kind.in_(("check-in", "check-in-reminder")),
            OutboxMessage.ref.in_(refs),
        )
    )


def _questions(program: Program) -> str:
    return f"Questions: {program.contact}." if program.contact else ""


def _tell(
    session: AsyncSession, person: Person, text: str, cancelled: list[CoachingSession], now: datetime, public_url: str
) -> None:
    zone = person.timezone or "UTC"
    lines = tuple(
        f"Cancelled: {booking.local(row.starts_at, zone)}. Calendar (cancels the event): "
        f"{booking.calendar_link(public_url, row.calendar_token)}"
        for row in cancelled
    )
    outbox.queue(session, person.id, Reply(text.strip(), title="Your pairing", lines=lines), kind=KIND, now=now)
