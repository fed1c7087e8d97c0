"""Check-ins: the program's cadence from the cohort's start, each person's local morning, buttons and a
count (only those stored), "need help" to the coordinators at once, one reminder, and jobs that came due
while the server was down run once. The clock is moved; the scheduler and the outbox are the real ones."""

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from bot import jobs
from bot.checkins import check_in_dates, first_moment
from bot.outbox import reply_of
from bot.scheduler import Scheduler
from storage.db import Database
from storage.models import CheckIn, Cohort, Job, OutboxMessage, Person
from tests.conftest import FIXED_NOW

# The demo cohorts start 60 days before FIXED_NOW (Monday 23 November 2026): on 24 September 2026.
CHECK_IN_DAY = date(2026, 11, 24)  # the monthly programs' next check-in (AAHSL and IATUL)
PHNOM_PENH_MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Phnom Penh (UTC+7)
NEW_YORK_MORNING = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 in New York (UTC-5)


def at(engine, moment: datetime) -> None:
    engine.clock = lambda: moment


async def rows(db: Database, model, *conditions):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return list((await session.execute(select(model).where(*conditions))).scalars())


async def person_id(db: Database, email: str) -> int:
    async with db.transaction() as session:
        return (await session.execute(select(Person.id).where(Person.email == email))).scalar_one()


async def check_in_messages(db: Database, email: str) -> list[OutboxMessage]:
    owner = await person_id(db, email)
    return await rows(db, OutboxMessage, OutboxMessage.person_id == owner, OutboxMessage.kind.like("check-in%"))


async def test_dates_follow_the_cadence_from_the_cohorts_start(engine, db, catalog):
    # The running demo cohorts (next year's start later, with their call open).
    cohorts = {c.program_id: c for c in sorted(await rows(db, Cohort), key=lambda c: c.starts_on, reverse=True)}
    monthly = check_in_dates(cohorts["iatul-sig-alice"], catalog.get("iatul-sig-alice"))
    quarterly = check_in_dates(cohorts["alcts-mentoring"], catalog.get("alcts-mentoring"))
    assert monthly[:3] == [date(2026, 10, 24), CHECK_IN_DAY, date(2026, 12, 24)]
    assert quarterly[:3] == [date(2026, 12, 24), date(2027, 3, 24), date(2027, 6, 24)]
    assert all(day <= cohorts["alcts-mentoring"].ends_on for day in quarterly)
    # Each cohort has its next check-in planned, early enough for the first zone to reach 09:00.
    planned = {job.subject: job.due_at for job in await rows(db, Job, Job.kind == "check-ins")}
    iatul = cohorts["iatul-sig-alice"].id
    assert planned[f"cohort:{iatul}:2026-11-24"] == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
    assert planned[f"cohort:{cohorts['alcts-mentoring'].id}:2026-12-24"] == first_moment(date(2026, 12, 24), time(9))


async def test_each_person_gets_it_in_their_own_morning(engine, db, chat):
    sokha, cora = chat("partner@demo.example"), chat("coach@demo.example")
    at(engine, PHNOM_PENH_MORNING)
    shown = await sokha.say("status")  # any turn runs what is due: the scheduler, then her messages
    assert "Monthly check-in, SIG-ALICE Demo 2026-27" in shown and "How is it going with Cora Coach?" in shown
    assert [b.label for b in sokha.console.buttons][-3:] == ["On track", "Some difficulties", "Need help"]
    # Cora lives in New York: hers wait for her 09:00, both of them (AAHSL with Pat, IATUL with Sokha).
    assert "Monthly check-in" not in await cora.say("status")
    waiting = await check_in_messages(db, "coach@demo.example")
    assert {(m.status, m.due_at) for m in waiting} == {("pending", NEW_YORK_MORNING)}
    assert len(waiting) == 2
    at(engine, NEW_YORK_MORNING)
    shown = await cora.say("status")
    assert "How is it going with Sokha Partner?" in shown and "How is it going with Pat Participant?" in shown
    # The quarterly programs (ALCTS, the network) ask nothing in November.
    asked = await rows(db, CheckIn)
    assert {c.asked_on for c in asked} == {CHECK_IN_DAY} and len(asked) == 6  # 3 monthly pairs, both sides


