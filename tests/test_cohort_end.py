"""The end of a cohort: the morning after its last day each member of its pairs is told, in their own
morning, that the program is over, what they may do after and where the final evaluation is; scheduled
work stops, bookings are refused, and the cohort is read-only in reports. Real scheduler and outbox,
a moved clock.

The ALCTS cohort is created on 1 February 2027 for 1 June 2027: formal mentoring ends on 30 April 2028,
the final evaluation runs from 1 to 31 May 2028. Its end comes when the first zone on Earth reaches
09:00 on 1 May: 19:00 UTC on 30 April.
"""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot import ending, jobs
from bot.cycle import dated_phase, with_phase
from bot.dialog import button
from bot.identity import get_or_create_person
from bot.network import create_cohort
from bot.outbox import reply_of
from bot.programs import ProgramCatalog
from bot.scheduler import Scheduler
from storage.db import Database
from storage.models import (
    CheckIn,
    CoachingSession,
    Cohort,
    GroupSession,
    Job,
    Membership,
    OutboxMessage,
    Pair,
    PairChange,
    Person,
)

CREATED = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)
THE_END = datetime(2028, 4, 30, 19, 0, tzinfo=UTC)  # 09:00 on 1 May where it comes first
CHAIR = "chair@alcts.example"
ALCTS_PEOPLE = {  # email: (name, zone, role in the pair)
    "maya@alcts.example": ("Maya Mentor", "America/New_York", "mentor"),
    "mo@alcts.example": ("Mo Mentee", "America/Chicago", "mentee"),
    "ari@alcts.example": ("Ari Mentor", "Europe/London", "mentor"),
    "sokha@alcts.example": ("Sokha Mentee", "Asia/Phnom_Penh", "mentee"),
}
MORNINGS = {  # 09:00 on 1 May 2028 in each one's zone
    "maya@alcts.example": datetime(2028, 5, 1, 13, 0, tzinfo=UTC),
    "mo@alcts.example": datetime(2028, 5, 1, 14, 0, tzinfo=UTC),
    "ari@alcts.example": datetime(2028, 5, 1, 8, 0, tzinfo=UTC),
    "sokha@alcts.example": datetime(2028, 5, 1, 2, 0, tzinfo=UTC),
    CHAIR: datetime(2028, 5, 1, 14, 0, tzinfo=UTC),
}


def at(engine, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    engine.clock = lambda: moment


async def run_until(db: Database, catalog: ProgramCatalog, moment: datetime) -> None:
    """Run every job due by `moment`, as a scheduler would have."""
    scheduler = Scheduler(db, catalog, jobs.ALL, lambda: moment)
    while await scheduler.run_due():
        pass


async def step(db: Database, catalog: ProgramCatalog, start: datetime, end: datetime, by: timedelta) -> None:
    """Move the clock from `start` to `end` in steps, running what comes due on the way."""
    moment = start
    while moment < end:
        moment = min(moment + by, end)
        await run_until(db, catalog, moment)


async def new_cohort(
    db: Database, catalog: ProgramCatalog, program_id: str, starts_on: date, people: dict[str, tuple[str, str, str]]
) -> int:
    """A cohort made as `cohorts create` makes it, its coordinator and pairs written directly (as review
    and match would leave them): the people in order, guide then guided."""
    program = catalog.get(program_id)
    assert program is not None
    async with db.transaction() as session:
        cohort = await create_cohort(session, program, starts_on, CREATED)
        await session.flush()
        await jobs.plan_cohort(session, cohort, program, CREATED)
        persons = {}
        for email, (name, zone, role) in {CHAIR: ("Chair Person", "America/Chicago", "coordinator"), **people}.items():
            persons[email] = await get_or_create_person(session, email, name, zone, CREATED)
            await session.flush()
            session.add(Membership(cohort_id=cohort.id, person_id=persons[email].id, role=role, created_at=CREATED))
        emails = list(people)
        for guide, guided in zip(emails[::2], emails[1::2], strict=True):
            session.add(
                Pair(
                    cohort_id=cohort.id,
                    guide_id=persons[guide].id,
                    guided_id=persons[guided].id,
                    status="active",
                    created_at=CREATED,
                )
            )
        return cohort.id


async def told(db: Database, email: str) -> list[OutboxMessage]:
    async with db.transaction() as session:
        query = (
            select(OutboxMessage)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.email == email, OutboxMessage.kind.like("program-end%"))
        )
        return list((await session.execute(query)).scalars())


async def pairs_of(db: Database, cohort_id: int) -> list[Pair]:
    async with db.transaction() as session:
        return list((await session.execute(select(Pair).where(Pair.cohort_id == cohort_id))).scalars())


