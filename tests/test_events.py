"""Events besides peer groups (orientation, kickoff, training, meeting), as conversations through the
engine with a controlled clock and the real outbox, on SQLite and PostgreSQL.

At FIXED_NOW (Monday 23 November 2026, 15:00 UTC) it is 09:00 for Casey (Chicago), 07:00 for Pat (Los
Angeles) and 10:00 for Cora and Nora (New York). "next Tuesday 3pm" typed by Casey is 24 November,
21:00 UTC. Casey coordinates every demo cohort (national terms), so she picks the cohort with a button.
"""

import re
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import func, select

from bot.demo import next_cohort, running_cohort
from bot.identity import get_or_create_person
from bot.messages import Button
from bot.network import create_cohort
from storage.db import Database
from storage.models import Cohort, GroupSeat, GroupSession, Membership, OutboxMessage, Person
from tests.conftest import FIXED_NOW, Chat
from tests.server import running_server

AAHSL, ALCTS = "aahsl-coaching-pilot", "alcts-mentoring"
CASEY, CORA, LEE = "coordinator@demo.example", "coach@demo.example", "coach2@demo.example"
PAT, DANA, SOKHA = "participant@demo.example", "participant2@demo.example", "partner@demo.example"
NORA, WES, MIA = "northeast@demo.example", "west@demo.example", "mentor.west@demo.example"
TUESDAY_3PM_CHICAGO = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


async def member(db: Database, cohort_query, email: str, role: str, zone: str = "Europe/London") -> None:  # type: ignore[no-untyped-def]
    """A person with a role in a cohort (test data, as review or match leave them)."""
    async with db.transaction() as session:
        cohort = (await session.execute(cohort_query)).scalar_one()
        person = await get_or_create_person(session, email, email.split("@")[0].title(), zone, FIXED_NOW)
        await session.flush()
        session.add(Membership(cohort_id=cohort.id, person_id=person.id, role=role, created_at=FIXED_NOW))


async def events_in(db: Database) -> list[GroupSession]:
    async with db.transaction() as session:
        query = select(GroupSession).where(GroupSession.kind != "peer-group").order_by(GroupSession.id)
        return list((await session.execute(query)).scalars())


async def told(db: Database, kind: str = "event") -> set[str]:
    """Who has a message of this kind in the outbox, by email."""
    async with db.transaction() as session:
        query = select(Person.email).join(OutboxMessage, OutboxMessage.person_id == Person.id)
        return set((await session.execute(query.where(OutboxMessage.kind == kind))).scalars())


async def reminders(db: Database, ref: str) -> list[tuple[str, datetime]]:
    async with db.transaction() as session:
        query = (
            select(Person.email, OutboxMessage.due_at)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(OutboxMessage.ref == ref, OutboxMessage.kind == "reminder", OutboxMessage.status == "pending")
            .order_by(Person.email, OutboxMessage.due_at)
        )
        return [(email, due) for email, due in (await session.execute(query)).all()]


async def count(db: Database, table, *conditions) -> int:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(table).where(*conditions))).scalar_one()


async def schedule_aahsl(chat_: Chat, typed: str) -> str:
    """Casey schedules for the running AAHSL cohort, picking it among those the day fits."""
    asked = await chat_.say(f"event schedule {typed}")
    assert "For which cohort is" in asked, asked
    return await chat_.click("AAHSL Demo 2026-27")


