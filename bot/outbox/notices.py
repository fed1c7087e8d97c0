"""What the coordinators are told about delivery: a message that could not be delivered, a person no
platform knows yet. Each notice names the person, what kind of message it was (an announcement by its
title, date and cohort) and the reason in words (bot/outbox/reasons.py), never the message's text."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from bot.outbox.queueing import queue
from bot.outbox.reasons import reason_words
from bot.timezones import local_time
from storage.models import Cohort, CoordinatorTerm, Membership, OutboxMessage, Person


async def report_failure(session: AsyncSession, message: OutboxMessage, platform: str, now: datetime) -> None:
    """Tell the coordinators of the person's cohorts that a message could not reach them, and why."""
    if message.kind == "delivery-failure":
        return
    person = await session.get_one(Person, message.person_id)
    for coordinator_id in await coordinators_of(session, person):
        coordinator = await session.get_one(Person, coordinator_id)
        what = await _undelivered(session, message, coordinator.timezone or "UTC")
        notice = Reply(
            f"I could not deliver {what} to {person.display_name}, {person.email}, on {platform.capitalize()}: "
            f"{reason_words(message.error)}. Please reach them another way.",
            title="A message could not be delivered",
        )
        queue(session, coordinator_id, notice, kind="delivery-failure", now=now)


async def _undelivered(session: AsyncSession, message: OutboxMessage, zone: str) -> str:
    """ "the announcement "AAHSL: from Casey" of Mon 23 Nov, 15:00 Central Time to Demo 2026-27": its title
    (the program and the sender), when it was sent and to which cohort; never its text. Else its kind."""
    ref = (message.ref or "").split(":")
    if message.kind != "announcement" or len(ref) != 4 or ref[0] != "announcement" or not ref[1].isdigit():
        return _kind_words(message.kind)
    cohort = await session.get(Cohort, int(ref[1]))
    title = message.reply.get("title")
    named = f' "{title}"' if isinstance(title, str) and title else ""
    to = f" to {cohort.name}" if cohort is not None else ""
    return f"the announcement{named} of {local_time(message.created_at, zone)}{to}"


def _kind_words(kind: str) -> str:
    """ "an announcement", "a reminder message", "a booking message" """
    if kind == "announcement":
        return "an announcement"
    words = kind.replace("-", " ")
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words} message"


async def tell_unreachable(session: AsyncSession, person_id: int, platform: str, reason: str, now: datetime) -> None:
    """The platform does not know the person: their coordinators are told once (the notice's ref says so)."""
    ref = f"unreached:{person_id}"
    if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.ref == ref).limit(1)) is not None:
        return
    person = await session.get_one(Person, person_id)
    notice = Reply(
        f"I cannot reach {person.display_name}, {person.email}, yet: {reason_words(reason)}, and they have not "
        "written to me anywhere else. My messages to them wait until they do: please ask them to open a chat "
        "with the assistant.",
        title="Someone I cannot reach yet",
    )
    for coordinator_id in await coordinators_of(session, person):
        queue(session, coordinator_id, notice, kind="delivery-failure", now=now, ref=ref)


async def coordinators_of(session: AsyncSession, person: Person) -> list[int]:
    """Who coordinates a cohort the person is in (not the person themself)."""
    cohorts = select(Membership.cohort_id).where(Membership.person_id == person.id)
    coordinators = select(Membership.person_id).where(
        Membership.cohort_id.in_(cohorts), Membership.role == "coordinator", Membership.person_id != person.id
    )
    # ... and those whose term covers one of those cohorts: national, or of the cohort's region.
    term_holders = (
        select(CoordinatorTerm.person_id)
        .join(Cohort, Cohort.program_id == CoordinatorTerm.program_id)
        .where(
            Cohort.id.in_(cohorts),
            CoordinatorTerm.ended_on.is_(None),
            or_(CoordinatorTerm.region_id.is_(None), CoordinatorTerm.region_id == Cohort.region_id),
            CoordinatorTerm.person_id != person.id,
        )
    )
    told = set((await session.execute(coordinators)).scalars()) | set((await session.execute(term_holders)).scalars())
    return sorted(told)


FAILURES_SHOWN = 5  # per announcement in `announce status`; the rest are counted


async def failures_by_ref(session: AsyncSession, refs: list[str]) -> dict[str, list[str]]:
    """For each ref, "Not delivered to Pat Participant: their Slack account is deactivated" per failed
    message, the first FAILURES_SHOWN by name and then how many more."""
    query = (
        select(OutboxMessage.ref, Person.display_name, OutboxMessage.error)
        .join(Person, Person.id == OutboxMessage.person_id)
        .where(OutboxMessage.ref.in_(refs), OutboxMessage.status == "failed")
        .order_by(OutboxMessage.ref, Person.display_name)
    )
    found: dict[str, list[str]] = {}
    for ref, name, error in (await session.execute(query)).all():
        found.setdefault(ref, []).append(f"Not delivered to {name}: {reason_words(error)}")
    for ref, lines in found.items():
        if len(lines) > FAILURES_SHOWN:
            found[ref] = [*lines[:FAILURES_SHOWN], f"{len(lines) - FAILURES_SHOWN} more not delivered"]
    return found
