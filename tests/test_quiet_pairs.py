"""Quiet pairs (bot/quiet.py) on a controlled clock: the daily look flags a quiet pair once, asks the other
side and tells the coordinators; activity clears the flag so a later silence is flagged again; paused pairs
are skipped and resume by themselves the day after their pause."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot import quiet
from bot.booking import book, pair_info
from bot.demo import running_cohort
from bot.scheduler import JobContext
from storage.db import Database
from storage.models import CheckIn, Cohort, Job, OutboxMessage, Pair, Person
from tests.conftest import FIXED_NOW

IATUL = "iatul-sig-alice"
SOKHA, CORA, CASEY = "partner@demo.example", "coach@demo.example", "coordinator@demo.example"


async def look(db: Database, catalog, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """The cohort's daily look at `now`, as the scheduler runs it."""
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(IATUL))).scalar_one()
        job = Job(kind=quiet.JOB, subject=quiet.subject_of(cohort.id, now.date()), due_at=now)
        await quiet.look(JobContext(session, job, now, catalog))


async def sokha_pair(db: Database) -> Pair:
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(IATUL))).scalar_one()
        sokha = (await session.execute(select(Person).where(Person.email == SOKHA))).scalar_one()
        query = select(Pair).where(Pair.cohort_id == cohort.id, Pair.guided_id == sokha.id)
        return (await session.execute(query)).scalar_one()


async def messages(db: Database, email: str, kind: str = quiet.KIND) -> list[str]:
    async with db.transaction() as session:
        query = (
            select(OutboxMessage.reply)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.email == email, OutboxMessage.kind == kind)
        )
        return [reply["text"] for reply in (await session.execute(query)).scalars()]


async def test_quiet_weeks_flag_once_then_a_booking_clears_and_it_flags_again(db, engine, catalog):
    eight_weeks = FIXED_NOW + timedelta(weeks=8)
    await look(db, catalog, eight_weeks - timedelta(days=1))
    assert (await sokha_pair(db)).quiet_flagged_on is None
    await look(db, catalog, eight_weeks)
    assert (await sokha_pair(db)).quiet_flagged_on == eight_weeks.date()
    (notice,) = [text for text in await messages(db, CASEY) if "Sokha" in text]
    assert (
        "Sokha Partner with their coach Cora Coach" in notice and "no session was held or booked for 8 weeks" in notice
    )
    assert len(await messages(db, SOKHA)) == 1 and len([t for t in await messages(db, CORA) if "Sokha" in t]) == 1
    await look(db, catalog, eight_weeks + timedelta(days=1))  # flagged once
    assert len(await messages(db, SOKHA)) == 1
    pair_id = (await sokha_pair(db)).id
    async with db.transaction() as session:
        info = await pair_info(session, pair_id, catalog)
        assert info is not None
        booked_at = eight_weeks + timedelta(days=2)
        assert await book(session, info, booked_at + timedelta(days=1), info.guide, booked_at) is not None
    assert (await sokha_pair(db)).quiet_flagged_on is None
    await look(db, catalog, booked_at + timedelta(weeks=8, days=2))
    assert len(await messages(db, SOKHA)) == 2


async def test_two_unanswered_check_ins_ask_the_other_side(db, engine, catalog):
    pair = await sokha_pair(db)
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(IATUL))).scalar_one()
        for asked_on in (date(2026, 12, 1), date(2027, 1, 1)):
            for person_id, answered in ((pair.guided_id, None), (pair.guide_id, FIXED_NOW)):
                session.add(
                    CheckIn(
                        cohort_id=cohort.id,
                        pair_id=pair.id,
                        person_id=person_id,
                        asked_on=asked_on,
                        answered_at=answered,
                        created_at=FIXED_NOW,
                    )
                )
    await look(db, catalog, datetime(2027, 1, 5, 12, tzinfo=FIXED_NOW.tzinfo))  # reminder not yet passed
    assert (await sokha_pair(db)).quiet_flagged_on is None
    await look(db, catalog, datetime(2027, 1, 7, 12, tzinfo=FIXED_NOW.tzinfo))
    assert (await sokha_pair(db)).quiet_flagged_on == date(2027, 1, 7)
    assert await messages(db, SOKHA) == []  # the silent side is not asked
    (asked,) = [text for text in await messages(db, CORA) if "Sokha" in text]
    assert "Is all well?" in asked
    notices = [text for text in await messages(db, CASEY) if "Sokha" in text]
    assert notices and "Sokha Partner left their last 2 check-ins unanswered" in notices[0]


