"""Booking one-to-one sessions, as conversations through the engine, on SQLite and PostgreSQL.

At FIXED_NOW (Monday 23 November 2026, 15:00 UTC) it is 07:00 for Pat (Los Angeles), 10:00 for Cora
(New York) and 22:00 for Sokha (Phnom Penh). Cora has set no hours: Monday-Friday 09:00-17:00 New York.
"""

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.cycle import dated_phase, with_phase
from bot.demo import running_cohort
from bot.engine import Engine
from storage.models import BusySlot, CoachingSession, DialogState, OutboxMessage
from tests.conftest import FIXED_NOW, Chat
from tests.races import through_one_gate
from wiring import build_registry


async def sessions_in(db) -> list[CoachingSession]:
    async with db.transaction() as session:
        query = select(CoachingSession).order_by(CoachingSession.starts_at)
        return list((await session.execute(query)).scalars())


async def test_a_clear_phrase_books_at_once_and_shows_both_zones(chat, db):
    sokha = chat("partner@demo.example")
    answer = await sokha.say("book Wednesday 9pm")
    assert "Booked: Wednesday 25 November, 21:00 Phnom Penh time for you and 09:00 Eastern Time for Cora" in answer
    assert "This is session 1 of at least 6" in answer and "/calendar/" in answer
    [booked] = await sessions_in(db)
    assert booked.starts_at == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert booked.ends_at - booked.starts_at == timedelta(minutes=60)
    told = await chat("coach@demo.example").say("sessions")
    assert "Sokha Partner booked a session with you: Wednesday 25 November, 09:00 Eastern Time" in told
    assert "Wednesday 25 November, 09:00 Eastern Time with Sokha Partner" in told


async def test_an_ambiguous_phrase_is_confirmed_first(chat, db):
    pat = chat("participant@demo.example")
    asked = await pat.say("book with cora tomorrow")
    assert "You didn't say a time" in asked and "Book it?" in asked and await sessions_in(db) == []
    assert "So: Tuesday 24 November, 09:00 Pacific Time for you and 12:00 Eastern Time for Cora Coach." in asked
    done = await pat.click("Book it")
    assert "Booked:" in done and len(await sessions_in(db)) == 1


async def test_a_bare_book_offers_free_times_as_buttons(chat, db):
    sokha = chat("partner@demo.example")
    offered = await sokha.say("book")
    assert "The next free times" in offered and len(sokha.console.buttons) == 5
    # both clocks on each button: Sokha's first, then Cora's, within Slack's 75 characters
    assert sokha.console.buttons[0].label == "Tue 24 Nov, 21:00 Phnom Penh · 9:00 Eastern"
    assert all(" Phnom Penh · " in b.label and len(b.label) <= 75 for b in sokha.console.buttons)
    assert "Booked:" in await sokha.say("1")
    assert len(await sessions_in(db)) == 1


async def test_outside_the_coachs_hours_is_refused_with_free_times_nearby(chat, db):
    sokha = chat("partner@demo.example")
    answer = await sokha.say("book Wednesday 2pm")  # 02:00 in New York
    assert "outside Cora Coach's hours" in answer and "Free times nearby" in answer
    assert await sessions_in(db) == []
    assert len(sokha.console.buttons) == 3


async def test_a_clash_with_another_session_of_either_person_is_refused(chat, db):
    assert "Booked:" in await chat("partner@demo.example").say("book Wednesday 9pm")  # Cora 09:00-10:00
    pat = chat("participant@demo.example")
    answer = await pat.say("book with cora Wednesday 6:30am")  # 09:30 New York: Cora is taken
    assert "is taken" in answer and "Free times nearby" in answer
    assert len(await sessions_in(db)) == 1


async def test_daylight_saving_moves_the_coachs_hours_for_a_partner_in_phnom_penh(chat, db):
    sokha = chat("partner@demo.example")
    # 20:00 in Phnom Penh is 13:00 UTC: 08:00 in New York on Friday 12 March 2027 (EST), outside Cora's hours,
    # but 09:00 on Monday 15 March 2027, after the clocks went forward on 14 March.
    assert "outside Cora Coach's hours" in await sokha.say("book 12 March 2027 20:00")
    booked = await sokha.say("book 15 March 2027 20:00")
    assert "Monday 15 March, 20:00 Phnom Penh time for you and 09:00 Eastern Time for Cora Coach" in booked


async def test_a_maximum_is_a_cap_and_the_refusal_gives_the_count_used(chat, db):
    pat = chat("participant@demo.example")  # AAHSL: "up to six one-to-one sessions"
    for day in ("30 November", "1 December", "2 December", "3 December", "4 December", "7 December"):
        assert "of up to 6." in await pat.say(f"book with cora {day} 2026 10am")
    refused = await pat.say("book with cora 8 December 2026 10am")
    assert "You have used all 6 one-to-one sessions of the AAHSL coaching pilot (6 booked or held)" in refused
    assert len(await sessions_in(db)) == 6


async def test_a_minimum_is_no_cap(chat, db):
    sokha = chat("partner@demo.example")  # SIG-ALICE: "Minimum 6 coaching sessions"
    for day in ("30 November", "1 December", "2 December", "3 December", "4 December", "7 December"):
        assert "Booked:" in await sokha.say(f"book {day} 2026 22:00")
    seventh = await sokha.say("book 8 December 2026 22:00")
    assert "Booked:" in seventh and "This is session 7 of at least 6." in seventh
    assert len(await sessions_in(db)) == 7