async def test_an_event_for_everyone_tells_the_whole_cohort_in_their_zone_and_reminds_them(engine, chat, db):
    casey = chat(CASEY)
    done = await schedule_aahsl(casey, "kickoff | Spring kickoff | next Tuesday 3pm | everyone")
    assert (
        "Scheduled: Kickoff meeting: Spring kickoff, Tuesday 24 November, 15:00 Central Time, 60 minutes, "
        "for everyone in the cohort of the AAHSL Demo 2026-27 cohort, everyone invited. "
        "I told 4 people." in done
    )
    [event] = await events_in(db)
    assert (event.kind, event.audience, event.capacity, event.status) == ("kickoff", "everyone", 0, "scheduled")
    assert event.starts_at == TUESDAY_3PM_CHICAGO and event.ends_at == TUESDAY_3PM_CHICAGO + timedelta(hours=1)
    assert f"/calendar/{event.calendar_token}.ics" in done and f"event cancel {event.id}" in done
    # The cohort (coaches, participants) is told; its coordinator scheduled it; other programs hear nothing.
    assert await told(db) == {CORA, LEE, PAT, DANA}
    shown = await chat(PAT).say("hello")
    assert "Kickoff meeting of AAHSL Demo 2026-27" in shown
    assert "Spring kickoff: Tuesday 24 November, 13:00 Pacific Time, 60 minutes" in shown
    assert f"http://localhost:3978/calendar/{event.calendar_token}.ics" in shown and "You are invited" in shown
    # Everyone it is for, the coordinator too, is reminded 24 hours and 1 hour before.
    due = [TUESDAY_3PM_CHICAGO - timedelta(hours=24), TUESDAY_3PM_CHICAGO - timedelta(hours=1)]
    assert await reminders(db, f"event:{event.id}") == [
        (email, moment) for email in sorted({CASEY, CORA, LEE, PAT, DANA}) for moment in due
    ]
    engine.clock = lambda: due[1]
    assert (
        "Reminder: the kickoff meeting Spring kickoff is in one hour, Tuesday 24 November, 13:00 "
        "Pacific Time." in await chat(PAT).say("hello")
    )
    listed = await chat(SOKHA).say("events")
    assert "No events are coming up for you" in listed


async def test_a_role_hears_of_its_event_and_the_others_do_not(chat, db):
    casey = chat(CASEY)
    await schedule_aahsl(casey, "training | Coaching skills | next Tuesday 3pm | coaches")
    assert await told(db) == {CORA, LEE}
    [event] = await events_in(db)
    assert await reminders(db, f"event:{event.id}") == [
        (email, TUESDAY_3PM_CHICAGO - timedelta(hours=hours)) for email in (LEE, CORA) for hours in (24, 1)
    ]
    assert "Training: Coaching skills, Tuesday 24 November, 16:00 Eastern Time" in await chat(CORA).say("events")
    assert "No events are coming up for you" in await chat(PAT).say("events")
    assert "[number" in await casey.say("events")  # the coordinator sees it, with its number to cancel


async def test_the_networks_coordinators_meet_online_across_regions(chat, db):
    nora = chat(NORA)
    asked = await nora.say("event schedule meeting | Monthly call | next Wednesday 1pm | coordinators")
    assert "For which cohort is Monthly call?" in asked
    done = await nora.click("Coordinator network Demo 2026-27")
    assert "Scheduled: Online meeting of the network's coordinators: Monthly call, Wednesday 25 November, 13:00" in done
    # Every coordinator of the network is told, the West's and the national one; no mentor or mentee is.
    assert await told(db) == {CASEY, WES}
    seen = await chat(WES).say("events")
    assert "Online meeting of the network's coordinators: Monthly call, Wednesday 25 November, 10:00" in seen
    assert "(you are invited)" in seen
    assert "No events are coming up for you" in await chat(MIA).say("events")


async def test_in_other_programs_the_coordinators_are_the_cohorts(chat, db):
    await member(db, running_cohort(ALCTS), "alex@example.org", "coordinator")
    casey = chat(CASEY)
    asked = await casey.say("event schedule training | Matching well | next Tuesday 3pm | coordinators")
    assert "For which cohort" in asked
    done = await casey.click("ALCTS Demo 2026-27")
    assert "Coordinator training: Matching well" in done and "for the cohort's coordinators" in done
    assert await told(db) == {"alex@example.org"}


