"""Peer-group sessions, as conversations through the engine, on SQLite and PostgreSQL.

At FIXED_NOW (Monday 23 November 2026, 15:00 UTC) it is 09:00 for Casey (Chicago), 07:00 for Pat
(Los Angeles) and 08:00 for Dana (Denver). The demo AAHSL cohort's peer-group window runs from
24 October 2026 to 22 April 2027; its peer-group sessions last 90 minutes, five per participant.
"""

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.cohorts import cohort_calendar
from bot.demo import running_cohort
from bot.engine import Engine
from bot.identity import get_or_create_person
from bot.messages import Button
from storage.db import Database
from storage.models import BusySlot, Cohort, GroupSeat, GroupSession, GroupWaitlist, Membership, OutboxMessage, Person
from tests.conftest import FIXED_NOW, Chat
from tests.races import through_one_gate
from wiring import build_registry

AAHSL = "aahsl-coaching-pilot"
CASEY, PAT, DANA = "coordinator@demo.example", "participant@demo.example", "participant2@demo.example"
TUESDAY_3PM_CHICAGO = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


async def participant(db: Database, email: str, name: str, zone: str) -> None:
    """An accepted participant of the demo AAHSL cohort (test data, as review leaves them)."""
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(AAHSL))).scalar_one()
        person = await get_or_create_person(session, email, name, zone, FIXED_NOW)
        await session.flush()
        session.add(Membership(cohort_id=cohort.id, person_id=person.id, role="participant", created_at=FIXED_NOW))


async def groups_in(db: Database) -> list[GroupSession]:
    async with db.transaction() as session:
        return list((await session.execute(select(GroupSession).order_by(GroupSession.starts_at))).scalars())


async def seated(db: Database) -> set[str]:
    """Who holds a seat in any group, by email."""
    async with db.transaction() as session:
        query = select(Person.email).join(GroupSeat, GroupSeat.person_id == Person.id)
        return set((await session.execute(query)).scalars())


async def waiting(db: Database) -> list[str]:
    async with db.transaction() as session:
        query = select(Person.email).join(GroupWaitlist, GroupWaitlist.person_id == Person.id)
        return list((await session.execute(query.order_by(GroupWaitlist.created_at))).scalars())


async def count(db: Database, table, *conditions) -> int:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        query = select(func.count()).select_from(table).where(*conditions)
        return (await session.execute(query)).scalar_one()


async def person_id(db: Database, email: str) -> int:
    async with db.transaction() as session:
        return (await session.execute(select(Person.id).where(Person.email == email))).scalar_one()


async def schedule(chat, typed: str) -> str:  # type: ignore[no-untyped-def]
    answer = await chat(CASEY).say(f"group schedule {typed}")
    assert "Scheduled:" in answer, answer
    return answer


async def join(chat_: Chat, title: str) -> str:
    await chat_.say("group")
    return await chat_.click(f"Join {title}")


async def test_a_coordinator_schedules_and_every_participant_is_told_with_a_join_button(chat, db):
    answer = await chat(CASEY).say("group schedule Leading change | next Tuesday 3pm | 8")
    assert (
        "Scheduled: Leading change, Tuesday 24 November, 15:00 Central Time, 90 minutes, 8 places, "
        "for the AAHSL Demo 2026-27 cohort. I told the 2 participants." in answer
    )
    [group] = await groups_in(db)
    assert (group.title, group.capacity, group.status, group.sequence) == ("Leading change", 8, "scheduled", 0)
    assert group.starts_at == TUESDAY_3PM_CHICAGO and group.ends_at - group.starts_at == timedelta(minutes=90)
    assert f"/calendar/{group.calendar_token}.ics" in answer and len(group.calendar_token) >= 32
    assert await count(db, OutboxMessage, OutboxMessage.kind == "group") == 2
    pat = chat(PAT)
    told = await pat.say("hello")
    assert "A new peer-group session of the AAHSL coaching pilot" in told
    assert "Leading change: Tuesday 24 November, 13:00 Pacific Time, 90 minutes, 8 places" in told
    joined = await pat.click("Join")
    assert "You are in: Leading change, Tuesday 24 November, 13:00 Pacific Time, 90 minutes." in joined
    assert "You have joined 1 of up to 5 peer-group sessions of the AAHSL coaching pilot" in joined
    assert f"http://localhost:3978/calendar/{group.calendar_token}.ics" in joined
    assert await seated(db) == {PAT}
    assert await count(db, BusySlot, BusySlot.group_id == group.id) == 6  # six quarter hours