async def test_paused_pair_is_skipped_and_resumes_by_itself(db, engine, catalog):
    pair_id = (await sokha_pair(db)).id
    async with db.transaction() as session:
        pair = await session.get_one(Pair, pair_id)
        pair.paused_until, pair.pause_reason = (FIXED_NOW + timedelta(weeks=9)).date(), "leave"
    await look(db, catalog, FIXED_NOW + timedelta(weeks=8, days=1))
    assert (await sokha_pair(db)).quiet_flagged_on is None and await messages(db, SOKHA) == []
    await look(db, catalog, FIXED_NOW + timedelta(weeks=9, days=1))
    resumed = await sokha_pair(db)  # its last day stays, in the past: no longer paused
    assert resumed.paused_until == (FIXED_NOW + timedelta(weeks=9)).date() and resumed.pause_reason is None
    assert [text for text in await messages(db, SOKHA, "pair-change") if "The pause is over" in text]
    await look(db, catalog, FIXED_NOW + timedelta(weeks=9, days=2))  # lifted once, told once
    assert len([text for text in await messages(db, SOKHA, "pair-change") if "The pause is over" in text]) == 1


async def test_quiet_weeks_count_from_the_end_of_the_last_pause(db, engine, catalog):
    """Paused for ten weeks from the start: the pair is not quiet the day the pause is lifted, but
    8 weeks after the pause's last day."""
    pair_id = (await sokha_pair(db)).id
    last_day = (FIXED_NOW + timedelta(weeks=10)).date()
    async with db.transaction() as session:
        pair = await session.get_one(Pair, pair_id)
        pair.paused_until, pair.pause_reason = last_day, "illness"
    lifted = FIXED_NOW + timedelta(weeks=10, days=1)
    await look(db, catalog, lifted)
    assert (await sokha_pair(db)).quiet_flagged_on is None and await messages(db, SOKHA) == []
    await look(db, catalog, lifted + timedelta(weeks=8) - timedelta(days=1))
    assert (await sokha_pair(db)).quiet_flagged_on is None
    await look(db, catalog, lifted + timedelta(weeks=8))
    assert (await sokha_pair(db)).quiet_flagged_on == (lifted + timedelta(weeks=8)).date()
    (notice,) = [text for text in await messages(db, CASEY) if "Sokha" in text]
    assert "no session was held or booked for 8 weeks" in notice


async def test_quiet_weeks_count_from_a_persons_return(chat, db, engine, catalog):
    """Sokha away for ten weeks (`pause until`): the pair's quiet weeks start the day after she is back."""
    back_on = FIXED_NOW + timedelta(weeks=10, days=1)
    assert "You are away until" in await chat(SOKHA).say(f"pause until {(back_on - timedelta(days=1)).date()}")
    await look(db, catalog, back_on)
    await look(db, catalog, back_on + timedelta(weeks=8) - timedelta(days=1))
    assert (await sokha_pair(db)).quiet_flagged_on is None
    await look(db, catalog, back_on + timedelta(weeks=8))
    assert (await sokha_pair(db)).quiet_flagged_on == (back_on + timedelta(weeks=8)).date()


async def test_a_coordinator_cannot_resume_a_pause_that_ran_out(chat, db, engine, catalog):
    casey = chat(CASEY)
    await casey.say("pair pause Sokha until 2026-12-10")
    await casey.click("Leave")
    assert "Paused until 10 December 2026" in await casey.click("Confirm")
    assert "before the pause ends?" in await casey.say("pair resume Sokha")
    confirm = casey.console.buttons  # the preview's Confirm, clicked only after the pause ran out
    await look(db, catalog, datetime(2026, 12, 11, 12, tzinfo=FIXED_NOW.tzinfo))
    engine.clock = lambda: datetime(2026, 12, 11, 15, tzinfo=FIXED_NOW.tzinfo)
    casey.console.buttons = confirm
    late = await casey.say("1")
    assert "Sokha Partner with their coach Cora Coach in the SIG-ALICE Demo 2026-27 cohort is not paused." in late
    assert "Nothing changed." in late
    assert "I find no active paused pair with `Sokha`" in await casey.say("pair resume Sokha")
    told = await messages(db, SOKHA, "pair-change")
    assert [t for t in told if "The pause is over" in t] and not [
        t for t in told if "The coordinators have resumed" in t
    ]
    assert (await sokha_pair(db)).paused_until == date(2026, 12, 10)


async def test_the_job_is_planned_for_every_running_cohort(db, engine, catalog):
    from bot import jobs

    await jobs.plan_all(db, catalog, FIXED_NOW)
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(IATUL))).scalar_one()
        planned = select(Job.subject).where(Job.kind == quiet.JOB)
        subjects = set((await session.execute(planned)).scalars())
        assert quiet.subject_of(cohort.id, FIXED_NOW.date()) in subjects
        assert isinstance(cohort, Cohort)