async def test_the_alcts_orientation_falls_in_its_phase_22_to_26_may(engine, chat, db, catalog):
    early_2027 = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)
    engine.clock = lambda: early_2027
    async with db.transaction() as session:
        cohort = await create_cohort(session, catalog.get(ALCTS), date(2027, 6, 1), early_2027)
    assert cohort.name == "2027-28"
    real = select(Cohort).where(Cohort.program_id == ALCTS, Cohort.name == "2027-28")
    await member(db, real, "olivia@example.org", "coordinator", "America/Chicago")
    await member(db, real, "mentor@example.org", "mentor")
    await member(db, real, "mentee@example.org", "mentee")
    olivia = chat("olivia@example.org")
    for day in ("21 May 2027", "27 May 2027", "1 June 2027"):
        refused = await olivia.say(f"event schedule orientation | Welcome | {day} 3pm | everyone")
        assert (
            "The orientation of the ALCTS 2027-28 cohort takes place from 22 May to 26 May 2027 "
            "(Training and orientation). Nothing was scheduled." in refused
        )
    late = await olivia.say("event schedule kickoff | Too late | 1 May 2028 3pm | everyone")
    assert "falls on or before the cohort's last day, 30 April 2028. Nothing was scheduled." in late
    assert await events_in(db) == [] and await told(db) == set()
    done = await olivia.say("event schedule orientation | Welcome | 25 May 2027 3pm | mentees | 20")
    assert "Scheduled: Orientation: Welcome, Tuesday 25 May, 15:00 Central Time, 90 minutes" in done
    assert "for the mentees of the ALCTS 2027-28 cohort, 20 places. I told 1 person." in done
    assert await told(db) == {"mentee@example.org"}
    assert [button.label for button in chat("mentee@example.org").console.buttons] == []
    shown = await chat("mentee@example.org").say("hello")
    assert "Orientation of ALCTS 2027-28" in shown and "Join to take one of its places" in shown


async def test_the_demo_orientation_goes_to_next_years_cohort_whose_phase_is_ahead(chat, db):
    for cohort in (running_cohort(ALCTS), next_cohort(ALCTS)):
        await member(db, cohort, "alex@example.org", "coordinator", "America/Chicago")
    async with db.transaction() as session:
        coming = (await session.execute(next_cohort(ALCTS))).scalar_one()
    opens = date.fromisoformat(coming.calendar["phases"]["orientation"]["opens"])  # 22 March 2027
    done = await chat("alex@example.org").say(
        f"event schedule orientation | Welcome | {opens.day + 1} {opens:%B %Y} 11am | everyone"
    )
    assert f"for everyone in the cohort of the ALCTS {coming.name} cohort" in done, done
    [event] = await events_in(db)
    assert event.cohort_id == coming.id
    # Casey coordinates every program: the running ALCTS cohort, whose orientation has passed, is not offered.
    casey = chat(CASEY)
    await casey.say(f"event schedule orientation | Welcome | {opens.day + 1} {opens:%B %Y} 11am | everyone")
    labels = [button.label for button in casey.console.buttons]
    assert "ALCTS Demo 2027-28" in labels and "ALCTS Demo 2026-27" not in labels


async def test_places_a_waitlist_and_a_freed_place_for_the_first_waiting(chat, db):
    await member(db, running_cohort(AAHSL), "ana@example.org", "participant")
    await schedule_aahsl(chat(CASEY), "training | Leading teams | next Tuesday 3pm | participants | 2")
    [event] = await events_in(db)
    pat, dana, ana = chat(PAT), chat(DANA), chat("ana@example.org")
    await pat.say("hello")
    assert "You are in: Leading teams, Tuesday 24 November, 13:00 Pacific Time" in await pat.click("Join")
    await dana.say("events")
    assert "You are in" in await dana.click("Join Leading teams")
    await ana.say("events")
    assert "is full, so you are on its waitlist: number 1" in await ana.click("Join Leading teams")
    assert "full, 1 waiting (you are in)" in await pat.say("events")
    async with db.transaction() as session:
        pat_id = (await session.execute(select(Person.id).where(Person.email == PAT))).scalar_one()
    assert len(await reminders(db, f"event:{event.id}:{pat_id}")) == 2
    assert await reminders(db, f"event:{event.id}") == []  # with places, only those in are reminded
    assert "You left Leading teams" in await pat.click("Leave Leading teams")
    assert await reminders(db, f"event:{event.id}:{pat_id}") == []
    shown = await ana.say("hello")
    assert "A place freed up in Leading teams, Tuesday 24 November, 21:00 London time, and it is yours" in shown
    async with db.transaction() as session:
        query = select(Person.email).join(GroupSeat, GroupSeat.person_id == Person.id)
        assert set((await session.execute(query)).scalars()) == {DANA, "ana@example.org"}
    assert "Leading teams" not in await pat.say("group")  # events are not peer-group sessions


