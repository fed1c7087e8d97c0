"""One-to-one sessions: who a person books with, the program's rules, free times, and booking itself.

A session takes quarter-hour busy slots for both people; the slot table's key (person, quarter hour)
refuses a second session over the same time, so of two racing bookings exactly one wins. Reminders
(24 hours and 1 hour before) and the question whether it took place are outbox messages due later,
tagged with the session so a move or a cancellation withdraws them.
"""

import secrets
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import ending, invites, outbox
from bot.cohorts import cohort_in_sentence, cohort_label, sessions_phase
from bot.dialog import button
from bot.events import PEER_GROUP
from bot.events import invite as invite_of
from bot.i18n import N_, _, clock, day_month, speaking
from bot.i18n import weekday as weekday_name
from bot.messages import Reply
from bot.pairs import PairInfo, pairings_of
from bot.programs import ProgramCatalog
from bot.timezones import date_span, long_date, zone_name
from storage.models import Availability, BusySlot, CoachingSession, Cohort, GroupSeat, GroupSession, Pair, Person

SLOT = timedelta(minutes=15)
SEARCH_STEP = timedelta(minutes=30)
SEARCH_DAYS = 21
COUNTED = ("booked", "held")  # statuses that use up the quota
DEFAULT_HOURS = (0, 1, 2, 3, 4), time(9), time(17)  # Monday-Friday 09:00-17:00, when a coach set none
REMINDERS = (timedelta(hours=24), timedelta(hours=1))
OUTCOMES = {  # the answers to "did it take place?", as its buttons say them
    "held": N_("It took place"),
    "rescheduled": N_("It was moved"),
    "no_show": N_("One of us did not come"),
}
SESSION_MESSAGE_KINDS = ("reminder", "outcome-question")


async def pairs_of(
    session: AsyncSession, person_id: int, programs: ProgramCatalog, *, completed: bool = False
) -> list[PairInfo]:
    """The person's active pairings in programs with one-to-one sessions (`completed`: and those that ran
    until their program ended, whose sessions stay listed and can still be said to have taken place)."""
    statuses = ("active", ending.COMPLETED) if completed else ("active",)
    found = await pairings_of(session, person_id, programs, active_only=False)
    return [info for info in found if info.program.one_to_one is not None and info.pair.status in statuses]


async def pair_info(session: AsyncSession, pair_id: int, programs: ProgramCatalog) -> PairInfo | None:
    pair = await session.get(Pair, pair_id)
    if pair is None:
        return None
    for info in await pairs_of(session, pair.guided_id, programs, completed=True):
        if info.pair.id == pair_id:
            return info
    return None


# Rules


def window_of(info: PairInfo) -> tuple[date, date] | None:
    """The days sessions may fall on: the sessions' phase, and never after the cohort's end."""
    phase = sessions_phase(info.cohort, info.program)
    if phase is None:
        return None
    return phase.opens, min(phase.closes, info.cohort.ends_on)


async def used(session: AsyncSession, pair_id: int) -> int:
    query = select(func.count()).select_from(CoachingSession)
    query = query.where(CoachingSession.pair_id == pair_id, CoachingSession.status.in_(COUNTED))
    return (await session.execute(query)).scalar_one()


async def rule_broken(
    session: AsyncSession, info: PairInfo, starts_at: datetime, now: datetime, *, moving: CoachingSession | None = None
) -> str | None:
    """Why the program's rules refuse this time, or None. Availability and clashes are checked apart."""
    if info.pair.status == ending.COMPLETED:
        ended = ending.ended_words(info.cohort, info.program)
        return _("{ended}: no more sessions are booked in it.").format(ended=ended)
    if starts_at <= now:
        return _("That time has already passed: please give a time in the future.")
    window = window_of(info)
    zone = info.guided.timezone or "UTC"
    paused = info.pair.paused_until
    if paused is not None and starts_at.astimezone(ZoneInfo(zone)).date() <= paused:
        return _("The coordinators paused this pairing until {date}: book a day after that.").format(
            date=long_date(paused)
        )
    rules = info.program.one_to_one
    assert rules is not None
    if window is not None and not window[0] <= starts_at.astimezone(ZoneInfo(zone)).date() <= window[1]:
        first, last = window
        count = await used(session, info.pair.id)
        cohort, span, quota = cohort_in_sentence(info.cohort, info.program), date_span(first, last), rules.quota_words()
        if quota:
            return _(
                "One-to-one sessions in {cohort} take place from {span}. You have used {count} of {quota} so far."
            ).format(cohort=cohort, span=span, count=count, quota=quota)
        return _("One-to-one sessions in {cohort} take place from {span}. You have used {count} so far.").format(
            cohort=cohort, span=span, count=count
        )
    if rules.maximum is not None and moving is None:  # a minimum is never a cap
        count = await used(session, info.pair.id)
        if count >= rules.maximum:
            return _(
                "You have used all {maximum} one-to-one sessions of the {program} ({count} booked or held)."
            ).format(maximum=rules.maximum, program=info.program.short_name, count=count)
    return None


