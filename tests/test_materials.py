"""A coach reads the application of a participant matched to them (AAHSL shares it), and nobody else's."""

from sqlalchemy import select

from adapters.console import ConsoleDirectory
from bot.demo import running_cohort
from bot.identity import get_or_create_person
from bot.messages import Inbound
from storage.db import Database
from storage.models import Application, Cohort, Pair, Person
from tests.conftest import FIXED_NOW

AAHSL, ALCTS = "aahsl-coaching-pilot", "alcts-mentoring"
CORA, LEE, PAT, DANA = (
    "coach@demo.example",
    "coach2@demo.example",
    "participant@demo.example",
    "participant2@demo.example",
)
GOALS = "Lead a reorganisation of our liaison team and learn to give difficult feedback."
LETTER = {"name": "cover-letter.pdf", "url": "https://files.example.org/pat/cover-letter.pdf"}


async def with_application(db: Database, program_id: str, email: str) -> None:
    """`email`'s accepted application in the program's running demo cohort, with a statement and a file."""
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(program_id))).scalar_one()
        person = await get_or_create_person(session, email, "unused", "UTC", FIXED_NOW)
        session.add(
            Application(
                cohort_id=cohort.id,
                person_id=person.id,
                status="accepted",
                roles=["participant" if program_id == AAHSL else "mentee"],
                answers={"middle_management": "yes", "degree": "yes"},
                materials={"goals_statement": {"text": GOALS, "done": True}, "cover_letter": {"files": [LETTER]}},
                submitted_at=FIXED_NOW,
                created_at=FIXED_NOW,
                updated_at=FIXED_NOW,
            )
        )


async def end_pair(db: Database, program_id: str, guided_email: str) -> None:
    async with db.transaction() as session:
        query = (
            select(Pair)
            .join(Cohort, Cohort.id == Pair.cohort_id)
            .join(Person, Person.id == Pair.guided_id)
            .where(Cohort.program_id == program_id, Person.email == guided_email)
        )
        pair = (await session.execute(query)).scalar_one()
        pair.status, pair.ended_at, pair.end_reason = "ended", FIXED_NOW, "coordinator"


async def test_the_coach_sees_their_matched_participants_application_from_partner(chat, db):
    await with_application(db, AAHSL, PAT)
    cora = chat(CORA)
    listing = await cora.say("partner")
    assert "See Pat Participant's application" in listing
    shown = await cora.click("See Pat Participant's application")
    assert "Pat Participant's application to AAHSL Demo 2026-27" in shown
    assert GOALS in shown
    assert "cover-letter.pdf <https://files.example.org/pat/cover-letter.pdf>" in shown
    assert "Do you hold a master's degree" in shown and ": yes" in shown
    typed = await cora.say("materials pat")
    assert GOALS in typed


async def test_nobody_else_sees_it(chat, db, engine):
    await with_application(db, AAHSL, PAT)
    await with_application(db, AAHSL, DANA)
    cora = chat(CORA)
    # Dana is in Cora's cohort but not matched to her.
    dana = await cora.say("materials Dana")
    assert "None of the participants matched to you is `Dana`" in dana and GOALS not in dana
    # Another coach, a participant (even for themselves), and a forged button get the refusal.
    answer = await chat(LEE).say("materials pat")
    assert "I can show a coach only the applications of the participants matched to them" in answer
    assert GOALS not in answer
    for email, typed in ((PAT, "materials"), (DANA, "materials pat")):  # the command is for coaches and mentors
        answer = await chat(email).say(typed)
        assert "Only a coach or mentor can use `materials`" in answer and GOALS not in answer
    async with db.transaction() as session:
        pair_id = (
            await session.execute(
                select(Pair.id).join(Person, Person.id == Pair.guided_id).where(Person.email == PAT).limit(1)
            )
        ).scalar_one()
    for value in (f"materials:show|{pair_id}", "materials:show|99999999999999999999", "materials:peek|1"):
        inbound = Inbound("console", LEE, "console", action=value)
        replies = await engine.handle(inbound, ConsoleDirectory(LEE))
        text = " ".join(reply.plain_text() for reply in replies)
        assert "I can show a coach only the applications" in text and GOALS not in text


async def test_a_program_that_does_not_share_and_an_ended_pair_show_nothing(chat, db):
    await with_application(db, ALCTS, PAT)  # Cora mentors Pat in ALCTS too, which does not share
    await with_application(db, AAHSL, PAT)
    cora = chat(CORA)
    listing = await cora.say("partner")
    assert listing.count("See Pat Participant's application") == 1  # the AAHSL pair only
    await end_pair(db, AAHSL, PAT)
    assert "See Pat Participant's application" not in await cora.say("partner")
    answer = await cora.say("materials pat")
    assert "I can show a coach only" in answer and GOALS not in answer
