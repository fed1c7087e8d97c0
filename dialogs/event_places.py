"""`events`: the coming events for the reader, in their zone, joining or leaving those with places, and
`event cancel N` for their coordinators.

A reader sees the events of their cohorts whose audience they are in (everyone, their role, or the
coordinators; in the coordinator network every coordinator's meetings), and the coordinators also every
event of the cohorts they coordinate, with the number `event cancel` takes. Events with places have
Join and Leave buttons and a waitlist, as peer groups (bot/gatherings.py); the others are open to
everyone they are for.
"""

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import gatherings, outbox
from bot.booking import local
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.dialog import Turn, button, row_id
from bot.events import (
    COORDINATORS,
    KINDS,
    MINUTES,
    OPEN,
    audience_people,
    audience_words,
    capitalised,
    event_name,
    in_audience,
    subject,
)
from bot.i18n import N_, _, ngettext, speaking
from bot.messages import Button, Reply
from bot.outbox import Queued
from bot.programs import Program
from storage.models import BusySlot, Cohort, GroupSession, Person

NAME = "event"
SHOWN = 10  # events listed with buttons
LABEL_LENGTH = 40
MARKS = {gatherings.SEATED: N_(" (you are in)"), gatherings.WAITING: N_(" (you are on the waitlist)")}


def invited(turn: Turn, event: GroupSession, cohort: Cohort, program: Program) -> bool:
    return in_audience(turn.roles, event, cohort, program)


async def show(turn: Turn, usage: str) -> None:
    shown = await _coming(turn)
    coordinator = bool(turn.roles.coordinator_of)
    if not shown:
        text = _("No events are coming up for you; I will tell you when one is scheduled.")
        if coordinator:
            text += " " + _("To schedule one: {usage}.").format(usage=usage)
        turn.say(text)
        return
    ids = [event.id for event, _program, _cohort in shown]
    seated, waiting = await gatherings.counts(turn.session, ids)
    held = await gatherings.held(turn.session, turn.person.id, ids)
    lines, buttons = [], []
    for event, program, cohort in shown:
        line = _("{event}: {when}, for {audience} of {cohort}").format(
            event=capitalised(event_name(event.kind, event.audience, program)),
            when=when(turn, event),
            audience=audience_words(program, event.audience or COORDINATORS),
            cohort=cohort_in_sentence(cohort, program),
        )
        mine = invited(turn, event, cohort, program)
        if event.capacity != OPEN:
            left = event.capacity - seated.get(event.id, 0)
            line += (
                _(": {left} of {capacity} places left").format(left=left, capacity=event.capacity)
                if left > 0
                else _(": full, {count} waiting").format(count=waiting.get(event.id, 0))
            )
            mark = MARKS.get(held.get(event.id, ""))
            line += _(mark) if mark else ""
        elif mine:
            line += _(" (you are invited)")
        if turn.roles.coordinates_cohort(cohort):
            line += _(" [number {number}]").format(number=event.id)
        lines.append(line)
        if event.capacity != OPEN and mine and len(buttons) < SHOWN:
            action = "leave" if event.id in held else "join"
            label = event.title if len(event.title) <= LABEL_LENGTH else event.title[: LABEL_LENGTH - 1] + "…"
            words = _("Leave {title}") if action == "leave" else _("Join {title}")
            style = "primary" if action == "join" else "default"
            buttons.append(button(NAME, words.format(title=label), f"{action}|{event.id}", style))
    text = _("Each in your time zone.")
    if coordinator:
        text += " " + _("To cancel one you coordinate: `event cancel NUMBER`. To schedule one: {usage}.").format(
            usage=usage
        )
    turn.say(text, title=_("Coming events"), lines=tuple(lines), buttons=tuple(buttons))


