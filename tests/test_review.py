"""Review and selection by coordinators: decisions, seats, the waitlist, messages and the announcement."""

import asyncio

from sqlalchemy import func, select

from bot.demo import running_cohort
from bot.engine import Engine
from bot.identity import get_or_create_person
from storage.db import Database
from storage.models import Application, Cohort, Membership, OutboxMessage, Person, Seat
from tests.conftest import FIXED_NOW, Chat
from tests.races import through_one_gate
from wiring import build_registry

AAHSL = "aahsl-coaching-pilot"


async def submit_applications(db: Database, program_id: str, count: int, role: str = "participant") -> list[str]:
    """`count` submitted applications from new people (test data, written as the apply dialog leaves them)."""
    emails = []
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(program_id))).scalar_one()
        for number in range(1, count + 1):
            email = f"applicant{number}@example.org"
            person = await get_or_create_person(session, email, f"Applicant {number:02d}", "America/Chicago", FIXED_NOW)
            await session.flush()
            session.add(
                Application(
                    cohort_id=cohort.id,
                    person_id=person.id,
                    status="submitted",
                    roles=[role],
                    answers={"goals": "budgeting and staff training"},
                    materials={},
                    submitted_at=FIXED_NOW,
                    created_at=FIXED_NOW,
                    updated_at=FIXED_NOW,
                )
            )
            emails.append(email)
    return emails


async def decide(coordinator: Chat, name: str, decision: str, note: str | None = None) -> str:
    await coordinator.say("review aahsl")
    await coordinator.click(f"{name}:")
    await coordinator.click(decision)
    if note is None:
        return await coordinator.click("Send without a note")
    return await coordinator.say(note)


async def status_of(db: Database, email: str) -> str:
    async with db.transaction() as session:
        query = select(Application.status).join(Person, Person.id == Application.person_id).where(Person.email == email)
        return (await session.execute(query)).scalar_one()


async def test_only_coordinators_review(chat, db):
    await submit_applications(db, AAHSL, 1)
    answer = await chat("participant@demo.example").say("review")
    assert "Only a coordinator can use `review`" in answer
    assert "Applicant 01" not in answer


async def test_a_coordinator_reads_an_application_and_accepts_it_with_a_note(chat, db):
    [email] = await submit_applications(db, AAHSL, 1)
    casey = chat("coordinator@demo.example")
    listing = await casey.say("review")
    assert "0 of 9 seats taken" in listing and "Submitted (1): Applicant 01 (participant)" in listing
    opened = await casey.click("Applicant 01:")
    assert "Application: Applicant 01 (participant)" in opened and "budgeting and staff training" not in opened
    done = await decide(casey, "Applicant 01", "Accept", note="Welcome! The first group meets in October.")
    assert "Applicant 01 is accepted (seat 1 of 9)" in done
    assert await status_of(db, email) == "accepted"
    told = await chat(email).say("status")
    assert (
        "Good news: you are accepted into the Demo 2026-27 cohort of the "
        "AAHSL/NNLM coaching program for mid-level managers"
    ) in told
    assert "Note from Casey Coordinator: Welcome! The first group meets in October." in told
    async with db.transaction() as session:
        roles = (await session.execute(select(Membership.role).join(Person).where(Person.email == email))).scalars()
        assert list(roles) == ["participant"]


async def test_nine_seats_cannot_be_exceeded_and_a_freed_seat_goes_to_the_waitlist(chat, db):
    emails = await submit_applications(db, AAHSL, 11)
    casey = chat("coordinator@demo.example")
    for number in range(1, 10):
        assert f"seat {number} of 9" in await decide(casey, f"Applicant {number:02d}", "Accept")
    refused = await decide(casey, "Applicant 10", "Accept")
    assert "All 9 seats are taken" in refused and "Nothing was changed" in refused
    assert await status_of(db, emails[9]) == "submitted"
    assert "waitlisted" in await decide(casey, "Applicant 10", "Waitlist")
    assert "declined" in await decide(casey, "Applicant 11", "Decline", note="We had many strong applications.")

    freed = await decide(casey, "Applicant 03", "Decline")
    assert "A seat is free. On the waitlist: Applicant 10" in freed
    assert "seat 3 of 9" in await decide(casey, "Applicant 10", "Accept")
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Seat))).scalar_one() == 9
    declined = await chat(emails[10]).say("status")
    assert "not accepted this time" in declined and "We had many strong applications." in declined
    waitlisted_then_accepted = await chat(emails[9]).say("status")
    assert waitlisted_then_accepted.index("on the waitlist") < waitlisted_then_accepted.index("Good news")
    assert await status_of(db, emails[2]) == "declined"