async def test_an_answer_is_two_clicks_and_only_they_are_kept(engine, db, chat):
    sokha = chat("partner@demo.example")
    at(engine, PHNOM_PENH_MORNING)
    await sokha.say("status")
    asked = await sokha.click("On track")
    assert "Good to hear" in asked and "how many sessions have you had with Cora Coach" in asked
    assert "Please answer with a number" in await sokha.say("We talked about my library's budget")
    assert "Please answer with a number" in await sokha.say("2.5")
    assert "that is all for this check-in" in await sokha.say("2")
    [answer] = await rows(db, CheckIn, CheckIn.person_id == await person_id(db, "partner@demo.example"))
    assert (answer.status, answer.sessions, answer.hours) == ("on_track", 2, None)
    assert answer.answered_at == PHNOM_PENH_MORNING


async def test_a_second_click_changes_nothing_but_help_can_always_be_asked_for(engine, db, chat):
    sokha = chat("partner@demo.example")
    at(engine, PHNOM_PENH_MORNING)
    await sokha.say("me")
    check_in_buttons = list(sokha.console.buttons)
    await sokha.click("Some difficulties")
    sokha.console.buttons = check_in_buttons  # a click on the check-in message's buttons again
    assert "You answered this check-in already (some difficulties)" in await sokha.click("On track")
    assert await check_in_messages(db, "coordinator@demo.example") == []  # no help notice
    [answer] = await rows(db, CheckIn, CheckIn.person_id == await person_id(db, "partner@demo.example"))
    assert answer.status == "some_difficulties"
    # "Some difficulties" says help can be asked for at any time: so it can.
    sokha.console.buttons = check_in_buttons
    assert "told the coordinators" in await sokha.click("Need help")
    [answer] = await rows(db, CheckIn, CheckIn.person_id == await person_id(db, "partner@demo.example"))
    assert answer.status == "need_help"
    assert [m.kind for m in await check_in_messages(db, "coordinator@demo.example")] == ["check-in-help"]


async def test_need_help_reaches_the_coordinators_at_once(engine, db, chat):
    sokha, casey = chat("partner@demo.example"), chat("coordinator@demo.example")
    at(engine, PHNOM_PENH_MORNING)
    await sokha.say("me")  # any turn delivers the check-in due (status would show its own Need help button)
    assert "told the coordinators" in await sokha.click("Need help")
    notice = await casey.say("status")  # 20:00 in Chicago: a notice for help is not held for the morning
    assert "Sokha Partner (partner@demo.example) answered *Need help*" in notice
    assert "24 November 2026 check-in of the SIG-ALICE Demo 2026-27 cohort" in notice
    assert "with Cora Coach" in notice


async def test_no_answer_gets_one_reminder(engine, db, chat):
    sokha, dara = chat("partner@demo.example"), chat("partner2@demo.example")
    at(engine, PHNOM_PENH_MORNING)
    await sokha.say("status")
    await dara.say("status")
    await sokha.click("On track")
    reminder_morning = PHNOM_PENH_MORNING + timedelta(days=5)
    at(engine, reminder_morning)
    assert "A reminder: I have not heard from you yet" in await dara.say("status")
    assert "I have not heard from you" not in await sokha.say("status")  # she answered
    at(engine, reminder_morning + timedelta(days=3))
    assert "I have not heard from you" not in await dara.say("status")  # one reminder, never two
    reminders = await rows(db, OutboxMessage, OutboxMessage.kind == "check-in-reminder")
    assert len([m for m in reminders if m.person_id == await person_id(db, "partner2@demo.example")]) == 1
    assert await person_id(db, "partner@demo.example") not in {m.person_id for m in reminders}


