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
from bot.i18n import N_, _, role_word, speaking
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
# The reasons' words (N_): shown with _() where they are read.
END_REASONS = {
    "not_a_good_fit": N_("not a good fit"),
    "schedules": N_("schedules do not work"),
    "left_program": N_("one side left the program"),
    "personal": N_("personal reasons"),
    "goals_reached": N_("goals reached early"),
    "other": N_("other"),
}
PAUSE_REASONS = {"leave": N_("leave"), "illness": N_("illness"), "workload": N_("workload"), "other": N_("other")}
NEUTRAL = {"goals_reached": N_("the goals were reached early")}  # the only reason the two people are told
# Other ends of a pair, as told_reason shows their stored reason (bot/applications.py release, bot/ending.py,
# a pair ended by consent in dialogs/partner.py); anything else is shown as stored.
OTHER_ENDINGS = {
    "ended": N_("ended"),
    "mutual_consent": N_("mutual consent"),
    "program_ended": N_("program ended"),
    "withdrawn": N_("withdrawn"),
    "lapsed": N_("lapsed"),
    "coordinator": N_("coordinator"),
}
MOVED = "moved_"  # end_reason prefix of a pair that ended because its participant moved
LONGEST_PAUSE = timedelta(days=366)


def told_reason(end_reason: str | None) -> str:
    """How an ended pairing's reason is shown to its two people (in the reader's language): a coordinator's
    reason only if neutral."""
    reason = (end_reason or "ended").removeprefix(MOVED)
    if reason in NEUTRAL:
        return _(NEUTRAL[reason])
    if reason in END_REASONS:
        moved = (end_reason or "").startswith(MOVED)
        return _("changed by the coordinators") if moved else _("ended by the coordinators")
    return _(OTHER_ENDINGS[reason]) if reason in OTHER_ENDINGS else reason.replace("_", " ")


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
        return None, _("I couldn't read `{typed}` as a day: write it like {examples}.").format(
            typed=typed[:40], examples=_(DATE_EXAMPLES)
        )
    return day, ""


def pause_refusal(day: date, today: date, last_day: date | None = None) -> str | None:
    """Why a pause until `day` is refused (past or today, over a year ahead, after the cohort), or None."""
    if day <= today:
        return _("{date} is not after today: give a day to come.").format(date=long_date(day))
    if day > today + LONGEST_PAUSE:
        return _("{date} is more than a year ahead: give a nearer day.").format(date=long_date(day))
    if last_day is not None and day > last_day:
        return _("{date} is after the cohort's last day, {last_day}.").format(
            date=long_date(day), last_day=long_date(last_day)
        )
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
    role, name, guided = role_word(info.program.guide_role), target.display_name, info.guided.display_name
    if target.id == info.guided.id:
        return _("{name} cannot be their own {role}.").format(name=name, role=role)
    if target.id == info.guide.id:
        return _("{name} is already {guided}'s {role}.").format(name=name, guided=guided, role=role)
    if target.id not in {guide.id for guide in await guides_of(session, info.cohort, info.program)}:
        return _("{name} is not a {role} of {cohort}.").format(
            name=name, role=role, cohort=cohort_in_sentence(info.cohort, info.program)
        )
    earlier = select(Pair.id).where(
        Pair.cohort_id == info.cohort.id, Pair.guide_id == target.id, Pair.guided_id == info.guided.id
    )
    if (await session.execute(earlier)).first() is not None:
        return _("{name} was {guided}'s {role} before: an ended pairing is not made again.").format(
            name=name, guided=guided, role=role
        )
    if await free_places(session, info.cohort, info.program, target.id) <= 0:
        capacity = await guide_capacity(session, info.cohort, info.program, target.id)
        return _("{name} is at capacity: all {count} of their places are taken.").format(name=name, count=capacity)
    return None


# The changes