async def test_participants_see_places_left_in_their_own_zone_and_what_they_joined(chat, db):
    await schedule(chat, "Leading change | next Tuesday 3pm | 3")
    await join(chat(PAT), "Leading change")
    seen = await chat(DANA).say("group")
    assert "Leading change, Tuesday 24 November, 14:00 Mountain Time: 2 of 3 places left" in seen
    assert "You have joined 0 of up to 5 peer-group sessions of the AAHSL coaching pilot" in seen
    assert "(you are in)" not in seen
    mine = await chat(PAT).say("group")
    assert "Leading change, Tuesday 24 November, 13:00 Pacific Time: 2 of 3 places left (you are in)" in mine
    assert "You have joined 1 of up to 5" in mine and "[1] Leave Leading change" in mine
    coordinated = await chat(CASEY).say("group")
    assert "Peer-group sessions you coordinate" in coordinated
    assert "Leading change, Tuesday 24 November, 15:00 Central Time: 2 of 3 places left" in coordinated


async def test_joining_queues_reminders_and_leaving_withdraws_them(chat, db):
    await schedule(chat, "Leading change | next Tuesday 3pm")
    pat = chat(PAT)
    await join(pat, "Leading change")
    [group] = await groups_in(db)
    ref = f"group:{group.id}:{await person_id(db, PAT)}"
    async with db.transaction() as session:
        query = select(OutboxMessage.due_at).where(OutboxMessage.ref == ref, OutboxMessage.kind == "reminder")
        due = sorted((await session.execute(query)).scalars())
    assert due == [TUESDAY_3PM_CHICAGO - timedelta(hours=24), TUESDAY_3PM_CHICAGO - timedelta(hours=1)]
    left = await pat.click("Leave")
    assert "You left Leading change" in left and "You have joined 0 of up to 5" in left
    assert await count(db, OutboxMessage, OutboxMessage.ref == ref) == 0
    assert await count(db, BusySlot, BusySlot.group_id == group.id) == 0
    assert await seated(db) == set()


async def test_a_full_group_waitlists_and_a_freed_place_goes_to_the_first_waiting(chat, db):
    await participant(db, "ana@example.org", "Ana Participant", "Europe/London")
    await schedule(chat, "Leading change | next Tuesday 3pm | 2")
    pat, dana, ana = chat(PAT), chat(DANA), chat("ana@example.org")
    await join(pat, "Leading change")
    await join(dana, "Leading change")
    waitlisted = await join(ana, "Leading change")
    assert "Leading change, Tuesday 24 November, 21:00 London time is full" in waitlisted
    assert "you are on its waitlist: number 1" in waitlisted
    assert await seated(db) == {PAT, DANA} and await waiting(db) == ["ana@example.org"]
    listed = await pat.say("group")
    assert "full: 1 waiting (you are in)" in listed
    assert "(you are on the waitlist)" in await ana.say("group")
    assert "You left Leading change" in await pat.click("Leave Leading change")
    assert await seated(db) == {DANA, "ana@example.org"} and await waiting(db) == []
    told = await ana.say("hello")
    assert "You have a place in a peer-group session" in told
    assert "A place freed up in Leading change, Tuesday 24 November, 21:00 London time, and it is yours" in told
    assert "You have joined 1 of up to 5" in told and "/calendar/" in told
    assert "Leave" in [button.label for button in ana.console.buttons]
    [group] = await groups_in(db)
    ana_id = await person_id(db, "ana@example.org")
    assert await count(db, BusySlot, BusySlot.person_id == ana_id, BusySlot.group_id == group.id) == 6
    assert await count(db, OutboxMessage, OutboxMessage.ref == f"group:{group.id}:{ana_id}") == 2