async def test_the_program_window_is_enforced_and_the_refusal_gives_the_count_used(chat, db):
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort("aahsl-coaching-pilot"))).scalar_one()
        sessions = dated_phase(cohort.calendar, "sessions").moved(date(2026, 10, 1), date(2027, 4, 30))
        cohort.calendar = with_phase(cohort.calendar, sessions)
    pat = chat("participant@demo.example")
    assert "Booked:" in await pat.say("book with cora 1 December 2026 9am")
    refused = await pat.say("book with cora 3 May 2027 9am")
    assert "take place from 1 October 2026 to 30 April 2027. You have used 1 of up to 6 so far." in refused
    assert len(await sessions_in(db)) == 1


async def test_bad_input_changes_nothing(chat, db):
    sokha = chat("partner@demo.example")
    assert "I couldn't read `purple elephant` as a time" in await sokha.say("book purple elephant")
    assert "already passed" in await sokha.say("book yesterday 9pm")
    assert "no coach, mentor or partner to book with yet" in await chat("participant2@demo.example").say("book")
    assert "not paired with anyone called `lee`" in await sokha.say("book with lee Wednesday 9pm")
    assert await sessions_in(db) == []


async def test_two_people_racing_for_the_same_coach_time_exactly_one_wins(db, catalog, engine):
    second = Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW)
    sokha, pat = Chat(engine, "partner@demo.example"), Chat(second, "participant@demo.example")
    turns = (sokha.say("book Wednesday 9pm"), pat.say("book with cora Wednesday 6am"))  # both 09:00 New York
    if db.is_sqlite:  # one writer at a time: the turns run one after the other
        answers = await asyncio.gather(*turns)
    else:  # both wait to write Cora's busy slots, then go together: the key, not timing, decides
        lock = "SELECT id FROM persons WHERE email = :email FOR UPDATE"
        answers = await through_one_gate(db, lock, {"email": "coach@demo.example"}, *turns)
    assert sum("Booked:" in answer for answer in answers) == 1
    assert sum("is taken" in answer for answer in answers) == 1
    assert len(await sessions_in(db)) == 1
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(BusySlot))).scalar_one() == 8


async def test_sessions_lists_moves_and_cancels_and_the_other_person_is_told(chat, db):
    sokha, cora = chat("partner@demo.example"), chat("coach@demo.example")
    await sokha.say("book Wednesday 9pm")
    listed = await sokha.say("sessions")
    assert "1. Wednesday 25 November, 21:00 Phnom Penh time with Cora Coach" in listed
    moved = await sokha.say("sessions move 1 Thursday 9pm")
    assert "Moved: your session with Cora Coach is now Thursday 26 November, 21:00 Phnom Penh time for you" in moved
    assert "09:00 Eastern Time for them. I told them." in moved
    [row] = await sessions_in(db)
    assert row.sequence == 1 and row.starts_at == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    told = await cora.say("help")
    assert "moved your session of Wednesday 25 November, 09:00 Eastern Time" in told
    await sokha.say("sessions")
    assert "Cancelled:" in await sokha.click("Cancel 1")
    [row] = await sessions_in(db)
    assert row.status == "cancelled" and row.sequence == 2
    assert "cancelled your session of Thursday 26 November" in await cora.say("help")
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(BusySlot))).scalar_one() == 0
        reminders = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "reminder")
        assert (await session.execute(reminders)).scalar_one() == 0  # withdrawn with the session


async def test_reminders_and_the_question_afterwards_are_queued_for_both(chat, db):
    await chat("partner@demo.example").say("book Wednesday 9pm")
    async with db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.ref.is_not(None)))).scalars().all()
    due = sorted((row.kind, row.due_at) for row in rows)
    start = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert due == sorted(
        [("reminder", start - timedelta(hours=24))] * 2
        + [("reminder", start - timedelta(hours=1))] * 2
        + [("outcome-question", start + timedelta(hours=1))] * 2
    )


async def test_only_whether_it_took_place_is_kept(db, catalog, engine):
    sokha = Chat(engine, "partner@demo.example")
    await sokha.say("book Wednesday 9pm")
    later = Engine(db, build_registry(), catalog, clock=lambda: datetime(2026, 11, 25, 16, 0, tzinfo=UTC))
    after = Chat(later, "partner@demo.example")
    shown = await after.say("help")  # the question afterwards arrives with the next message
    assert "Did your session with Cora Coach" in shown and "nothing about what was said" in shown
    assert "noted that it took place" in await after.click("It took place")
    [row] = await sessions_in(db)
    assert (row.status, row.guided_outcome, row.guide_outcome) == ("held", "held", None)


async def test_a_typed_phrase_is_not_left_in_the_dialog_state_once_answered(chat, db):
    cora = chat("coach@demo.example")  # two partners: she is asked whom, and the phrase waits for that answer
    asked = await cora.say("book purple elephant")
    assert "Who would you like to book with?" in asked
    assert "purple elephant" in str(await dialog_data(db))
    assert "I couldn't read `purple elephant` as a time" in await cora.click("Sokha Partner")
    assert "purple elephant" not in str(await dialog_data(db))
    await cora.say("book Wednesday 9am")
    answered = await cora.click("Sokha Partner")
    assert "Wednesday" in answered and "Wednesday 9am" not in str(await dialog_data(db))


async def dialog_data(db) -> list[dict]:  # type: ignore[type-arg]
    async with db.transaction() as session:
        return [state.data for state in (await session.execute(select(DialogState))).scalars()]