async def test_a_job_that_came_due_while_down_runs_once_and_not_at_night(engine, db, catalog, chat):
    # The server was down from Sunday to Friday 27 November, 16:00 UTC: 23:00 in Phnom Penh.
    back = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    scheduler = Scheduler(db, catalog, jobs.ALL, lambda: back)
    first, second = await scheduler.run_due(), await scheduler.run_due()
    assert first >= 1 and second == 0
    assert len(await rows(db, CheckIn, CheckIn.asked_on == CHECK_IN_DAY)) == 6  # once, not once per tick
    [for_sokha] = await check_in_messages(db, "partner@demo.example")
    assert for_sokha.due_at == back  # its morning is past: due now, but ...
    at(engine, back)
    assert "Monthly check-in" not in await chat("partner@demo.example").say("me")  # ... 23:00 is night for her
    [held] = await check_in_messages(db, "partner@demo.example")
    assert (held.status, held.due_at) == ("pending", datetime(2026, 11, 28, 2, 0, tzinfo=UTC))  # her 09:00
    # The next date and the reminder are planned once, however many ticks ran.
    planned = [(j.kind, j.subject) for j in await rows(db, Job, Job.kind.in_(("check-ins", "check-in-reminders")))]
    assert len(planned) == len(set(planned))


async def test_two_schedulers_at_once_run_each_job_once(engine, database_url, catalog):
    """Two servers' schedulers on one database (on PostgreSQL they truly overlap): no job runs twice."""
    later = datetime(2026, 11, 25, tzinfo=UTC)
    databases = [Database(database_url), Database(database_url)]
    try:
        ran = await asyncio.gather(*(Scheduler(d, catalog, jobs.ALL, lambda: later).run_due() for d in databases))
        async with databases[0].transaction() as session:
            asked = (await session.execute(select(func.count()).select_from(CheckIn))).scalar_one()
            done = (
                await session.execute(select(func.count()).select_from(Job).where(Job.status == "done"))
            ).scalar_one()
    finally:
        for database in databases:
            await database.dispose()
    assert asked == 6 and sum(ran) == done


async def test_the_check_in_text_is_written_by_us_only(engine, db, chat):
    at(engine, PHNOM_PENH_MORNING)
    await chat("partner@demo.example").say("status")
    [message] = await check_in_messages(db, "partner@demo.example")
    reply = reply_of(message.reply)
    assert reply.title == "Monthly check-in, SIG-ALICE Demo 2026-27, 24 November 2026"
    assert [b.label for b in reply.buttons] == ["On track", "Some difficulties", "Need help"]
    assert message.kind == "check-in" and message.ref.startswith("check-in:")
    assert message.due_at > FIXED_NOW


async def test_a_check_in_that_never_went_out_is_dropped_when_the_next_is_sent(engine, db, catalog):
    """The server was down from the morning of 24 November to 24 December: November's check-in (and its
    reminder) are replaced by December's, not delivered in a pile with it."""
    scheduler = Scheduler(db, catalog, jobs.ALL, lambda: datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
    await scheduler.run_due()
    [november] = await check_in_messages(db, "partner@demo.example")
    assert november.status == "pending" and november.due_at == PHNOM_PENH_MORNING
    back = datetime(2026, 12, 24, 1, 0, tzinfo=UTC)
    await Scheduler(db, catalog, jobs.ALL, lambda: back).run_due()
    [december] = await check_in_messages(db, "partner@demo.example")
    assert december.kind == "check-in" and december.due_at == datetime(2026, 12, 24, 2, 0, tzinfo=UTC)
    assert reply_of(december.reply).title.endswith("24 December 2026")
    reminded = await rows(db, CheckIn, CheckIn.asked_on == CHECK_IN_DAY, CheckIn.reminded_at.is_not(None))
    assert reminded == []  # November's reminder came after December's check-in was due: dropped too