async def _coming(turn: Turn) -> list[tuple[GroupSession, Program, Cohort]]:
    """The coming events of the reader's cohorts and audiences, and of the cohorts they coordinate."""
    network = [p.id for p in turn.programs if p.regions and turn.roles.coordinates(p.id)]
    whose = or_(
        Cohort.id.in_(sorted({entry.cohort_id for entry in turn.roles.in_cohorts})),
        turn.roles.coordinated_cohorts(),
        and_(Cohort.program_id.in_(network), GroupSession.audience == COORDINATORS),
    )
    query = (
        select(GroupSession, Cohort)
        .join(Cohort, Cohort.id == GroupSession.cohort_id)
        .where(GroupSession.kind.in_(KINDS), GroupSession.status == "scheduled", GroupSession.starts_at > turn.now)
        .where(whose)
        .order_by(GroupSession.starts_at, GroupSession.id)
    )
    found = []
    for event, cohort in (await turn.session.execute(query)).all():
        program = turn.programs.get(cohort.program_id)
        if program is not None and (invited(turn, event, cohort, program) or turn.roles.coordinates_cohort(cohort)):
            found.append((event, program, cohort))
    return found


async def own_event(turn: Turn, event_id: str) -> tuple[GroupSession, Program] | None:
    """The event, when it is a coming one with places for this person; else says why."""
    session = turn.session
    given_id = row_id(event_id)
    event = await session.get(GroupSession, given_id) if given_id is not None else None
    cohort = await session.get(Cohort, event.cohort_id) if event is not None and event.kind in KINDS else None
    program = turn.programs.get(cohort.program_id) if cohort is not None else None
    if event is None or cohort is None or program is None or not invited(turn, event, cohort, program):
        turn.say(_("That is not one of your events. Type `events` to see yours. Nothing changed."))
        return None
    if event.status != "scheduled":
        turn.say(
            _("{title} was cancelled. Type `events` to see the others. Nothing changed.").format(title=event.title)
        )
    elif event.starts_at <= turn.now:
        turn.say(_("{event} has already started. Nothing changed.").format(event=when(turn, event)))
    elif event.capacity == OPEN:
        turn.say(
            _("{title} has no places to take: everyone it is for is invited. Nothing changed.").format(
                title=event.title
            )
        )
    else:
        return event, program
    return None


async def join(turn: Turn, event: GroupSession, program: Program) -> None:
    session, person = turn.session, turn.person
    if await gatherings.seat_of(session, event.id, person.id) is not None:
        turn.say(_("You are already in {event}.").format(event=when(turn, event)), buttons=(leave_button(event),))
        return
    outcome, position = await gatherings.join(session, event, person.id, turn.now)
    not_seated = gatherings.not_seated_words(outcome, position, when(turn, event), "event")
    if outcome == gatherings.WAITING:
        turn.say(str(not_seated), buttons=(button(NAME, _("Leave the waitlist"), f"leave|{event.id}"),))
    elif not_seated is not None:
        turn.say(not_seated)
    else:
        gatherings.remind(session, event, person, subject(event, program), turn.now)
        turn.say(
            _("You are in: {event}, {minutes} minutes.").format(
                event=when(turn, event), minutes=MINUTES.get(event.kind, 60)
            ),
            lines=(_("Calendar invitation: {link}").format(link=gatherings.link(turn.public_url, event)),),
            buttons=(leave_button(event),),
        )


async def leave(turn: Turn, event: GroupSession, program: Program) -> None:
    left = await gatherings.leave(turn.session, event, turn.person.id)
    if left is None:
        turn.say(_("You are not in {event}, so there is nothing to leave.").format(event=when(turn, event)))
        return
    if left == gatherings.WAITING:
        turn.say(_("You are off the waitlist of {event}.").format(event=when(turn, event)))
        return

    async def anyone(_person_id: int) -> bool:
        return True

    person = await gatherings.give_place_to_first_waiting(turn.session, event, turn.now, anyone)
    if person is not None:
        with speaking(person.language):  # their news, in their language
            gatherings.remind(turn.session, event, person, subject(event, program), turn.now)
            told = Reply(
                _("A place freed up in {title}, {when}, and it is yours: you are in.").format(
                    title=event.title, when=local(event.starts_at, person.timezone or "UTC")
                ),
                title=_("You have a place in the {event}").format(
                    event=event_name(event.kind, event.audience, program)
                ),
                lines=(_("Calendar invitation: {link}").format(link=gatherings.link(turn.public_url, event)),),
                buttons=(leave_button(event),),
            )
        outbox.queue(turn.session, person.id, told, kind="event", now=turn.now)
    turn.say(_("You left {event}.").format(event=when(turn, event)))


