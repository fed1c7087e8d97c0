"""A program year on a controlled clock: one real cohort created ahead of its call, people who chat with the
real engine, and the real scheduler run as the clock walks forward, so every dated message is queued when the
calendar says (tests/test_program_year.py)."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from adapters.console import CONSOLE
from bot import jobs
from bot.checkins import local_moment
from bot.engine import Engine
from bot.identity import get_or_create_person
from bot.network import create_cohort
from bot.outbox import person_of_account
from bot.programs import ProgramCatalog
from bot.scheduler import Scheduler
from storage.db import Database
from storage.models import CheckIn, Cohort, Job, Membership, OutboxMessage, Person
from tests.conftest import Chat
from wiring import build_registry

STEP = timedelta(days=3)  # the longest stride of the clock between two runs of the scheduler
MORNING = time(9)


class Year:
    """The clock, the engine and the scheduler of one program year."""

    def __init__(self, db: Database, catalog: ProgramCatalog, now: datetime) -> None:
        self.db, self.catalog, self.now = db, catalog, now
        self.engine = Engine(db, build_registry(), catalog, clock=lambda: self.now)
        self.scheduler = Scheduler(db, catalog, jobs.ALL, lambda: self.now)
        self.chats: dict[str, Chat] = {}

    async def cohort(self, program_id: str, starts: date, region: str | None = None) -> Cohort:
        """A real cohort, as `cohorts create` makes it: its calendar placed at `starts`, its work planned."""
        program = self.catalog.get(program_id)
        async with self.db.transaction() as session:
            cohort = await create_cohort(session, program, starts, self.now, region_typed=region)
            await jobs.plan_cohort(session, cohort, program, self.now)
        return cohort

    async def person(self, email: str, name: str, zone: str, cohort: Cohort | None = None, role: str = "") -> Chat:
        """Someone who has written to the assistant (with a role in the cohort, when given)."""
        async with self.db.transaction() as session:
            person = await get_or_create_person(session, email, name, zone, self.now)
            await session.flush()
            if cohort is not None:
                session.add(Membership(cohort_id=cohort.id, person_id=person.id, role=role, created_at=self.now))
        chat = self.chat(email)
        await chat.say("help")  # their first message: from now on the assistant can write to them
        return chat

    def chat(self, email: str) -> Chat:
        if email not in self.chats:
            self.chats[email] = Chat(self.engine, email)
        return self.chats[email]

    async def walk_to(self, moment: datetime) -> None:
        """Move the clock to `moment`, stopping at each instant a job or a message comes due on the way (and
        at least every few days), where the scheduler runs and each terminal shows what is due."""
        while self.now < moment:
            self.now = min(moment, self.now + STEP, await self._next_due())
            await self.scheduler.run_due()
            if not await self._anything_due():  # most stops are a daily job that sent nothing
                continue
            for email, chat in self.chats.items():  # each terminal shows what is due for its person
                person_id = await person_of_account(self.db, CONSOLE, email)
                if person_id is not None:
                    await chat.console.outbox.run_once(person_id)

    async def _anything_due(self) -> bool:
        async with self.db.transaction() as session:
            due = select(OutboxMessage.id).where(OutboxMessage.status == "pending", OutboxMessage.due_at <= self.now)
            return (await session.execute(due.limit(1))).first() is not None

    async def _next_due(self) -> datetime:
        """The next instant after now when a job or a message is due (a far one when nothing is)."""
        async with self.db.transaction() as session:
            jobs_due = select(func.min(Job.due_at)).where(Job.status == "pending", Job.due_at > self.now)
            messages_due = select(func.min(OutboxMessage.due_at)).where(
                OutboxMessage.status == "pending", OutboxMessage.due_at > self.now
            )
            found = [(await session.execute(query)).scalar_one() for query in (jobs_due, messages_due)]
        return min([moment for moment in found if moment is not None], default=self.now + STEP)

    async def messages(self, email: str, kind: str) -> list[OutboxMessage]:
        async with self.db.transaction() as session:
            person = (await session.execute(select(Person.id).where(Person.email == email))).scalar_one()
            query = select(OutboxMessage).where(OutboxMessage.person_id == person, OutboxMessage.kind == kind)
            return list((await session.execute(query.order_by(OutboxMessage.due_at))).scalars())

    async def due_times(self, email: str, kind: str) -> list[datetime]:
        return [message.due_at for message in await self.messages(email, kind)]

    async def check_in_days(self, cohort: Cohort) -> list[date]:
        async with self.db.transaction() as session:
            query = select(CheckIn.asked_on).where(CheckIn.cohort_id == cohort.id).distinct()
            return sorted((await session.execute(query)).scalars())


def mornings(days: list[date], zone: str) -> list[datetime]:
    """09:00 on each day in `zone`, in UTC: when a check-in or an invitation reaches that person."""
    return [local_moment(day, MORNING, zone) for day in days]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
