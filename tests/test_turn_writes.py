"""A turn that changes nothing writes nothing (issue 15, point 5): `help` reads in a transaction that takes
no write lock, leaves the dialog in progress and the account's last_seen_at alone, and still sees a role
given a moment ago by another process. On SQLite and PostgreSQL."""

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.engine import Engine
from bot.messages import Inbound, Profile
from bot.outbox import latest_accounts
from bot.programs import ProgramCatalog
from storage.db import Database, WriteRefused
from storage.models import Account, Cohort, CoordinatorTerm, DialogState, Membership, Person
from tests.conftest import FIXED_NOW
from wiring import build_registry

PAT = "participant@demo.example"  # AAHSL participant: no coordinator commands
UNLOCKED = 30.0  # seconds; only a turn stuck behind the held lock takes this long (then the test fails)


class Pat:
    async def lookup(self, account_id: str) -> Profile:
        return Profile(email=PAT, display_name="Pat Participant", timezone="America/Los_Angeles")


def slack(text: str) -> Inbound:
    return Inbound("slack", "T1:UPAT", "DPAT", text=text, is_command=True)


def teams(text: str) -> Inbound:
    return Inbound("teams", "29:pat", "a:pat", text=text, address={"conversation": {"id": "a:pat"}})


async def answer(engine: Engine, inbound: Inbound) -> str:
    return "\n".join(reply.plain_text() for reply in await engine.handle(inbound, Pat()))


async def account_row(db: Database, platform: str) -> Account:
    async with db.transaction() as session:
        query = select(Account).where(Account.platform == platform)
        return (await session.execute(query)).scalar_one()


async def test_help_writes_nothing_and_waits_for_no_lock(engine: Engine, db: Database) -> None:
    await answer(engine, slack("help"))  # the first turn links the account: that one writes
    asked = await answer(engine, slack("apply"))  # a question left open
    async with db.transaction() as session:
        before = await session.get_one(DialogState, "slack:T1:UPAT")
        updated_at, step = before.updated_at, before.step
    seen_before = (await account_row(db, "slack")).last_seen_at

    # Another transaction holds the account row (PostgreSQL) and SQLite's one writer: a turn that wrote
    # anything would wait for it.
    locked, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with db.transaction() as session:
            await session.execute(select(Account).where(Account.platform == "slack").with_for_update())
            locked.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await locked.wait()
    try:
        shown = await asyncio.wait_for(answer(engine, slack("help")), UNLOCKED)
    finally:
        release.set()
        await holder
    assert "What I can do for you" in shown and "Hi Pat Participant" in shown
    async with db.transaction() as session:
        after = await session.get_one(DialogState, "slack:T1:UPAT")
        assert (after.updated_at, after.step) == (updated_at, step)  # the question is still open, untouched
    assert (await account_row(db, "slack")).last_seen_at == seen_before
    assert asked  # the open question was asked, so `help` had a dialog in progress to leave alone


async def test_help_me_writes_after_its_read_was_refused(chat, db: Database) -> None:
    """`help me` is marked as the help command is, but asks a question: its turn runs again and writes."""
    asked = await chat("partner@demo.example").say("help me")
    assert "I will tell the coordinators" in asked
    async with db.transaction() as session:
        states = (await session.execute(select(DialogState.dialog))).scalars().all()
    assert states == ["help-me"]


async def test_a_reading_transaction_refuses_writes_even_when_the_refusal_is_caught(db: Database) -> None:
    with pytest.raises(WriteRefused):
        async with db.reading() as session:
            session.add(Person(email="ghost@example.org", display_name="Ghost", created_at=FIXED_NOW))
    with pytest.raises(WriteRefused):
        async with db.reading() as session:
            try:
                await session.flush([])  # nothing to flush: allowed
                session.add(Person(email="ghost@example.org", display_name="Ghost", created_at=FIXED_NOW))
                await session.flush()
            except WriteRefused:
                pass  # a dialog that swallowed the refusal does not make the turn's outcome trustworthy
    async with db.reading() as session:
        count = (await session.execute(select(func.count()).select_from(Person))).scalar_one()
    assert count == 0


def moving_clock(start: datetime) -> tuple[Callable[[], datetime], Callable[[], None]]:
    now = [start]

    def tick() -> None:
        now[0] += timedelta(minutes=1)

    return (lambda: now[0]), tick


async def test_the_account_last_used_stays_the_latest_without_a_write_each_turn(
    db: Database, catalog: ProgramCatalog
) -> None:
    clock, tick = moving_clock(FIXED_NOW)
    engine = Engine(db, build_registry(), catalog, clock=clock)
    used = ["slack", "teams", "teams", "slack", "slack", "slack", "teams"]
    seen: list[datetime | None] = []
    for platform in used:
        tick()
        await answer(engine, slack("help") if platform == "slack" else teams("help"))
        async with db.transaction() as session:
            person_id = (await session.execute(select(Person.id).where(Person.email == PAT))).scalar_one()
            latest = (await latest_accounts(session, {person_id}, ["slack", "teams"]))[person_id]
        assert latest.platform == platform  # the outbox writes where the person last wrote from
        seen.append((await account_row(db, platform)).last_seen_at)
    start = FIXED_NOW
    # Moved on a first turn and on a switch of platform; a second turn in a row wrote nothing.
    assert seen == [start + timedelta(minutes=m) for m in (1, 2, 2, 4, 4, 4, 7)]


@pytest.fixture
async def other_process(database_url: str) -> Database:
    """A second handle on the same database, as another server process or the command line has."""
    other = Database(database_url)
    yield other
    await other.dispose()


async def test_a_role_given_by_another_process_counts_on_the_next_turn(engine: Engine, other_process: Database) -> None:
    assert "`cohort`" not in await answer(engine, slack("help"))
    async with other_process.transaction() as session:
        person = (await session.execute(select(Person).where(Person.email == PAT))).scalar_one()
        cohort = (await session.execute(select(Cohort).where(Cohort.program_id == "iatul-sig-alice"))).scalars().first()
        assert cohort is not None
        session.add(Membership(cohort_id=cohort.id, person_id=person.id, role="coordinator", created_at=FIXED_NOW))
    shown = await answer(engine, slack("help"))
    assert "`cohort`" in shown and f"coordinator in SIG-ALICE {cohort.name}" in shown

    async with other_process.transaction() as session:
        session.add(
            CoordinatorTerm(
                program_id="alcts-mentoring", person_id=person.id, started_on=date(2026, 1, 1), created_at=FIXED_NOW
            )
        )
    assert "coordinator of ALCTS mentoring" in await answer(engine, slack("help"))

    async with other_process.transaction() as session:
        membership = (
            await session.execute(
                select(Membership).where(Membership.person_id == person.id, Membership.role == "coordinator")
            )
        ).scalar_one()
        await session.delete(membership)
        term = (
            await session.execute(select(CoordinatorTerm).where(CoordinatorTerm.person_id == person.id))
        ).scalar_one()
        term.ended_on = date(2026, 11, 1)
    assert "`cohort`" not in await answer(engine, slack("help"))