async def test_alcts_pairs_are_told_once_in_their_morning_and_work_stops(engine, db, catalog, chat):
    cohort_id = await new_cohort(db, catalog, "alcts-mentoring", date(2027, 6, 1), ALCTS_PEOPLE)
    await step(db, catalog, CREATED, THE_END - timedelta(minutes=1), timedelta(days=7))
    async with db.transaction() as session:
        asked = (await session.execute(select(CheckIn.asked_on).where(CheckIn.cohort_id == cohort_id))).scalars()
        assert sorted(set(asked)) == [date(2027, 9, 1), date(2027, 12, 1), date(2028, 3, 1)]  # quarterly
    assert [await told(db, email) for email in ALCTS_PEOPLE] == [[], [], [], []]  # not before the end

    await step(db, catalog, THE_END - timedelta(minutes=1), datetime(2028, 5, 3, tzinfo=UTC), timedelta(hours=1))
    for email in ALCTS_PEOPLE:
        [message] = await told(db, email)  # once, in their own morning of 1 May
        assert (message.kind, message.due_at) == ("program-end", MORNINGS[email])
        reply = reply_of(message.reply)
        assert reply.title == "ALCTS 2027-28: the program is over"
        assert "The ALCTS 2027-28 cohort ended on 30 April 2028." in reply.text
        assert "continue their mentoring relationship even after the formal mentoring program ends" in reply.text
        assert "on their own and not part of the ALCTS Mentoring program anymore" in reply.text
        assert "“Final evaluation” is open now, 1 May to 31 May 2028: type `survey`" in reply.text
    [summary] = await told(db, CHAIR)
    assert summary.due_at == MORNINGS[CHAIR]
    assert "I told the 2 pairs that the program is over" in reply_of(summary.reply).text
    assert "0 one-to-one sessions were held" in reply_of(summary.reply).text
    assert "“Final evaluation” runs from 1 May 2028 to 31 May 2028" in reply_of(summary.reply).text
    assert {(p.status, p.end_reason) for p in await pairs_of(db, cohort_id)} == {("completed", "program_ended")}
    # No check-in after 30 April, and running the scheduler again tells nobody twice.
    await step(db, catalog, datetime(2028, 5, 3, tzinfo=UTC), datetime(2028, 9, 1, tzinfo=UTC), timedelta(days=7))
    async with db.transaction() as session:
        later = select(CheckIn).where(CheckIn.cohort_id == cohort_id, CheckIn.asked_on > date(2028, 4, 30))
        assert (await session.execute(later)).first() is None
        subject = f"cohort:{cohort_id}:2028-04-30"
        end_job = (
            await session.execute(select(Job).where(Job.kind == ending.END, Job.subject == subject))
        ).scalar_one()
        assert end_job.status == "done"
    assert [len(await told(db, email)) for email in ALCTS_PEOPLE] == [1, 1, 1, 1]

    # Sokha reads it in her morning; the final evaluation's invitation is there too.
    sokha = chat("sokha@alcts.example")
    at(engine, datetime(2028, 9, 1, 2, 0, tzinfo=UTC))
    shown = await sokha.say("status")
    assert "The ALCTS 2027-28 cohort ended on 30 April 2028, and your pairing with Ari Mentor with it." in shown
    assert "program ended" in await sokha.say("partner")


async def test_the_message_is_delivered_in_the_morning(engine, db, catalog, chat):
    await new_cohort(db, catalog, "alcts-mentoring", date(2027, 6, 1), ALCTS_PEOPLE)
    await run_until(db, catalog, THE_END)
    sokha = chat("sokha@alcts.example")
    at(engine, MORNINGS["sokha@alcts.example"] - timedelta(minutes=5))
    assert "the program is over" not in await sokha.say("help")  # 08:55 in Phnom Penh: not yet
    at(engine, MORNINGS["sokha@alcts.example"])
    shown = await sokha.say("help")
    assert "ALCTS 2027-28: the program is over" in shown
    assert "Your mentor: Ari Mentor, ari@alcts.example" in shown  # to go on on their own