async def test_two_coordinators_racing_for_the_last_seat_get_exactly_one(db, catalog, engine):
    await submit_applications(db, AAHSL, 10)
    first = Chat(engine, "coordinator@demo.example")
    for number in range(1, 9):
        await decide(first, f"Applicant {number:02d}", "Accept")
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(AAHSL))).scalar_one()
        session.add(
            Membership(
                cohort_id=cohort.id,
                person_id=(await _person(session, "coach2@demo.example")).id,
                role="coordinator",
                created_at=FIXED_NOW,
            )
        )
    second = Chat(Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW), "coach2@demo.example")
    for chat_, name in ((first, "Applicant 09"), (second, "Applicant 10")):
        await chat_.say("review aahsl")
        await chat_.click(f"{name}:")
        await chat_.click("Accept")
    turns = (first.click("Send without a note"), second.click("Send without a note"))
    if db.is_sqlite:  # one writer at a time: the turns run one after the other
        answers = await asyncio.gather(*turns)
    else:  # both wait to insert their seat, having read the same free number: the key decides
        lock = "SELECT id FROM cohorts WHERE program_id = :program FOR UPDATE"
        answers = await through_one_gate(db, lock, {"program": AAHSL}, *turns)
    assert sum("seat 9 of 9" in answer for answer in answers) == 1
    assert sum("All 9 seats are taken" in answer for answer in answers) == 1
    async with db.transaction() as session:
        accepted = select(func.count()).select_from(Application).where(Application.status == "accepted")
        assert (await session.execute(accepted)).scalar_one() == 9


async def _person(session, email: str) -> Person:
    return (await session.execute(select(Person).where(Person.email == email))).scalar_one()


async def test_a_decision_on_a_withdrawn_application_changes_nothing(chat, db):
    [email] = await submit_applications(db, AAHSL, 1)
    casey = chat("coordinator@demo.example")
    await casey.say("review aahsl")
    await casey.click("Applicant 01:")
    applicant = chat(email)
    await applicant.say("withdraw")
    await applicant.click("Yes, withdraw")
    answer = await casey.click("Accept")
    assert "That application is withdrawn, so there is nothing to decide" in answer
    assert await status_of(db, email) == "withdrawn"


async def test_accepted_names_are_announced_to_the_cohort_after_a_preview(chat, db):
    await submit_applications(db, AAHSL, 2)
    casey = chat("coordinator@demo.example")
    await decide(casey, "Applicant 01", "Accept")
    await decide(casey, "Applicant 02", "Accept")
    preview = await casey.say("review announce")
    assert "Preview: AAHSL Demo 2026-27: welcome to the new cohort" in preview
    assert "Applicant 01" in preview and "Applicant 02" in preview
    async with db.transaction() as session:
        cohort_members = (
            select(func.count(func.distinct(Membership.person_id))).join(Cohort).where(Cohort.program_id == AAHSL)
        )
        members = (await session.execute(cohort_members)).scalar_one()
    assert f"Send to {members} people" in preview
    assert f"on their way to {members} people" in await casey.click("Send to")
    async with db.transaction() as session:
        sent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "announcement")
        assert (await session.execute(sent)).scalar_one() == members
    assert "please welcome the participants" in (await chat("coach@demo.example").say("help")).lower()


async def test_programs_that_do_not_announce_names_say_so(chat):
    answer = await chat("coordinator@demo.example").say("review announce alcts")
    assert "do not announce accepted names" in answer