async def test_the_first_waiting_who_is_busy_then_is_skipped_for_the_next(chat, db):
    await participant(db, "ana@example.org", "Ana Participant", "Europe/London")
    await participant(db, "bo@example.org", "Bo Participant", "Europe/London")
    await schedule(chat, "Leading change | next Tuesday 3pm | 2")
    await schedule(chat, "Difficult conversations | next Tuesday 3pm | 2")
    pat, dana, ana, bo = chat(PAT), chat(DANA), chat("ana@example.org"), chat("bo@example.org")
    answers = [await join(person, "Leading change") for person in (pat, dana, ana, bo)]
    assert "waitlist: number 1" in answers[2] and "waitlist: number 2" in answers[3]
    assert await waiting(db) == ["ana@example.org", "bo@example.org"]
    assert "You are in: Difficult conversations" in await join(ana, "Difficult conversations")
    await pat.say("group")
    await pat.click("Leave Leading change")
    async with db.transaction() as session:
        query = (
            select(Person.email)
            .join(GroupSeat, GroupSeat.person_id == Person.id)
            .join(GroupSession, GroupSession.id == GroupSeat.group_id)
            .where(GroupSession.title == "Leading change")
        )
        assert set((await session.execute(query)).scalars()) == {DANA, "bo@example.org"}
    assert await waiting(db) == ["ana@example.org"]
    assert "A place freed up in Leading change" in await bo.say("hello")


async def test_joining_when_you_have_another_session_then_is_refused(chat, db):
    await schedule(chat, "Leading change | next Tuesday 3pm")
    await schedule(chat, "Difficult conversations | next Tuesday 3:30pm")
    pat = chat(PAT)
    assert "Booked:" in await pat.say("book with cora Tuesday 1pm")  # 13:00-14:00 Los Angeles, one-to-one
    refused = await join(pat, "Leading change")
    assert "You have another session then, so you can't join Leading change" in refused
    assert "Nothing changed" in refused
    dana = chat(DANA)
    assert "You are in" in await join(dana, "Leading change")
    assert "You have another session then" in await join(dana, "Difficult conversations")  # overlaps 15:30-16:30
    assert await seated(db) == {DANA}
    assert await waiting(db) == []


async def test_the_programs_count_of_five_is_enforced_with_the_count_used(chat, db):
    days = ("30 November", "1 December", "2 December", "3 December", "4 December", "7 December")
    for number, day in enumerate(days, 1):
        await schedule(chat, f"Session {number} | {day} 2026 3pm | 8")
    pat = chat(PAT)
    for number in range(1, 6):
        assert "You are in: Session" in await join(pat, f"Session {number}")
    refused = await join(pat, "Session 6")
    assert "You have already joined 5 of the 5 peer-group sessions of the AAHSL coaching pilot" in refused
    assert "Nothing changed" in refused
    pat_id = await person_id(db, PAT)
    assert await count(db, GroupSeat, GroupSeat.person_id == pat_id) == 5
    assert await waiting(db) == []
    assert "You have joined 5 of up to 5 peer-group sessions" in await pat.say("group")


async def test_an_unclear_time_is_confirmed_before_scheduling(chat, db):
    casey = chat(CASEY)
    asked = await casey.say("group schedule Leading change | next Tuesday")
    assert "You didn't say a time, so I took 9:00." in asked and "Schedule it?" in asked
    assert await groups_in(db) == []
    done = await casey.click("Schedule it")
    assert "Scheduled: Leading change, Tuesday 24 November, 09:00 Central Time" in done
    [group] = await groups_in(db)
    assert group.starts_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC) and group.capacity == 8
    await casey.say("group schedule Other | next Wednesday")
    assert "nothing was scheduled" in await casey.click("Don't schedule")
    assert len(await groups_in(db)) == 1