async def weekly_hours(session: AsyncSession, person: Person) -> list[tuple[int, time, time, str]]:
    """(weekday, from, to, zone) rows of a coach's hours; Monday-Friday 9-17 in their zone if none set."""
    query = select(Availability).where(Availability.person_id == person.id).order_by(Availability.weekday)
    rows = list((await session.execute(query)).scalars())
    if not rows:
        days, start, end = DEFAULT_HOURS
        return [(day, start, end, person.timezone or "UTC") for day in days]
    return [(r.weekday, _clock(r.starts_minute), _clock(r.ends_minute), r.timezone) for r in rows]


def _clock(minutes: int) -> time:
    return time(23, 59) if minutes >= 24 * 60 else time(minutes // 60, minutes % 60)


def within(hours: list[tuple[int, time, time, str]], starts_at: datetime, ends_at: datetime) -> bool:
    for weekday, start, end, zone in hours:
        local_start, local_end = starts_at.astimezone(ZoneInfo(zone)), ends_at.astimezone(ZoneInfo(zone))
        if local_start.weekday() != weekday or local_end.date() != local_start.date():
            continue
        if start <= local_start.time() and local_end.time() <= end:
            return True
    return False


def slots(starts_at: datetime, ends_at: datetime) -> list[datetime]:
    """The quarter hours a session covers (a start off the quarter takes the whole quarter)."""
    first = starts_at.replace(minute=starts_at.minute - starts_at.minute % 15, second=0, microsecond=0)
    found = []
    while first < ends_at:
        found.append(first)
        first += SLOT
    return found


async def busy(session: AsyncSession, person_ids: list[int], start: datetime, end: datetime) -> set[datetime]:
    query = select(BusySlot.slot_start).where(
        BusySlot.person_id.in_(person_ids), BusySlot.slot_start >= start - SLOT * 8, BusySlot.slot_start < end
    )
    return set((await session.execute(query)).scalars())


WAKING = (time(7), time(22))  # free times offered fall inside the asker's day when possible


async def free_times(
    session: AsyncSession,
    info: PairInfo,
    now: datetime,
    *,
    near: datetime | None = None,
    count: int = 3,
    asker_zone: str | None = None,
) -> list[datetime]:
    """The next free starts in the coach's hours and the program window, nearest to `near` if given,
    preferring times between 07:00 and 22:00 for the person asking."""
    length = timedelta(minutes=info.minutes)
    start = _next_half_hour(max(now + timedelta(hours=2), (near or now) - timedelta(days=3)))
    end = start + timedelta(days=SEARCH_DAYS)
    taken = await busy(session, [info.guide.id, info.guided.id], start, end + length)
    hours = await weekly_hours(session, info.guide)
    window = window_of(info)
    candidates = []
    moment = start
    while moment < end:
        finish = moment + length
        local_day = moment.astimezone(ZoneInfo(info.guided.timezone or "UTC")).date()
        if (
            (window is None or window[0] <= local_day <= window[1])
            and within(hours, moment, finish)
            and not taken & set(slots(moment, finish))
        ):
            candidates.append(moment)
        moment += SEARCH_STEP
    if asker_zone is not None:
        daytime = [c for c in candidates if _waking(c, c + length, asker_zone)]
        candidates = daytime or candidates
    if near is not None:
        candidates.sort(key=lambda candidate: abs(candidate - near))
    return sorted(candidates[:count])


def _waking(starts_at: datetime, ends_at: datetime, zone: str) -> bool:
    start, end = starts_at.astimezone(ZoneInfo(zone)), ends_at.astimezone(ZoneInfo(zone))
    return start.date() == end.date() and WAKING[0] <= start.time() and end.time() <= WAKING[1]


def _next_half_hour(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    extra = (30 - moment.minute % 30) % 30
    return moment + timedelta(minutes=extra)


# Booking, moving, cancelling


async def book(
    session: AsyncSession, info: PairInfo, starts_at: datetime, booked_by: Person, now: datetime
) -> CoachingSession | None:
    """The new session, or None when either person is taken then (the busy-slot key refused it)."""
    ends_at = starts_at + timedelta(minutes=info.minutes)
    booking = CoachingSession(
        pair_id=info.pair.id,
        starts_at=starts_at,
        ends_at=ends_at,
        status="booked",
        sequence=0,
        calendar_token=secrets.token_urlsafe(24),
        booked_by_id=booked_by.id,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(booking)
            await session.flush()
            _take_slots(session, booking, info)
    except IntegrityError:
        return None
    info.pair.quiet_flagged_on = None  # the pair is in touch again: a later silence may be flagged anew
    _schedule_messages(session, info, booking, now)
    return booking


async def move(
    session: AsyncSession, info: PairInfo, booking: CoachingSession, starts_at: datetime, now: datetime
) -> bool:
    """Move a session; False (and nothing changed) when either person is taken at the new time."""
    try:
        async with session.begin_nested():
            await session.execute(delete(BusySlot).where(BusySlot.session_id == booking.id))
            booking.starts_at, booking.ends_at = starts_at, starts_at + timedelta(minutes=info.minutes)
            booking.sequence, booking.updated_at = booking.sequence + 1, now
            await session.flush()
            _take_slots(session, booking, info)
            await session.flush()
    except IntegrityError:
        await session.refresh(booking)
        return False
    await outbox.withdraw_pending(session, _ref(booking), SESSION_MESSAGE_KINDS)
    _schedule_messages(session, info, booking, now)
    return True


async def cancel(session: AsyncSession, booking: CoachingSession, now: datetime) -> None:
    await session.execute(delete(BusySlot).where(BusySlot.session_id == booking.id))
    booking.status, booking.sequence, booking.updated_at = "cancelled", booking.sequence + 1, now
    await outbox.withdraw_pending(session, _ref(booking), SESSION_MESSAGE_KINDS)


def _take_slots(session: AsyncSession, booking: CoachingSession, info: PairInfo) -> None:
    for person_id in (info.guide.id, info.guided.id):
        for slot in slots(booking.starts_at, booking.ends_at):
            session.add(BusySlot(person_id=person_id, slot_start=slot, session_id=booking.id))


def _ref(booking: CoachingSession) -> str:
    return f"session:{booking.id}"


def _schedule_messages(session: AsyncSession, info: PairInfo, booking: CoachingSession, now: datetime) -> None:
    for person in (info.guide, info.guided):
        partner = info.partner_of(person.id)
        zone = person.timezone or "UTC"

        def subject(name: str = partner.display_name) -> str:
            return _("your session with {name}").format(name=name)

        queue_reminders(session, person, subject, booking.starts_at, ref=_ref(booking), now=now)
        with speaking(person.language):  # written in the language of the person it is for
            question = Reply(
                _(
                    "Did your session with {name} on {time} take place? "
                    "I only note which of these it was: nothing about what was said."
                ).format(name=partner.display_name, time=local(booking.starts_at, zone)),
                buttons=tuple(
                    button("sessions", _(label), f"outcome|{booking.id}|{outcome}")
                    for outcome, label in OUTCOMES.items()
                ),
            )
        outbox.queue(
            session, person.id, question, kind="outcome-question", now=now, due_at=booking.ends_at, ref=_ref(booking)
        )


def queue_reminders(
    session: AsyncSession,
    person: Person,
    subject: str | Callable[[], str],
    starts_at: datetime,
    *,
    ref: str,
    now: datetime,
) -> None:
    """Reminders 24 hours and 1 hour before (those still ahead), due in the outbox, tagged with `ref`. They
    are written in the person's language; `subject` ("your session with Cora Coach") may be a function,
    called in that language, so that it is in it too."""
    zone = person.timezone or "UTC"
    with speaking(person.language):
        about = subject() if callable(subject) else subject
        for before in REMINDERS:
            due = starts_at - before
            if due > now:
                if before >= timedelta(hours=24):
                    text = _("Reminder: {subject} is tomorrow, {time}.")
                else:
                    text = _("Reminder: {subject} is in one hour, {time}.")
                reminder = Reply(text.format(subject=about, time=local(starts_at, zone)))
                outbox.queue(session, person.id, reminder, kind="reminder", now=now, due_at=due, ref=ref)


def local(moment: datetime, zone: str) -> str:
    """ "Tuesday 1 December, 15:00 Central Time", in the reader's language"""
    shown = moment.astimezone(ZoneInfo(zone))
    return _("{weekday} {date}, {clock} {zone}").format(
        weekday=weekday_name(shown), date=day_month(shown), clock=clock(shown), zone=zone_name(zone)
    )


# Calendar files


def calendar_link(public_url: str, token: str) -> str:
    """Where a person's calendar fetches the invitation (served by app.py at /calendar/TOKEN.ics)."""
    return f"{public_url}/calendar/{token}.ics"


async def calendar_file(
    session: AsyncSession, token: str, now: datetime, programs: ProgramCatalog | None = None
) -> tuple[str, bytes] | None:
    """The .ics for a one-to-one session, a peer-group session or an event by its unguessable token;
    None if unknown. `programs` words an event's invitation and finds its audience."""
    one_to_one = (
        await session.execute(select(CoachingSession).where(CoachingSession.calendar_token == token))
    ).scalar_one_or_none()
    if one_to_one is not None:
        invite = await _session_invite(session, one_to_one, programs)
    else:
        group = (
            await session.execute(select(GroupSession).where(GroupSession.calendar_token == token))
        ).scalar_one_or_none()
        if group is None:
            return None
        invite = await (
            _group_invite(session, group) if group.kind == PEER_GROUP else invite_of(session, group, programs)
        )
    return invites.file_name(invite), invites.ics_bytes(invite, now=now)


async def _session_invite(
    session: AsyncSession, row: CoachingSession, programs: ProgramCatalog | None
) -> invites.Invite:
    pair = await session.get_one(Pair, row.pair_id)
    guide, guided = await session.get_one(Person, pair.guide_id), await session.get_one(Person, pair.guided_id)
    cohort = await session.get_one(Cohort, pair.cohort_id)
    program = programs.get(cohort.program_id) if programs else None
    return invites.Invite(
        uid=invites.session_uid("session", row.id),
        sequence=row.sequence,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        summary=_("Coaching session: {guided} and {guide}").format(
            guided=guided.display_name, guide=guide.display_name
        ),
        description=_("One-to-one session, {cohort}, booked with the coaching assistant.").format(
            cohort=cohort_label(cohort, program)
        ),
        organizer_email=guide.email,
        attendee_emails=(guide.email, guided.email),
        cancelled=row.status == "cancelled",
    )


async def _group_invite(session: AsyncSession, group: GroupSession) -> invites.Invite:
    organizer = await session.get_one(Person, group.created_by_id)
    members = (
        select(Person.email).join(GroupSeat, GroupSeat.person_id == Person.id).where(GroupSeat.group_id == group.id)
    )
    emails = tuple((await session.execute(members.order_by(Person.email))).scalars()) or (organizer.email,)
    return invites.Invite(
        uid=invites.session_uid("group-session", group.id),
        sequence=group.sequence,
        starts_at=group.starts_at,
        ends_at=group.ends_at,
        summary=_("Peer-group session: {title}").format(title=group.title),
        description=_("Peer-coaching group session, scheduled with the coaching assistant."),
        organizer_email=organizer.email,
        attendee_emails=emails,
        cancelled=group.status == "cancelled",
    )
