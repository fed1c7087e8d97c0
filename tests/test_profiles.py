"""Coach and mentor profiles: the `profile` conversation, bad input, a profile filled from an accepted
application, and matching that reads profiles (shared interests, capacity)."""

from datetime import date

from sqlalchemy import select

from bot.demo import running_cohort
from bot.identity import get_or_create_person
from bot.network import create_cohort
from bot.programs import ProgramCatalog
from storage.db import Database
from storage.models import Application, Cohort, Membership, Pair, Person, Profile
from tests.conftest import FIXED_NOW

AAHSL, IATUL = "aahsl-coaching-pilot", "iatul-sig-alice"
CORA = "coach@demo.example"


async def profile_row(db: Database, email: str) -> Profile | None:
    async with db.transaction() as session:
        query = select(Profile).join(Person, Person.id == Profile.person_id).where(Person.email == email)
        return (await session.execute(query)).scalar_one_or_none()


async def person_zone(db: Database, email: str) -> str | None:
    async with db.transaction() as session:
        return (await session.execute(select(Person.timezone).where(Person.email == email))).scalar_one()


# The conversation


async def test_a_coach_sees_their_profile_and_changes_expertise_with_a_button(chat, db):
    cora = chat(CORA)
    shown = await cora.say("profile")
    assert "Your profile" in shown and "Expertise: (not given)" in shown
    assert "People you take: the program's default (3 in the AAHSL coaching pilot" in shown
    assert "Time zone: Eastern Time" in shown
    asked = await cora.click("Change expertise")
    assert "What do you offer as a coach or mentor?" in asked
    done = await cora.say("Leadership development, change management and difficult conversations")
    assert "Done: your profile now says Expertise: Leadership development, change management" in done
    profile = await profile_row(db, CORA)
    assert profile is not None and profile.expertise.startswith("Leadership development")
    assert profile.languages == [] and profile.capacity is None
    again = await cora.say("profile")
    assert "Expertise: Leadership development, change management and difficult conversations" in again


async def test_one_line_forms_set_languages_capacity_interests_and_time_zone(chat, db):
    cora = chat(CORA)
    assert "Done: your profile now says Languages: English, khmer" in await cora.say(
        "profile languages English, khmer; KHMER"
    )
    assert "Done: your profile now says People you take: 2" in await cora.say("profile capacity 2")
    assert "Done: your profile now says Interests: budgeting" in await cora.say("profile interests   budgeting ")
    assert "now Asia/Phnom_Penh (Phnom Penh time)" in await cora.say("profile timezone Phnom Penh")
    profile = await profile_row(db, CORA)
    assert profile is not None
    assert (profile.languages, profile.capacity, profile.interests) == (["English", "khmer"], 2, "budgeting")
    assert await person_zone(db, CORA) == "Asia/Phnom_Penh"
    shown = await cora.say("profile")
    assert "Languages: English, khmer" in shown and "People you take: 2" in shown


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(chat, db):
    cora = chat(CORA)
    await cora.say("profile capacity 3")
    for typed, answer in (
        ("profile capacity 0", "a whole number from 1 to 20; `0` is not"),
        ("profile capacity 21", "a whole number from 1 to 20; `21` is not"),
        ("profile capacity lots", "`lots` is not"),
        ("profile capacity 99999999999999999999", "a whole number from 1 to 20"),
        ("profile capacity -2", "`-2` is not"),
        ("profile expertise " + "x" * 501, "at most 500 characters; that was 501"),
        ("profile languages , ;", "Please type the languages you work in"),
        ("profile languages " + "y" * 41, "too long for a language's name"),
        ("profile wings big", "not `wings`"),
        ("profile timezone Atlantis", "I don't know the time zone `Atlantis`"),
    ):
        reply = await cora.say(typed)
        assert answer in reply, typed
        assert "Nothing was changed" in reply, typed
    profile = await profile_row(db, CORA)
    assert profile is not None
    assert (profile.capacity, profile.expertise, profile.languages) == (3, "", [])
    assert await person_zone(db, CORA) == "America/New_York"


async def test_a_refused_answer_keeps_the_question_open(chat, db):
    cora = chat(CORA)
    await cora.say("profile")
    await cora.click("Change capacity")
    assert "`twenty-one` is not" in await cora.say("twenty-one")
    assert "Done: your profile now says People you take: 4" in await cora.say("4")
    profile = await profile_row(db, CORA)
    assert profile is not None and profile.capacity == 4


async def test_a_participant_is_told_what_matching_reads_about_them(chat, db):
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(IATUL))).scalar_one()
        person = await get_or_create_person(session, "vanna@library.example.kh", "Vanna", "Asia/Phnom_Penh", FIXED_NOW)
        await session.flush()
        session.add(Membership(cohort_id=cohort.id, person_id=person.id, role="partner", created_at=FIXED_NOW))
        session.add(application(cohort.id, person.id, "partner", {"objective": "Library facilities and spaces"}))
    answer = await chat("vanna@library.example.kh").say("profile")
    assert "Profiles are for coaches and mentors" in answer
    assert "Which one objective would you like the coaching to work towards? Library facilities and spaces" in answer
    assert await profile_row(db, "vanna@library.example.kh") is None
    refused = await chat("vanna@library.example.kh").say("profile capacity 5")
    assert "Profiles are for coaches and mentors" in refused
    assert await profile_row(db, "vanna@library.example.kh") is None
    assert "You don't need one" in await chat("participant2@demo.example").say("profile")


# Filled from an application