async def test_a_coordinator_of_several_cohorts_is_asked_which(chat, db, catalog):
    async with db.transaction() as session:
        spring = Cohort(
            program_id=AAHSL,
            name="Spring 2027",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 8, 30),
            calendar=cohort_calendar(catalog.get(AAHSL), date(2027, 1, 1)),
            created_at=FIXED_NOW,
        )
        session.add(spring)
        await session.flush()
        dana = await get_or_create_person(session, "participant2@demo.example", "Dana", "America/Denver", FIXED_NOW)
        session.add(Membership(cohort_id=spring.id, person_id=dana.id, role="participant", created_at=FIXED_NOW))
    casey = chat(CASEY)
    asked = await casey.say("group schedule Leading change | 11 May 2027 3pm | 4")
    assert "For which cohort is Leading change?" in asked
    assert await groups_in(db) == []
    refused = await casey.click("AAHSL Demo 2026-27")
    assert "take place from 24 September 2026 to 23 April 2027" in refused
    await casey.say("group schedule Leading change | 11 May 2027 3pm | 4")
    done = await casey.click("AAHSL Spring 2027")
    assert "Scheduled: Leading change, Tuesday 11 May, 15:00 Central Time, 90 minutes, 4 places" in done
    [group] = await groups_in(db)
    assert group.cohort_id == spring.id and group.capacity == 4


async def test_bad_scheduling_input_is_refused_and_changes_nothing(chat, db):
    casey = chat(CASEY)
    outside = await casey.say("group schedule Late | 1 June 2027 3pm")
    assert "Peer-group sessions of the AAHSL Demo 2026-27 cohort take place from 24 September 2026" in outside
    assert "to 23 April 2027. Nothing was scheduled." in outside
    assert "already passed" in await casey.say("group schedule Past | yesterday 3pm")
    assert "I couldn't read `purple elephant` as a time" in await casey.say("group schedule X | purple elephant")
    for capacity in ("1", "51", "eight", "2.5"):
        refused = await casey.say(f"group schedule X | next Tuesday 3pm | {capacity}")
        assert f"The capacity must be a whole number from 2 to 50, not `{capacity}`" in refused
    assert "Write it as `group schedule TITLE | WHEN | CAPACITY`" in await casey.say("group schedule Leading change")
    assert await groups_in(db) == []
    assert await count(db, OutboxMessage) == 0


async def test_only_coordinators_of_a_program_with_peer_groups_schedule(chat, db):
    for email in (PAT, "coach@demo.example", "partner@demo.example"):
        refused = await chat(email).say("group schedule Leading change | next Tuesday 3pm")
        assert "Only a coordinator of a program with peer-group sessions can schedule them" in refused
    assert await groups_in(db) == []
    assert "You are not in a program with peer-group sessions" in await chat("partner@demo.example").say("group")


async def test_a_forged_join_for_another_cohort_changes_nothing(chat, db):
    await schedule(chat, "Leading change | next Tuesday 3pm")
    [group] = await groups_in(db)
    sokha = chat("partner@demo.example")  # IATUL: not in the AAHSL cohort
    sokha.console.buttons = [Button("Join", f"group:join|{group.id}")]
    assert "not one of your cohorts'" in await sokha.say("1")
    assert await seated(db) == set()


async def test_two_people_racing_for_the_last_place_get_exactly_one(db, catalog, engine):
    await participant(db, "ana@example.org", "Ana Participant", "Europe/London")
    await schedule(lambda email: Chat(engine, email), "Leading change | next Tuesday 3pm | 2")
    assert "You are in" in await join(Chat(engine, PAT), "Leading change")
    [group] = await groups_in(db)
    second = Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW)
    dana, ana = Chat(engine, DANA), Chat(second, "ana@example.org")
    for racer in (dana, ana):
        await racer.say("group")
    if db.is_sqlite:  # one writer at a time: the turns run one after the other
        answers = await asyncio.gather(dana.click("Join Leading change"), ana.click("Join Leading change"))
    else:
        answers = await through_one_gate(
            db,
            "SELECT id FROM group_sessions WHERE id = :id FOR UPDATE",
            {"id": group.id},
            dana.click("Join Leading change"),
            ana.click("Join Leading change"),
        )
    assert sum("You are in: Leading change" in answer for answer in answers) == 1
    assert sum("you are on its waitlist: number 1" in answer for answer in answers) == 1
    assert await count(db, GroupSeat) == 2
    assert len(await waiting(db)) == 1 and len(await seated(db)) == 2
