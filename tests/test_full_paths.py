"""Each program from the first `apply` to a confirmed pair, through the engine (the platform tests run the
same path over Slack and Teams payloads)."""

from sqlalchemy import select

from storage.models import Cohort, Pair, Person
from tests.conftest import Chat


async def accept(casey: Chat, program: str, name: str) -> None:
    await casey.say(f"review {program}")
    await casey.click(f"{name}:")
    await casey.click("Accept")
    assert f"{name} is accepted" in await casey.click("Send without a note")


async def paired(db, program_id: str, guide: str, guided: str) -> bool:
    async with db.transaction() as session:
        query = select(Pair.guide_id, Pair.guided_id).join(Cohort).where(Cohort.program_id == program_id)
        names = {p.id: p.email for p in (await session.execute(select(Person))).scalars()}
        return (guide, guided) in {(names[g], names[d]) for g, d in (await session.execute(query)).all()}


async def test_alcts_mentor_and_mentee_apply_are_accepted_and_matched(chat, db):
    mentor, mentee = chat("mentor@member.example"), chat("mentee@member.example")
    for person, role, interests in (
        (mentor, "Mentor", "Serials cataloguing, metadata standards and committee leadership"),
        (mentee, "Mentee", "I want to learn metadata standards and how to lead a committee"),
    ):
        await person.say("apply alcts")
        await person.click(role)
        await person.click("Yes")  # a member of ALCTS
        await person.click("Yes")  # one year, at least two hours
        assert "Please check your answers" in await person.say(interests)
        assert "Submitted!" in await person.click("Submit")
    casey = chat("coordinator@demo.example")
    await accept(casey, "alcts", "mentor")
    await accept(casey, "alcts", "mentee")
    proposals = await casey.say("match alcts")
    assert "mentee with mentor: score" in proposals and "shared interests: metadata, standards" in proposals
    await casey.click("Confirm these pairs")
    assert await paired(db, "alcts-mentoring", "mentor@member.example", "mentee@member.example")
    assert ("Your mentor in the Demo 2027-28 cohort of the ALCTS Mentoring Program is *mentor*") in await mentee.say(
        "partner"
    )


async def test_network_mentee_applies_is_accepted_and_matched_with_a_mentor(chat, db):
    cora = chat("coach@demo.example")  # a mentor this year, she applies for next year's Northeast cohort too
    await cora.say("apply network")
    await cora.click("Northeast")
    await cora.click("Mentor")
    await cora.click("Senior")
    await cora.say("Helping students find a first job in academic libraries")
    assert "Submitted!" in await cora.click("Submit")
    mentee = chat("student@lis.example.edu")
    await mentee.say("apply network")
    await mentee.click("Northeast")
    await mentee.click("Mentee")
    await mentee.click("Student")
    await mentee.say("Finding a first job in an academic library and building a professional network")
    await mentee.click("Submit")
    casey = chat("coordinator@demo.example")
    await accept(casey, "network", "Cora Coach")
    await accept(casey, "network", "student")
    proposals = await casey.say("match network")
    assert "student with Cora Coach" in proposals
    await casey.click("Confirm these pairs")
    assert await paired(db, "mentorship-coordinator-network", "coach@demo.example", "student@lis.example.edu")
    told = await chat("coach@demo.example").say("status")
    network = "Demo 2027-28 Northeast cohort of the Mentorship Coordinator Network for Librarians"
    assert f"Your mentee in the {network} is *student*" in told