def application(cohort_id: int, person_id: int, role: str, answers: dict[str, str], status: str = "accepted"):  # type: ignore[no-untyped-def]
    return Application(
        cohort_id=cohort_id,
        person_id=person_id,
        status=status,
        roles=[role],
        answers=answers,
        materials={},
        submitted_at=FIXED_NOW,
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
    )


async def test_accepting_a_coachs_application_fills_their_profile_once(chat, db):
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(IATUL))).scalar_one()
        for email, name in (("kim@coach.example", "Kim Coach"), ("lou@coach.example", "Lou Coach")):
            person = await get_or_create_person(session, email, name, "Europe/Paris", FIXED_NOW)
            await session.flush()
            answers = {"expertise": "Strategic planning and   staff training", "capacity": "2"}
            session.add(application(cohort.id, person.id, "coach", answers, status="submitted"))
        lou = (await session.execute(select(Person).where(Person.email == "lou@coach.example"))).scalar_one()
        session.add(
            Profile(person_id=lou.id, expertise="Archives", interests="", languages=["French"], updated_at=FIXED_NOW)
        )
    casey = chat("coordinator@demo.example")
    for name in ("Kim Coach", "Lou Coach"):
        await casey.say("review iatul")
        await casey.click(f"{name}:")
        await casey.click("Accept")
        assert f"Done: {name} is accepted" in await casey.click("Send without a note")
    kim = await profile_row(db, "kim@coach.example")
    assert kim is not None
    assert (kim.expertise, kim.interests, kim.languages, kim.capacity) == (
        "Strategic planning and staff training",
        "",
        [],
        2,
    )
    lou = await profile_row(db, "lou@coach.example")
    assert lou is not None and (lou.expertise, lou.languages, lou.capacity) == ("Archives", ["French"], None)
    assert "Expertise: Strategic planning and staff training" in await chat("kim@coach.example").say("profile")


# Matching reads profiles


COACHES = (  # email, name, zone, expertise, interests, capacity
    ("ada@coach.example", "Ada Coach", "America/Chicago", "Leadership and change management", "mentoring", 1),
    ("ben@coach.example", "Ben Coach", "America/Chicago", "Budgets, grants and fundraising", "data", None),
)
PARTICIPANTS = (  # email, name, goals statement
    ("pia@example.org", "Pia Participant", "I want to grow my leadership during organisational change."),
    ("quinn@example.org", "Quinn Participant", "Budgets and grants: writing my first grant proposals."),
    ("ray@example.org", "Ray Participant", "Leadership of a new team through change."),
)


async def fresh_aahsl_cohort(db: Database, catalog: ProgramCatalog) -> Cohort:
    """A new AAHSL cohort: enrolled coaches with a profile and no application (as `enrol` leaves them), and
    accepted participants with a goals statement."""
    async with db.transaction() as session:
        cohort = await create_cohort(session, catalog.get(AAHSL), date(2027, 1, 4), FIXED_NOW)
        await session.flush()
        for email, name, zone, expertise, interests, capacity in COACHES:
            person = await get_or_create_person(session, email, name, zone, FIXED_NOW)
            await session.flush()
            session.add(
                Membership(cohort_id=cohort.id, person_id=person.id, role="coach", enrolled=True, created_at=FIXED_NOW)
            )
            session.add(
                Profile(
                    person_id=person.id,
                    expertise=expertise,
                    interests=interests,
                    languages=["English"],
                    capacity=capacity,
                    updated_at=FIXED_NOW,
                )
            )
        for email, name, goals in PARTICIPANTS:
            person = await get_or_create_person(session, email, name, "America/Chicago", FIXED_NOW)
            await session.flush()
            session.add(Membership(cohort_id=cohort.id, person_id=person.id, role="participant", created_at=FIXED_NOW))
            accepted = application(cohort.id, person.id, "participant", {})
            accepted.materials = {"goals_statement": {"text": goals, "done": True}}
            session.add(accepted)
        return cohort


async def test_matching_explains_proposals_with_the_coaches_profiles(chat, db, catalog):
    cohort = await fresh_aahsl_cohort(db, catalog)
    casey = chat("coordinator@demo.example")
    await casey.say("match aahsl")
    proposals = await casey.click(f"AAHSL {cohort.name}")
    assert "Ray Participant with Ada Coach: score 63 (shared interests: leadership, change;" in proposals
    assert "Quinn Participant with Ben Coach: score 50 (shared interests: budgets, grants;" in proposals
    # Ada takes one person (her profile says so): Ray shares two of his three words, Pia two of her four,
    # so Pia goes to Ben, with whom she shares nothing, and the proposal says so.
    assert "Pia Participant with Ben Coach: score 30 (no shared interests;" in proposals
    await casey.click("Confirm these pairs")
    async with db.transaction() as session:
        made = (await session.execute(select(Pair).where(Pair.cohort_id == cohort.id))).scalars().all()
    assert len(made) == 3


async def test_a_coach_without_a_profile_capacity_takes_the_programs_default(chat, db, catalog):
    cohort = await fresh_aahsl_cohort(db, catalog)
    async with db.transaction() as session:
        ada = (await session.execute(select(Person).where(Person.email == "ada@coach.example"))).scalar_one()
        (await session.get_one(Profile, ada.id)).capacity = None  # AAHSL's default: 3
    casey = chat("coordinator@demo.example")
    await casey.say("match aahsl")
    proposals = await casey.click(f"AAHSL {cohort.name}")
    assert "Pia Participant with Ada Coach" in proposals and "Ray Participant with Ada Coach" in proposals
    assert "Quinn Participant with Ben Coach" in proposals