async def test_bookings_after_the_end_are_refused(engine, db, catalog, chat):
    await new_cohort(db, catalog, "alcts-mentoring", date(2027, 6, 1), ALCTS_PEOPLE)
    mo = chat("mo@alcts.example")
    april = datetime(2028, 4, 20, 15, 0, tzinfo=UTC)  # a Thursday, 10:00 in Chicago
    await run_until(db, catalog, april)
    at(engine, april)
    refused = await mo.say("book 2 May 2028 10am")
    assert "take place from 1 June 2027 to 30 April 2028. You have used 0 so far. Nothing was booked." in refused
    assert "Booked:" in await mo.say("book 24 April 2028 10am")  # 11:00 for Maya in New York
    moved = await mo.say("sessions move 1 2 May 2028 10am")
    assert "to 30 April 2028. You have used 1 so far. Nothing changed." in moved
    # After the end: the program ended, and nothing is booked.
    after = datetime(2028, 5, 2, 15, 0, tzinfo=UTC)
    await run_until(db, catalog, after)
    at(engine, after)
    refused = await mo.say("book next Tuesday 3pm")
    assert "The ALCTS 2027-28 cohort ended on 30 April 2028, and your pairing with Maya Mentor with it." in refused
    assert "Nothing was booked." in refused
    listed = await mo.say("sessions")  # the session held stays on record
    assert "Past and cancelled" in listed and "Maya Mentor" in listed
    async with db.transaction() as session:  # and whether it took place can still be answered
        [held] = (await session.execute(select(CoachingSession))).scalars().all()
    mo.console.buttons = [button("sessions", "It took place", f"outcome|{held.id}|held")]
    assert "noted that it took place" in await mo.click("It took place")
    async with db.transaction() as session:
        assert (await session.get_one(CoachingSession, held.id)).status == "held"


async def test_the_report_is_final_and_the_cohort_is_read_only(engine, db, catalog, chat):
    cohort_id = await new_cohort(db, catalog, "alcts-mentoring", date(2027, 6, 1), ALCTS_PEOPLE)
    chair = chat(CHAIR)
    during = datetime(2028, 4, 20, 15, 0, tzinfo=UTC)
    at(engine, during)
    assert "Figures on 20 Apr 2028." in await chair.say("report")
    after = datetime(2028, 5, 2, 15, 0, tzinfo=UTC)
    await run_until(db, catalog, after)
    at(engine, after)
    report = await chair.say("report")
    assert "Final report: ALCTS 2027-28" in report
    assert "The ALCTS 2027-28 cohort ended on 30 April 2028; final figures." in report
    assert "*Pairs:* 2 completed the program, 0 ended earlier; 0 mentees without a mentor at the end" in report
    refused = await chair.say("announce")
    assert "The ALCTS 2027-28 cohort ended on 30 April 2028: its figures are final and announcements" in refused
    assert "Nothing was sent." in refused
    refused = await chair.say("match")
    assert "ended on 30 April 2028: its figures are final and no more pairs are made. Nothing was changed." in refused
    # A click on an old (or forged) button for the cohort is refused the same way, and changes nothing.
    for dialog, value in (("match", f"cohort|{cohort_id}"), ("announce", f"cohort|{cohort_id}")):
        chair.console.buttons = [button(dialog, "Old button", value)]
        assert "ended on 30 April 2028: its figures are final" in await chair.click("Old button")
    async with db.transaction() as session:
        announced = select(OutboxMessage).where(OutboxMessage.kind.in_(("announcement", "pairing")))
        assert (await session.execute(announced)).first() is None
    assert {p.status for p in await pairs_of(db, cohort_id)} == {"completed"}


async def test_an_open_request_to_end_a_pairing_closes_with_the_program(engine, db, catalog, chat):
    cohort_id = await new_cohort(db, catalog, "alcts-mentoring", date(2027, 6, 1), ALCTS_PEOPLE)
    mo = chat("mo@alcts.example")
    april = datetime(2028, 4, 20, 15, 0, tzinfo=UTC)
    at(engine, april)
    await mo.say("partner")
    await mo.click("Ask to end the pairing")
    assert "I asked Maya Mentor" in await mo.click("Yes, ask them")
    await run_until(db, catalog, THE_END)
    async with db.transaction() as session:
        [change] = (await session.execute(select(PairChange))).scalars().all()
        assert change.status == "cancelled"
    pair_statuses = {p.status for p in await pairs_of(db, cohort_id)}
    assert pair_statuses == {"completed"}


async def aahsl_cohort(db: Database, catalog: ProgramCatalog) -> int:
    people = {
        "cleo@aahsl.example": ("Cleo Coach", "UTC", "coach"),
        "pia@aahsl.example": ("Pia Participant", "America/Denver", "participant"),
    }
    return await new_cohort(db, catalog, "aahsl-coaching-pilot", date(2027, 9, 1), people)