async def test_cancelling_tells_them_and_withdraws_the_reminders(chat, db):
    casey, pat = chat(CASEY), chat(PAT)
    await schedule_aahsl(casey, "kickoff | Spring kickoff | next Tuesday 3pm | everyone")
    [event] = await events_in(db)
    assert len(await reminders(db, f"event:{event.id}")) == 10
    await pat.say("hello")  # the news is delivered
    cancelled = await casey.say(f"event cancel {event.id}")
    assert "Cancelled: Kickoff meeting: Spring kickoff, Tuesday 24 November, 15:00 Central Time" in cancelled
    assert "I told 4 people" in cancelled and f"/calendar/{event.calendar_token}.ics" in cancelled
    assert await reminders(db, f"event:{event.id}") == []
    [event] = await events_in(db)
    assert (event.status, event.sequence) == ("cancelled", 1)
    shown = await pat.say("hello")
    assert "Cancelled: Kickoff meeting of AAHSL Demo 2026-27" in shown
    assert "Spring kickoff, Tuesday 24 November, 13:00 Pacific Time, is cancelled." in shown
    assert "No events are coming up for you" in await pat.say("events")
    assert "is cancelled already. Nothing changed." in await casey.say(f"event cancel {event.id}")
    assert "There is no event `99`" in await casey.say("event cancel 99")


async def test_the_calendar_file_is_served_and_becomes_a_cancellation(sqlite_url):
    async with running_server(sqlite_url) as server:
        casey = Chat(server.engine, CASEY)
        done = await schedule_aahsl(casey, "kickoff | Spring kickoff | next Tuesday 3pm | everyone")
        path = re.search(r"/calendar/[\w-]+\.ics", done)
        assert path is not None

        async def invitation() -> Calendar:
            async with server.http.get(server.url + path.group(0)) as response:
                assert response.status == 200 and response.content_type == "text/calendar"
                return Calendar.from_ical(await response.read())

        first = await invitation()
        [event] = await events_in(server.db)
        assert "Cancelled:" in await casey.say(f"event cancel {event.id}")
        last = await invitation()
    events = [next(iter(calendar.walk("VEVENT"))) for calendar in (first, last)]
    assert [str(calendar["METHOD"]) for calendar in (first, last)] == ["REQUEST", "CANCEL"]
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1] and str(events[0]["UID"]) == str(events[1]["UID"])
    assert str(events[0]["UID"]).startswith(f"event-{event.id}@")
    assert str(events[0]["SUMMARY"]) == "Kickoff meeting: Spring kickoff"
    assert events[0]["DTSTART"].dt.isoformat() == "2026-11-24T21:00:00+00:00"
    attendees = {str(a).removeprefix("mailto:") for a in events[0]["ATTENDEE"]}
    assert attendees == {CASEY, CORA, LEE, PAT, DANA}


async def test_a_guided_conversation_asks_what_is_missing_with_buttons(chat, db):
    casey = chat(CASEY)
    assert "Which kind of event?" in await casey.say("event schedule")
    assert "What is the training's title?" in await casey.click("Training")
    assert "When is it?" in await casey.say("Mentoring basics")
    assert "I couldn't read `purple elephant` as a time" in await casey.say("purple elephant")
    assert "For which cohort is Mentoring basics?" in await casey.say("next Wednesday 10am")
    assert "Who is the training for?" in await casey.click("AAHSL Demo 2026-27")
    assert [b.label for b in casey.console.buttons] == [
        "Everyone in the cohort",
        "The coaches",
        "The participants",
        "The cohort's coordinators",
    ]
    assert "`the bosses` is not one of those" in await casey.say("the bosses")
    assert "Who is the training for?" in casey.shown[-1]
    assert "How many places?" in await casey.click("The coaches")
    done = await casey.click("No limit")
    assert "Scheduled: Training: Mentoring basics, Wednesday 25 November, 10:00 Central Time" in done
    assert await told(db) == {CORA, LEE}


