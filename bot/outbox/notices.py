"""What the coordinators are told about delivery: a message that could not be delivered, a person no
platform knows yet. Each notice names the person and the platform's code, never the message's text."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from bot.outbox.queueing import queue
from storage.models import Cohort, CoordinatorTerm, Membership, OutboxMessage, Person


async def report_failure(session: AsyncSession, message: OutboxMessage, platform: str, now: datetime) -> None:
    """Tell the coordinators of the person's cohorts that a message could not reach them, and why."""
    if message.kind == "delivery-failure":
        return
    person = await session.get_one(Person, message.person_id)
    notice = Reply(
        f"I could not deliver a message ({message.kind}) to {person.display_name} ({person.email}) on "
        f"{platform.capitalize()}: {message.error}. Please reach them another way.",
        title="A message could not be delivered",
    )
    for coordinator_id in await coordinators_of(session, person):
        queue(session, coordinator_id, notice, kind="delivery-failure", now=now)


async def tell_unreachable(session: AsyncSession, person_id: int, platform: str, reason: str, now: datetime) -> None:
    """The platform does not know the person: their coordinators are told once (the notice's ref says so)."""
    ref = f"unreached:{person_id}"
    if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.ref == ref).limit(1)) is not None:
        return
    person = await session.get_one(Person, person_id)
    notice = Reply(
        f"I cannot reach {person.display_name} ({person.email}) yet: {platform.capitalize()} does not know this "
        f"email ({reason}) and they have not written to me anywhere else. My messages to them wait until they "
        "do: please ask them to open a chat with the assistant.",
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
