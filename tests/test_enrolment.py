"""`enrol EMAIL as ROLE [COHORT]` (coordinators), as conversations through the engine: a coach under
contract who never applies is enrolled, told through the outbox, and then has places in `match`; each bad
input gets a specific answer and writes nothing."""

from datetime import timedelta

from sqlalchemy import func, select

from adapters.console import ConsoleDirectory
from bot.demo import next_cohort
from bot.messages import Inbound
from storage.db import Database
from storage.models import Membership, OutboxMessage, Person, Profile
from tests.conftest import FIXED_NOW

AAHSL = "aahsl-coaching-pilot"


async def counts(db: Database) -> tuple[int, int, int, int]:
    async with db.transaction() as session:
        found = []
        for model in (Person, Membership, OutboxMessage, Profile):
            found.append((await session.execute(select(func.count()).select_from(model))).scalar_one())
    return tuple(found)  # type: ignore[return-value]


async def test_a_coordinator_enrols_a_new_coach_who_is_told(chat, db):
    casey = chat("coordinator@demo.example")
    before = await counts(db)
    shown = await casey.say("enrol Lee.New@Lib.example.org as coach aahsl Demo 2027-28")
    assert "Enrol lee.new@lib.example.org as coach in the AAHSL" in shown and "Demo 2027-28" in shown
    assert "They are new here: I will call them lee.new" in shown
    assert await counts(db) == before  # a preview writes nothing
    done = await casey.click("Confirm")
    assert "Enrolled lee.new (lee.new@lib.example.org) as coach in the AAHSL" in done
    async with db.transaction() as session:
        cohort = (await session.execute(next_cohort(AAHSL))).scalar_one()
        person = (await session.execute(select(Person).where(Person.email == "lee.new@lib.example.org"))).scalar_one()
        member = (await session.execute(select(Membership).where(Membership.person_id == person.id))).scalar_one()
        notice = (await session.execute(select(OutboxMessage).where(OutboxMessage.person_id == person.id))).scalar_one()
    assert (member.cohort_id, member.role, member.enrolled, person.timezone) == (cohort.id, "coach", True, None)
    assert notice.kind == "enrolment"
    assert (
        "Casey Coordinator (coordinator@demo.example) added you to the Demo 2027-28 cohort of the AAHSL"
    ) in notice.reply["text"]
    assert "type `profile`" in notice.reply["text"] and "`help`" in notice.reply["text"]
    again = await casey.say("enrol lee.new@lib.example.org as coach aahsl Demo 2027-28")
    assert "lee.new@lib.example.org is already a coach in the AAHSL" in again and "Nothing was changed" in again


async def test_enrolled_people_are_matched_in_next_years_cohort(chat, db):
    casey = chat("coordinator@demo.example")
    for email, role in (("kim@lib.example.org", "coach"), ("ola@lib.example.org", "participant")):
        await casey.say(f"enrol {email} as {role} aahsl Demo 2027-28")
        assert "Enrolled" in await casey.click("Confirm")
    proposals = await casey.say("match aahsl")
    if "Which cohort" in proposals:
        proposals = await casey.click("AAHSL Demo 2027-28")
    assert "ola with" in proposals


async def test_bad_input_gets_a_specific_answer_and_writes_nothing(chat, db):
    casey = chat("coordinator@demo.example")
    before = await counts(db)
    assert "Only a coordinator can use `enrol`" in await chat("coach@demo.example").say(
        "enrol kim@lib.example.org as coach aahsl Demo 2027-28"
    )
    assert "`kim-at-lib` is not an email address" in await casey.say("enrol kim-at-lib as coach aahsl Demo 2027-28")
    unknown = await casey.say("enrol kim@lib.example.org as caoch aahsl Demo 2027-28")
    assert (
        "`caoch` is not a role there" in unknown and "AAHSL coaching pilot: coordinator, coach, participant" in unknown
    )
    assert "You coordinate no cohort called `Demo 1999`" in await casey.say(
        "enrol kim@lib.example.org as coach Demo 1999"
    )
    assert "To add someone who did not apply" in await casey.say("enrol kim@lib.example.org")
    assert await counts(db) == before


async def test_an_ended_cohort_refuses_enrolment(chat, db, engine):
    casey = chat("coordinator@demo.example")
    async with db.transaction() as session:
        cohort = (await session.execute(next_cohort(AAHSL))).scalar_one()
        cohort.ends_on = cohort.starts_on = FIXED_NOW.date() - timedelta(days=30)
    before = await counts(db)
    refused = await casey.say("enrol kim@lib.example.org as coach aahsl Demo 2027-28")
    assert "ended on" in refused and "no one more is enrolled in it" in refused
    assert await counts(db) == before


async def test_a_forged_confirm_for_a_cohort_not_coordinated_changes_nothing(chat, db, engine):
    nora = chat("northeast@demo.example")  # the network's Northeast coordinator, not AAHSL's
    before = await counts(db)
    shown = await nora.say("enrol kim@lib.example.org as mentor")
    assert "Enrol kim@lib.example.org as mentor" in shown or "Which cohort" in shown
    async with db.transaction() as session:
        aahsl = (await session.execute(next_cohort(AAHSL))).scalar_one()
    forged = Inbound("console", "northeast@demo.example", "console", action=f"enrol:confirm|{aahsl.id}")
    answer = await engine.handle(forged, ConsoleDirectory("northeast@demo.example"))
    assert "no longer open" in answer[0].text
    assert await counts(db) == before