async def test_aahsl_evaluation_inside_the_work_is_closed_by_the_end(engine, db, catalog, chat):
    cohort_id = await aahsl_cohort(db, catalog)
    async with db.transaction() as session:  # a peer group in March, inside the window
        chair = (await session.execute(select(Person).where(Person.email == CHAIR))).scalar_one()
        group = GroupSession(
            cohort_id=cohort_id,
            title="Leading change",
            starts_at=datetime(2028, 3, 14, 16, 0, tzinfo=UTC),
            ends_at=datetime(2028, 3, 14, 17, 30, tzinfo=UTC),
            capacity=8,
            status="scheduled",
            sequence=0,
            calendar_token="end-test-token",
            created_by_id=chair.id,
            created_at=CREATED,
        )
        session.add(group)
        await session.flush()
        group_id = group.id
    end = datetime(2028, 5, 2, 16, 0, tzinfo=UTC)
    await run_until(db, catalog, end)
    [message] = await told(db, "pia@aahsl.example")
    text = reply_of(message.reply).text
    assert "The AAHSL 2027-28 cohort ended on 30 April 2028." in text
    assert "With the coaching program over, no more one-to-one or peer-group coaching sessions" in text
    assert "closed on 30 April 2028" in text
    # Joining a peer group, or scheduling one, is refused after the end.
    at(engine, end)
    pia = chat("pia@aahsl.example")
    pia.console.buttons = [button("group", "Join", f"join|{group_id}")]
    assert "has already started. Nothing changed." in await pia.click("Join")
    scheduled = await chat(CHAIR).say("group schedule Wrap-up | 9 May 2028 3pm | 8")
    assert "have closed. Nothing was scheduled." in scheduled


async def test_aahsl_evaluation_still_open_at_the_end_says_open_now(engine, db, catalog, chat):
    cohort_id = await aahsl_cohort(db, catalog)
    async with db.transaction() as session:  # the coordinators gave the evaluation two more weeks
        cohort = await session.get_one(Cohort, cohort_id)
        phase = dated_phase(cohort.calendar, "final-evaluation")
        assert phase is not None
        cohort.calendar = with_phase(cohort.calendar, phase.moved(phase.opens, date(2028, 5, 14)))
    await run_until(db, catalog, datetime(2028, 5, 2, tzinfo=UTC))
    [coach_message] = await told(db, "cleo@aahsl.example")
    assert "is open now, 1 April to 14 May 2028: type `survey` to answer it." in reply_of(coach_message.reply).text


async def test_planning_twice_keeps_one_end(db, catalog, engine):
    await new_cohort(db, catalog, "alcts-mentoring", date(2027, 6, 1), ALCTS_PEOPLE)
    await jobs.plan_all(db, catalog, CREATED)
    await jobs.plan_all(db, catalog, CREATED)
    async with db.transaction() as session:
        planned = (await session.execute(select(Job.subject, Job.due_at).where(Job.kind == ending.END))).all()
        cohort = (await session.execute(select(Cohort).where(Cohort.name == "2027-28"))).scalar_one()
    assert planned.count((f"cohort:{cohort.id}:2028-04-30", THE_END)) == 1
    assert len(planned) == len({subject for subject, _due in planned})


async def test_sig_alice_relay_and_hours_reminders_stop_with_the_partnership(engine, db, catalog, chat):
    people = {
        "cora@alice.example": ("Cora Coach", "America/New_York", "coach"),
        "dara@alice.example": ("Dara Partner", "Asia/Phnom_Penh", "partner"),
    }
    cohort_id = await new_cohort(db, catalog, "iatul-sig-alice", date(2027, 6, 1), people)
    async with db.transaction() as session:  # the coordinators end the year on 20 May, not 31 May
        cohort = await session.get_one(Cohort, cohort_id)
        work = dated_phase(cohort.calendar, "partnership")
        assert work is not None
        cohort.calendar = with_phase(cohort.calendar, work.moved(work.opens, date(2028, 5, 20)))
        cohort.ends_on = date(2028, 5, 20)
        program = catalog.get("iatul-sig-alice")
        assert program is not None
        await ending.plan(session, cohort, program, CREATED)
    await jobs.plan_all(db, catalog, CREATED)  # as the server does at start: the monthly hours reminders
    after = datetime(2028, 6, 27, 4, 0, tzinfo=UTC)
    await step(db, catalog, CREATED, after, timedelta(days=5))  # each month's hours reminder on the way
    at(engine, after)
    dara = chat("dara@alice.example")
    refused = await dara.say("Thank you for this year!")
    assert "I no longer pass messages on: your partnership has ended. Nothing was sent." in refused
    assert "The SIG-ALICE 2027-28 cohort ended on 20 May 2028, and your pairing with Cora Coach with it." in refused
    assert "Write to them directly: cora@alice.example." in refused
    async with db.transaction() as session:
        cora = (await session.execute(select(Person).where(Person.email == "cora@alice.example"))).scalar_one()
        reminders = select(OutboxMessage.ref).where(
            OutboxMessage.person_id == cora.id, OutboxMessage.kind == "hours-reminder"
        )
        refs = set((await session.execute(reminders)).scalars())
        relayed = select(OutboxMessage).where(OutboxMessage.person_id == cora.id, OutboxMessage.kind == "relay")
        assert (await session.execute(relayed)).first() is None
    assert any(ref.endswith(":2028-04") for ref in refs)  # the reminder of 25 April came
    assert not any(ref.endswith((":2028-05", ":2028-06")) for ref in refs)  # 25 May is after the end: none