# Cancelling (coordinators)


async def cancel(turn: Turn, typed: str) -> None:
    session = turn.session
    given_id = row_id(typed)
    event = await session.get(GroupSession, given_id) if given_id is not None else None
    cohort = await session.get(Cohort, event.cohort_id) if event is not None and event.kind in KINDS else None
    program = turn.programs.get(cohort.program_id) if cohort is not None else None
    if event is None or cohort is None or program is None or not turn.roles.coordinates_cohort(cohort):
        turn.say(
            _(
                "There is no event `{typed}` in the cohorts you coordinate: `events` shows their numbers. "
                "Nothing was cancelled."
            ).format(typed=typed[:20])
        )
        return
    if event.status != "scheduled":
        turn.say(_("{title} is cancelled already. Nothing changed.").format(title=event.title))
        return
    if event.starts_at <= turn.now:
        turn.say(_("{event} has already started. Nothing was cancelled.").format(event=when(turn, event)))
        return
    event.status, event.sequence = "cancelled", event.sequence + 1
    holders = await gatherings.seat_holders(session, event.id)
    await _withdraw_reminders(session, event, holders)
    await session.execute(delete(BusySlot).where(BusySlot.group_id == event.id))
    found = {p.id: p for p in await audience_people(session, cohort, program, event.audience or COORDINATORS)}
    found |= {p.id: p for p in (await session.execute(select(Person).where(Person.id.in_(holders)))).scalars()}
    told = [person for person_id, person in sorted(found.items()) if person_id != turn.person.id]
    news = []
    for person in told:
        with speaking(person.language):
            news.append(Queued(person.id, _cancelled_news(turn, event, program, cohort, person)))
    await outbox.queue_each(session, news, kind="event", now=turn.now)
    turn.say(
        _("Cancelled: {event}: {when}. I told {people}.").format(
            event=capitalised(event_name(event.kind, event.audience, program)),
            when=when(turn, event),
            people=people(len(told)),
        ),
        lines=(_update_line(turn, event),),
    )


def _cancelled_news(turn: Turn, event: GroupSession, program: Program, cohort: Cohort, person: Person) -> Reply:
    """The news of a cancelled event for one person, in the language being spoken."""
    return Reply(
        _("{title}, {when}, is cancelled.").format(
            title=event.title, when=local(event.starts_at, person.timezone or "UTC")
        ),
        title=_("Cancelled: {event} of {cohort}").format(
            event=capitalised(event_name(event.kind, event.audience, program)), cohort=cohort_label(cohort, program)
        ),
        lines=(_update_line(turn, event),),
    )


def _update_line(turn: Turn, event: GroupSession) -> str:
    return _("Calendar update (it removes the event): {link}").format(link=gatherings.link(turn.public_url, event))


async def _withdraw_reminders(session: AsyncSession, event: GroupSession, holders: list[int]) -> None:
    await outbox.withdraw_pending(session, everyone_ref(event), ("reminder",))
    for person_id in holders:
        await outbox.withdraw_pending(session, gatherings.ref(event, person_id), ("reminder",))


def when(turn: Turn, event: GroupSession) -> str:
    return _("{title}, {when}").format(title=event.title, when=local(event.starts_at, turn.timezone))


def leave_button(event: GroupSession) -> Button:
    return button(NAME, _("Leave"), f"leave|{event.id}")


def people(count: int) -> str:
    return ngettext("{count} person", "{count} people", count).format(count=count)


def everyone_ref(event: GroupSession) -> str:
    """What the reminders of an event with no places are about: all of them, withdrawn together."""
    return f"event:{event.id}"