async def test_an_unclear_time_is_confirmed_first(chat, db):
    casey = chat(CASEY)
    asked = await schedule_aahsl(casey, "kickoff | Spring kickoff | next Tuesday | everyone")
    assert "You didn't say a time, so I took 9:00." in asked and "Schedule it?" in asked
    assert await events_in(db) == []
    assert "Please use the buttons above" in await casey.say("maybe")
    assert "Scheduled:" in await casey.click("Schedule it")
    assert len(await events_in(db)) == 1


async def test_bad_input_and_non_coordinators_are_refused_and_change_nothing(chat, db):
    for email in (PAT, CORA, SOKHA):
        refused = await chat(email).say("event schedule kickoff | Hello | next Tuesday 3pm | everyone")
        assert "Only a program's coordinators can schedule events. Nothing was scheduled." in refused
    casey = chat(CASEY)
    assert "`party` is not a kind of event" in await casey.say("event schedule party | X | next Tuesday 3pm")
    assert "already passed" in await casey.say("event schedule kickoff | X | yesterday 3pm | everyone")
    assert "The capacity must be a whole number from 2 to 500, or `none`, not `lots`" in await casey.say(
        "event schedule kickoff | X | next Tuesday 3pm | everyone | lots"
    )
    await casey.say("event schedule kickoff | X | next Tuesday 3pm | partners")
    refused = await casey.click("AAHSL Demo 2026-27")
    assert "`partners` is not an audience of the AAHSL coaching pilot" in refused
    assert "Write it as" in await casey.say("event schedule a | b | c | d | e | f")
    assert await events_in(db) == [] and await count(db, OutboxMessage) == 0


async def test_forged_and_stale_buttons_get_a_clear_answer(chat, db):
    await schedule_aahsl(chat(CASEY), "kickoff | Spring kickoff | next Tuesday 3pm | everyone")
    await schedule_aahsl(chat(CASEY), "training | Leading teams | next Tuesday 3pm | participants | 5")
    await chat(CASEY).say("group schedule Leading change | next Tuesday 5pm | 8")
    open_event, with_places = await events_in(db)
    async with db.transaction() as session:
        group_id = (await session.execute(select(GroupSession.id).where(GroupSession.kind == "peer-group"))).scalar()
    sokha, pat, dana = chat(SOKHA), chat(PAT), chat(DANA)
    sokha.console.buttons = [Button("Join", f"event:join|{with_places.id}")]
    assert "That is not one of your events" in await sokha.say("1")
    pat.console.buttons = [Button("Join", f"event:join|{open_event.id}")]
    assert "has no places to take: everyone it is for is invited" in await pat.say("1")
    if group_id is not None:
        pat.console.buttons = [Button("Join", f"event:join|{group_id}")]
        assert "That is not one of your events" in await pat.say("1")
    dana.console.buttons = [Button("Join", "event:join|nonsense"), Button("X", "event:cohort|1")]
    assert "That is not one of your events" in await dana.say("1")
    dana.console.buttons = [Button("X", "event:cohort|1")]
    assert "That question is out of date" in await dana.say("1")
    nora = chat(NORA)
    await nora.say("event schedule meeting | Monthly call | next Wednesday 1pm | coordinators")
    async with db.transaction() as session:
        aahsl = (await session.execute(running_cohort(AAHSL))).scalar_one()
    nora.console.buttons = [Button("AAHSL", f"event:cohort|{aahsl.id}")]
    assert "You can't schedule that event for that cohort. Nothing was scheduled." in await nora.say("1")
    assert "There is no event" in await pat.say(f"event cancel {open_event.id}")
    await count(db, GroupSeat)
    assert await count(db, GroupSeat) == 0 and len(await events_in(db)) == 2
    assert all(event.status == "scheduled" for event in await events_in(db))