async def end_pair(session: AsyncSession, info: PairInfo, reason: str, now: datetime, public_url: str) -> None:
    """End the pair for a reason of END_REASONS, cancel its future sessions, and tell both."""
    cancelled = await _close(session, info.pair, reason, now)
    for person in (info.guide, info.guided):
        partner = info.partner_of(person.id)
        with speaking(person.language):  # each of the two in their own language
            cohort = cohort_in_sentence(info.cohort, info.program)
            if reason in NEUTRAL:
                text = _("The coordinators of {cohort} have ended your pairing with {partner} ({why}).").format(
                    cohort=cohort, partner=partner.display_name, why=_(NEUTRAL[reason])
                )
            else:
                text = _("The coordinators of {cohort} have ended your pairing with {partner}.").format(
                    cohort=cohort, partner=partner.display_name
                )
            _tell(session, person, f"{text} {_questions(info.program)}", cancelled, now, public_url)


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
    with speaking(info.guide.language):
        old = _(
            "The coordinators of {cohort} have paired {name} with another {role}: your pairing with them has ended."
        ).format(cohort=cohort_in_sentence(cohort, program), name=info.guided.display_name, role=role_word(guide_role))
        _tell(session, info.guide, f"{old} {_questions(program)}", cancelled, now, public_url)
    with speaking(info.guided.language):
        moved = _(
            "The coordinators of {cohort} have paired you with a new {role}: *{name}*, {email}. "
            "Your pairing with {old} has ended. Type `book` to book a session with your new partner."
        ).format(
            cohort=cohort_in_sentence(cohort, program),
            role=role_word(guide_role),
            name=target.display_name,
            email=target.email,
            old=info.guide.display_name,
        )
        _tell(session, info.guided, moved, cancelled, now, public_url)
    with speaking(target.language):
        new = _("The coordinators of {cohort} have paired you with *{name}*, {email}, as their {role}.").format(
            cohort=cohort_in_sentence(cohort, program),
            name=info.guided.display_name,
            email=info.guided.email,
            role=role_word(guide_role),
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
        with speaking(person.language):  # each of the two in their own language
            text = _(
                "The coordinators of {cohort} have paused your pairing with {partner} until {date} (included): "
                "no check-ins and no sessions until then. It resumes by itself the day after."
            ).format(
                cohort=cohort_in_sentence(info.cohort, info.program),
                partner=partner.display_name,
                date=long_date(until),
            )
            _tell(session, person, f"{text} {_questions(info.program)}", cancelled, now, public_url)


def resume_pair(session: AsyncSession, info: PairInfo, now: datetime, *, early: bool) -> None:
    """Lift the pair's pause and tell both (`early`: a coordinator lifted it before its day). The pause keeps
    its last day in `paused_until` (yesterday, when lifted early: past, so not paused): quiet weeks count from
    the day after."""
    info.pair.pause_reason = None
    if early:
        info.pair.paused_until = now.date() - timedelta(days=1)
    for person in (info.guide, info.guided):
        partner = info.partner_of(person.id)
        with speaking(person.language):  # each of the two in their own language
            if early:
                text = _("The coordinators have resumed your pairing with {partner} in {cohort}.")
            else:
                text = _("The pause is over: I have resumed your pairing with {partner} in {cohort}.")
            text = text.format(partner=partner.display_name, cohort=cohort_in_sentence(info.cohort, info.program))
            book = _("Type `book` to book a session.")
            _tell(session, person, f"{text} {book}", [], now, "")


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
    return _("Questions: {contact}.").format(contact=program.contact) if program.contact else ""


def _tell(
    session: AsyncSession, person: Person, text: str, cancelled: list[CoachingSession], now: datetime, public_url: str
) -> None:
    """Queue `text` for `person`; called inside `speaking(person.language)`, so the lines are theirs too."""
    zone = person.timezone or "UTC"
    lines = tuple(
        _("Cancelled: {when}. Calendar (cancels the event): {link}").format(
            when=booking.local(row.starts_at, zone), link=booking.calendar_link(public_url, row.calendar_token)
        )
        for row in cancelled
    )
    reply = Reply(text.strip(), title=_("Your pairing"), lines=lines)
    outbox.queue(session, person.id, reply, kind=KIND, now=now)
