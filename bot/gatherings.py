"""Places in peer groups and events, one mechanism for both (one table, group_sessions, with a `kind`).

Joining takes a numbered seat (the (group, number) key keeps a full one from taking one more, even when
two people race for the last place) and the person's busy quarter hours (another session then refuses
it); a full one puts the person on its waitlist, first come first served. Leaving frees the seat and
withdraws the person's reminders; the first person waiting who may take the place then gets it. The
callers (dialogs/group.py, dialogs/event.py) decide who may join and say what happened in their words.
"""

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import booking, outbox
from bot.events import PEER_GROUP
from bot.i18n import _
from bot.places import CONTENDED, FULL, take_numbered_place
from storage.models import BusySlot, GroupSeat, GroupSession, GroupWaitlist, Person

BUSY = "busy"
SEATED, WAITING = "seated", "waiting"


async def create(
    session: AsyncSession,
    cohort_id: int,
    title: str,
    starts_at: datetime,
    minutes: int,
    capacity: int,
    created_by: Person,
    now: datetime,
    *,
    kind: str = PEER_GROUP,
    audience: str | None = None,
) -> GroupSession:
    """A new peer group or event, scheduled, with its unguessable calendar address; flushed, so it has an id."""
    gathering = GroupSession(
        cohort_id=cohort_id,
        kind=kind,
        audience=audience,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        capacity=capacity,
        status="scheduled",
        sequence=0,
        calendar_token=secrets.token_urlsafe(24),
        created_by_id=created_by.id,
        created_at=now,
    )
    session.add(gathering)
    await session.flush()
    return gathering


async def take_place(session: AsyncSession, group: GroupSession, person_id: int, now: datetime) -> int | str:
    """The seat number taken, or BUSY, FULL or CONTENDED with nothing changed."""
    try:  # the (person, quarter hour) key refuses a second session over the same time
        async with session.begin_nested():
            for slot in booking.slots(group.starts_at, group.ends_at):
                session.add(BusySlot(person_id=person_id, slot_start=slot, group_id=group.id))
            await session.flush()
    except IntegrityError:
        return BUSY
    taken = await take_numbered_place(
        session,
        select(GroupSeat.number).where(GroupSeat.group_id == group.id),
        group.capacity,
        lambda number: GroupSeat(group_id=group.id, number=number, person_id=person_id, joined_at=now),
    )
    if not isinstance(taken, int):
        await free_slots(session, group.id, person_id)
    return taken


async def wait(session: AsyncSession, group: GroupSession, person_id: int, now: datetime) -> int:
    """Put the person on the waitlist (if not there yet); their place in it."""
    query = select(GroupWaitlist).where(GroupWaitlist.group_id == group.id, GroupWaitlist.person_id == person_id)
    if (await session.execute(query)).scalar_one_or_none() is None:
        # Order is first come, first served by created_at; an arrival in the same instant as the last
        # (a coarse clock) goes one microsecond after it, so the order stays the order of arrival.
        last = select(func.max(GroupWaitlist.created_at)).where(GroupWaitlist.group_id == group.id)
        latest = (await session.execute(last)).scalar_one_or_none()
        at = max(now, latest + timedelta(microseconds=1)) if latest is not None else now
        try:
            async with session.begin_nested():
                session.add(GroupWaitlist(group_id=group.id, person_id=person_id, created_at=at))
        except IntegrityError:  # a double click: already waiting
            pass
    return [row.person_id for row in await waiting(session, group.id)].index(person_id) + 1


async def join(session: AsyncSession, group: GroupSession, person_id: int, now: datetime) -> tuple[str, int]:
    """(SEATED, seat number), (WAITING, place on the waitlist), or (BUSY or CONTENDED, 0): nothing changed."""
    taken = await take_place(session, group, person_id, now)
    if taken == FULL:
        return WAITING, await wait(session, group, person_id, now)
    if not isinstance(taken, int):
        return str(taken), 0
    await session.execute(
        delete(GroupWaitlist).where(GroupWaitlist.group_id == group.id, GroupWaitlist.person_id == person_id)
    )
    return SEATED, taken


async def leave(session: AsyncSession, group: GroupSession, person_id: int) -> str | None:
    """SEATED: the seat is freed with its busy quarter hours and reminders; WAITING: off the waitlist;
    None: the person held neither."""
    seat = await seat_of(session, group.id, person_id)
    if seat is None:
        removed = await session.execute(
            delete(GroupWaitlist).where(GroupWaitlist.group_id == group.id, GroupWaitlist.person_id == person_id)
        )
        return WAITING if removed.rowcount else None  # type: ignore[attr-defined]
    await session.delete(seat)
    await free_slots(session, group.id, person_id)
    await outbox.withdraw_pending(session, ref(group, person_id), ("reminder",))
    await session.flush()
    return SEATED


