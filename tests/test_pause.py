"""A person pauses themself (`pause until DATE`, `pause`, `back`): no check-ins or reminders for them while
away, their partner still asked; partner and coordinators told; bad days refused with nothing changed."""

from datetime import date, timedelta

from sqlalchemy import select

from bot import checkins, jobs
from bot.demo import running_cohort
from bot.scheduler import Scheduler, schedule
from storage.db import Database
from storage.models import CheckIn, Cohort, OutboxMessage, Person
from tests.conftest import FIXED_NOW

IATUL = "iatul-sig-alice"
SOKHA, CORA, CASEY = "partner@demo.example", "coach@demo.example", "coordinator@demo.example"


async def away_until(db: Database, email: str) -> date | None:
    async with db.transaction() as session:
        return (await session.execute(select(Person.away_until).where(Person.email == email))).scalar_one()


async def messages(db: Database, email: str, kind: str) -> list[str]:
    async with db.transaction() as session:
        query = (
            select(OutboxMessage.reply)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.email == email, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return [reply["text"] for reply in (await session.execute(query)).scalars()]


async def check_in_and_remind(db: Database, catalog) -> tuple[Cohort, date]:  # type: ignore[no-untyped-def]
    """Run the SIG-ALICE demo cohort's next check-in and its reminder, on the real scheduler."""
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(IATUL))).scalar_one()
        program = catalog.get(IATUL)
        day = next(d for d in checkins.check_in_dates(cohort, program) if d > FIXED_NOW.date())
        at = checkins.first_moment(day, program.check_ins.send_at)
        await schedule(session, checkins.SEND, checkins.subject_of(cohort.id, day), at, FIXED_NOW)
    clock = [at]
    scheduler = Scheduler(db, catalog, jobs.ALL, lambda: clock[0])
    await scheduler.run_due()
    clock[0] = at + timedelta(days=program.check_ins.remind_after_days)
    await scheduler.run_due()
    return cohort, day


async def test_away_person_gets_no_check_in_or_reminder_but_partner_does(chat, db, catalog):
    sokha = chat(SOKHA)
    answer = await sokha.say("pause until 2027-06-30")
    assert "You are away until 30 June 2027 (included)" in answer
    assert await away_until(db, SOKHA) == date(2027, 6, 30)
    assert "Sokha Partner is away until 30 June 2027 (included)." in await messages(db, CORA, "away")
    assert "Sokha Partner is away until 30 June 2027 (included)." in await messages(db, CASEY, "away")
    assert "away until 30 June 2027" in await sokha.say("pause")
    cohort, day = await check_in_and_remind(db, catalog)
    async with db.transaction() as session:
        asked = (
            select(Person.email)
            .join(CheckIn, CheckIn.person_id == Person.id)
            .where(CheckIn.cohort_id == cohort.id, CheckIn.asked_on == day)
        )
        emails = set((await session.execute(asked)).scalars())
    assert CORA in emails and SOKHA not in emails
    assert await messages(db, SOKHA, "check-in") == [] and await messages(db, SOKHA, "check-in-reminder") == []
    assert any("Sokha Partner" in text for text in await messages(db, CORA, "check-in"))
    assert any("Sokha Partner" in text for text in await messages(db, CORA, "check-in-reminder"))


async def test_back_early_tells_them_again_and_check_ins_resume(chat, db, catalog):
    sokha = chat(SOKHA)
    await sokha.say("pause until 2027-06-30")
    assert "Welcome back" in await sokha.say("back")
    assert await away_until(db, SOKHA) == date(2026, 11, 22)  # yesterday: the time away is over
    assert any("Sokha Partner is back" in text for text in await messages(db, CORA, "away"))
    assert "You are not away" in await sokha.say("pause off")
    await check_in_and_remind(db, catalog)
    assert len(await messages(db, SOKHA, "check-in")) == 1


async def test_bad_days_are_refused_and_change_nothing(chat, db):
    sokha = chat(SOKHA)
    for typed, answer in (
        ("pause until 2026-11-20", "is not after today"),
        ("pause until 2026-11-23", "is not after today"),
        ("pause until 2028-01-15", "more than a year ahead"),
        ("pause until 2027-02-30", "is not a day of the calendar"),
        ("pause until whenever", "couldn't read"),
    ):
        assert answer in await sokha.say(typed), typed
        assert "Nothing changed" in sokha.shown[0]
    assert await away_until(db, SOKHA) is None
    assert await messages(db, CORA, "away") == []
