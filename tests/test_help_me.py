"""Help at any time (issue 14, point 7): `help me` and the Need help button in `status` reach the program's
coordinators at once, with the person's pairing and an optional topic from a list; `help` lists only what
the person can use in their own programs."""

from datetime import date

from sqlalchemy import select

from bot.outbox import reply_of
from storage.db import Database
from storage.models import OutboxMessage, Pair, Person

SOKHA = "partner@demo.example"  # SIG-ALICE partner, paired with Cora Coach
PAT = "participant@demo.example"  # AAHSL participant, ALCTS mentee, network mentee
CASEY = "coordinator@demo.example"  # national coordinator of every program


async def help_requests(db: Database, to: str) -> list[str]:
    async with db.transaction() as session:
        query = (
            select(OutboxMessage)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.email == to, OutboxMessage.kind == "help-request")
            .order_by(OutboxMessage.id)
        )
        return [reply_of(row.reply).text for row in (await session.execute(query)).scalars()]


async def test_help_me_tells_the_coordinators_at_once_with_the_pairing_and_a_topic(chat, db):
    sokha = chat(SOKHA)
    asked = await sokha.say("help me")
    assert "I will tell the coordinators of the SIG-ALICE coaching at once" in asked
    assert "Booking or sessions" in asked and "Just tell them" in asked
    done = await sokha.click("My pairing")
    assert "I have told the coordinators of the SIG-ALICE Demo 2026-27 cohort (Casey Coordinator)" in done
    assert "about my pairing" in done
    [notice] = await help_requests(db, CASEY)
    assert "Sokha Partner (partner@demo.example), partner in the SIG-ALICE Demo 2026-27 cohort" in notice
    assert "asks for help, about my pairing" in notice
    assert "They are paired with Cora Coach, coach@demo.example." in notice


async def test_asking_twice_within_half_an_hour_sends_once(chat, db):
    sokha = chat(SOKHA)
    await sokha.say("help me")
    await sokha.click("Just tell them")
    again = await sokha.say("help me sessions")
    assert "the coordinators of the SIG-ALICE coaching have it" in again and "did not send it twice" in again
    assert len(await help_requests(db, CASEY)) == 1


async def test_someone_in_several_programs_picks_one_and_may_skip_the_topic(chat, db):
    pat = chat(PAT)
    which = await pat.say("help me")
    assert "Which program would you like help with?" in which
    assert "AAHSL Demo 2026-27" in which and "ALCTS Demo 2026-27" in which
    await pat.click("AAHSL")
    done = await pat.click("Just tell them")
    assert "I have told the coordinators of the AAHSL Demo 2026-27 cohort" in done and "about" not in done
    [notice] = await help_requests(db, CASEY)
    assert (
        "participant in the AAHSL Demo 2026-27 cohort"
    ) in notice and "asks for help. They are paired with Cora" in notice


async def test_a_topic_typed_after_help_me_sends_at_once(chat, db):
    done = await chat(SOKHA).say("help me booking")
    assert "that you would like help about booking or sessions" in done
    assert len(await help_requests(db, CASEY)) == 1


async def test_the_need_help_button_in_status_starts_it(chat, db):
    sokha = chat(SOKHA)
    status = await sokha.say("status")
    assert "Need help" in status
    asked = await sokha.click("Need help")
    assert "What is it about?" in asked
    await sokha.click("Something else")
    assert "about something else" in (await help_requests(db, CASEY))[0]


async def test_help_me_escapes_an_open_question_and_is_answered_for_people_outside_programs(chat, db):
    sokha = chat(SOKHA)
    await sokha.say("book")  # asks when, as text
    asked = await sokha.say("help me")
    assert "What is it about?" in asked
    newcomer = await chat("new.person@example.org").say("help me")
    assert "You are not in a program yet, so there are no coordinators to tell" in newcomer
    coordinator = await chat(CASEY).say("help me")
    assert "their requests come to you" in coordinator
    assert await help_requests(db, CASEY) == []


async def test_help_lists_only_what_the_person_can_use_in_their_programs(chat):
    sokha = await chat(SOKHA).say("help")  # SIG-ALICE: relay, one-to-one sessions; no assessment, no groups
    assert "`book" in sokha and "`reply NAME message`" in sokha and "`help me`" in sokha
    assert "`assessment`" not in sokha and "`group" not in sokha and "`resources" not in sokha
    assert "`log AMOUNT" not in sokha  # logging hours is for coaches
    pat = await chat(PAT).say("help")  # AAHSL: assessments and peer groups; the network: resources
    assert "`assessment`" in pat and "`group" in pat and "`resources" in pat
    assert "`reply NAME message`" not in pat  # none of Pat's programs relays messages
    newcomer = await chat("new.person@example.org").say("help")
    assert "`apply" in newcomer and "`book" not in newcomer and "`help me`: tell" not in newcomer
    assert "`survey`" not in newcomer and "`events`" not in newcomer


async def test_status_shows_a_pairs_pause_and_the_persons_own(chat, db):
    async with db.transaction() as session:
        sokha_id = (await session.execute(select(Person.id).where(Person.email == SOKHA))).scalar_one()
        pair = (await session.execute(select(Pair).where(Pair.guided_id == sokha_id))).scalar_one()
        pair.paused_until, pair.pause_reason = date(2027, 1, 15), "leave"
        (await session.get_one(Person, sokha_id)).away_until = date(2027, 1, 10)
    status = await chat(SOKHA).say("status")
    assert "your coach is Cora Coach" in status and "paused by the coordinators until 15 January 2027" in status
    assert "You are away until 10 January 2027: no check-ins until then" in status