async def give_place_to_first_waiting(
    session: AsyncSession, group: GroupSession, now: datetime, may_take: Callable[[int], Awaitable[bool]]
) -> Person | None:
    """The first person waiting who `may_take` a place and is free then gets it; who, or None."""
    for waiter in await waiting(session, group.id):
        if not await may_take(waiter.person_id):
            continue
        taken = await take_place(session, group, waiter.person_id, now)
        if taken == BUSY:
            continue
        if not isinstance(taken, int):
            return None
        await session.delete(waiter)
        return await session.get_one(Person, waiter.person_id)
    return None


async def waiting(session: AsyncSession, group_id: int) -> list[GroupWaitlist]:
    query = (
        select(GroupWaitlist)
        .where(GroupWaitlist.group_id == group_id)
        .order_by(GroupWaitlist.created_at, GroupWaitlist.person_id)
    )
    return list((await session.execute(query)).scalars())


async def seat_of(session: AsyncSession, group_id: int, person_id: int) -> GroupSeat | None:
    query = select(GroupSeat).where(GroupSeat.group_id == group_id, GroupSeat.person_id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


async def free_slots(session: AsyncSession, group_id: int, person_id: int) -> None:
    await session.execute(delete(BusySlot).where(BusySlot.group_id == group_id, BusySlot.person_id == person_id))


async def counts(session: AsyncSession, group_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Seats taken and people waiting, by group."""
    found = []
    for table in (GroupSeat, GroupWaitlist):
        query = select(table.group_id, func.count()).where(table.group_id.in_(group_ids)).group_by(table.group_id)
        found.append({group_id: number for group_id, number in (await session.execute(query)).all()})
    return found[0], found[1]


async def held(session: AsyncSession, person_id: int, group_ids: list[int]) -> dict[int, str]:
    """group id -> SEATED or WAITING, for this person."""
    seats = select(GroupSeat.group_id).where(GroupSeat.person_id == person_id, GroupSeat.group_id.in_(group_ids))
    found = {group_id: SEATED for group_id in (await session.execute(seats)).scalars()}
    waits = select(GroupWaitlist.group_id).where(
        GroupWaitlist.person_id == person_id, GroupWaitlist.group_id.in_(group_ids)
    )
    return {group_id: WAITING for group_id in (await session.execute(waits)).scalars()} | found


async def seat_holders(session: AsyncSession, group_id: int) -> list[int]:
    """Who holds a seat or waits for one, by person id."""
    seats = select(GroupSeat.person_id).where(GroupSeat.group_id == group_id)
    waits = select(GroupWaitlist.person_id).where(GroupWaitlist.group_id == group_id)
    found = set((await session.execute(seats)).scalars()) | set((await session.execute(waits)).scalars())
    return sorted(found)


def remind(session: AsyncSession, group: GroupSession, person: Person, subject: str, now: datetime) -> None:
    """Reminders 24 hours and 1 hour before, for one person holding a seat."""
    booking.queue_reminders(session, person, subject, group.starts_at, ref=ref(group, person.id), now=now)


def ref(group: GroupSession, person_id: int) -> str:
    """What one person's reminders are about: "group:7:42" for a peer group, "event:9:42" for an event."""
    return f"{'group' if group.kind == PEER_GROUP else 'event'}:{group.id}:{person_id}"


def link(public_url: str, group: GroupSession) -> str:
    return booking.calendar_link(public_url, group.calendar_token)


def not_seated_words(outcome: str, position: int, described: str, noun: str) -> str | None:
    """What a person is told when joining gave them no seat (they are busy then, it is contended, or they
    are on the waitlist at `position`); None when they took a seat. `noun` is "group" or "event"."""
    if outcome == BUSY:
        return _("You have another session then, so you can't join {gathering}. Nothing changed.").format(
            gathering=described
        )
    if outcome == CONTENDED:
        if noun == "event":
            return _("Many people are joining that event at this moment; please try again. Nothing changed.")
        return _("Many people are joining that group at this moment; please try again. Nothing changed.")
    if outcome == WAITING:
        return _(
            "{gathering} is full, so you are on its waitlist: number {position}. When a place frees up and you "
            "are free then, it is yours and I will tell you."
        ).format(gathering=described, position=position)
    return None
