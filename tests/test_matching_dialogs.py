"""Matching, pairing changes by mutual consent, and assessments, as conversations through the engine."""

from sqlalchemy import func, inspect, select

from bot.demo import running_cohort
from bot.identity import get_or_create_person
from storage.db import Database
from storage.models import Application, Assessment, Cohort, Membership, OutboxMessage, Pair, Person
from tests.conftest import FIXED_NOW

AAHSL, IATUL, ALCTS = "aahsl-coaching-pilot", "iatul-sig-alice", "alcts-mentoring"


async def accepted(db: Database, program_id: str, email: str, name: str, role: str, zone: str, **answers: str) -> None:
    """An accepted applicant with their cohort role, as review leaves them (test data)."""
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(program_id))).scalar_one()
        person = await get_or_create_person(session, email, name, zone, FIXED_NOW)
        await session.flush()
        session.add(Membership(cohort_id=cohort.id, person_id=person.id, role=role, created_at=FIXED_NOW))
        session.add(
            Application(
                cohort_id=cohort.id,
                person_id=person.id,
                status="accepted",
                roles=[role],
                answers=answers,
                materials={},
                created_at=FIXED_NOW,
                updated_at=FIXED_NOW,
            )
        )


async def active_pairs(db: Database, program_id: str) -> set[tuple[str, str]]:
    async with db.transaction() as session:
        query = select(Pair).join(Cohort).where(Cohort.program_id == program_id, Pair.status == "active")
        pairs = (await session.execute(query)).scalars().all()
        names = {p.id: p.display_name for p in (await session.execute(select(Person))).scalars()}
    return {(names[p.guide_id], names[p.guided_id]) for p in pairs}


async def test_match_proposes_with_reasons_and_confirming_tells_both(chat, db):
    casey = chat("coordinator@demo.example")
    proposals = await casey.say("match aahsl")
    assert "Proposed pairs: AAHSL Demo 2026-27" in proposals
    assert "Dana Participant with Cora Coach: score" in proposals
    assert "working hours overlap between Eastern Time and Mountain Time" in proposals
    done = await casey.click("Confirm these pairs")
    assert "Done: 1 pair made in the AAHSL Demo 2026-27 cohort" in done
    assert ("Cora Coach", "Dana Participant") in await active_pairs(db, AAHSL)
    told = await chat("participant2@demo.example").say("partner")
    assert "Your coach in the Demo 2026-27 cohort of the AAHSL/NNLM coaching program for mid-level managers" in told
    assert "coach@demo.example" in told
    assert "To book your first session, type `book`" in told and "up to 6 sessions of 60 minutes" in told
    assert "Dana Participant" in await chat("coach@demo.example").say("help")
    assert "no one to match" in await casey.say("match aahsl")


async def test_matching_uses_what_applicants_wrote_not_arrival_order(chat, db):
    await accepted(
        db,
        IATUL,
        "sokunthea@library.example.kh",
        "Sokunthea",
        "partner",
        "Asia/Phnom_Penh",
        objective="Human resources and training needs",
    )
    await accepted(
        db,
        IATUL,
        "vanna@library.example.kh",
        "Vanna",
        "partner",
        "Asia/Phnom_Penh",
        objective="Library facilities and spaces",
    )
    await accepted(
        db,
        IATUL,
        "ines@university.example",
        "Ines Coach",
        "coach",
        "Europe/Berlin",
        expertise="renovating library facilities, learning spaces and buildings",
    )
    await accepted(
        db,
        IATUL,
        "tom@university.example",
        "Tom Coach",
        "coach",
        "Australia/Sydney",
        expertise="human resources, staff training needs and workforce planning",
    )
    proposals = await chat("coordinator@demo.example").say("match iatul")
    assert "Sokunthea with Tom Coach" in proposals and "Vanna with Ines Coach" in proposals
    assert "shared interests: facilities, spaces" in proposals


async def test_swap_and_pin_keep_the_coordinators_choice(chat, db):
    await accepted(db, AAHSL, "ana@example.org", "Ana Applicant", "participant", "Europe/London")
    casey = chat("coordinator@demo.example")
    first = await casey.say("match aahsl")
    assert "Ana Applicant with Lee Coach" in first and "Dana Participant with Cora Coach" in first
    await casey.click("Swap two")
    await casey.click("Ana Applicant")
    swapped = await casey.click("Dana Participant")
    assert "Ana Applicant with Cora Coach (pinned)" in swapped
    assert "Dana Participant with Lee Coach (pinned)" in swapped
    await casey.click("Confirm these pairs")
    pairs = await active_pairs(db, AAHSL)
    assert {("Cora Coach", "Ana Applicant"), ("Lee Coach", "Dana Participant")} <= pairs


async def test_pinning_one_pair_reoptimises_the_rest(chat, db):
    await accepted(db, AAHSL, "ana@example.org", "Ana Applicant", "participant", "Europe/London")
    casey = chat("coordinator@demo.example")
    await casey.say("match aahsl")
    await casey.click("Pin one")
    pinned = await casey.click("Dana Participant")
    assert "Dana Participant with Cora Coach (pinned)" in pinned
    assert "Ana Applicant with Lee Coach:" in pinned


async def test_a_coach_at_capacity_gets_no_more(chat, db):
    await accepted(
        db,
        IATUL,
        "dara2@library.example.kh",
        "Dara Two",
        "partner",
        "Asia/Phnom_Penh",
        objective="Library advocacy and/or services",
    )
    answer = await chat("coordinator@demo.example").say("match iatul")
    assert "I can't propose any pair" in answer and "no coach has a free place" in answer


async def test_only_coordinators_match(chat, db):
    answer = await chat("coach@demo.example").say("match")
    assert "Only a coordinator can use `match`" in answer
    assert await active_pairs(db, AAHSL) == {("Cora Coach", "Pat Participant")}


async def test_a_pairing_ends_by_mutual_consent_and_history_is_kept(chat, db):
    pat, cora = chat("participant@demo.example"), chat("coach@demo.example")
    await pat.say("partner")
    await pat.click("Ask to end the pairing with Cora Coach")  # ALCTS: a mentee may ask
    assert "I asked Cora Coach" in await pat.click("Yes, ask them")
    assert "already asked" in (await pat.say("partner") and await pat.click("Ask to end the pairing with Cora"))
    asked = await cora.say("help")
    assert "Pat Participant asks to end your pairing in the ALCTS Demo 2026-27 cohort" in asked
    assert "Done: your pairing with Pat Participant has ended" in await cora.click("I agree")
    assert ("Cora Coach", "Pat Participant") not in await active_pairs(db, ALCTS)
    history = await pat.say("partner")
    assert "agreed: your pairing in the ALCTS mentoring has ended" in history
    assert "Earlier, in the ALCTS mentoring: Cora Coach (ended 23 November 2026, mutual consent)" in history
    coordinator = await chat("coordinator@demo.example").say("match alcts")
    assert "ended their pairing in the ALCTS Demo 2026-27 cohort by mutual consent" in coordinator
    assert "no mentor has a free place" in coordinator  # the same pair is not proposed again


async def test_the_other_side_can_decline_and_the_pairing_continues(chat, db):
    pat, cora = chat("participant@demo.example"), chat("coach@demo.example")
    await pat.say("partner")
    await pat.click("Ask to end the pairing with Cora Coach")
    await pat.click("Yes, ask them")
    await cora.say("help")
    assert "your pairing with Pat Participant continues" in await cora.click("I would like to continue")
    assert "would like to continue your pairing" in await pat.say("help")
    assert ("Cora Coach", "Pat Participant") in await active_pairs(db, ALCTS)


async def test_programs_without_consent_changes_send_people_to_the_coordinators(chat, db):
    partner = chat("partner@demo.example")
    shown = await partner.say("partner")
    assert "your coach is Cora Coach" in shown and "Ask to end" not in shown


async def test_assessments_coordinators_see_choices_and_completion_never_results(chat, db):
    pat = chat("participant@demo.example")
    offered = await pat.say("assessment")
    assert [b.label for b in pat.console.buttons] == ["DiSC", "Myers-Briggs", "EQi-2.0", "CliftonStrengths", "TKI"]
    assert "Which development assessment" in offered
    assert "you will take the CliftonStrengths assessment" in await pat.click("CliftonStrengths")
    casey = chat("coordinator@demo.example")
    overview = await casey.say("assessment")
    assert "Pat Participant: CliftonStrengths, not completed yet" in overview
    assert "Dana Participant: not chosen yet" in overview and "1 of 2 have chosen, 0 have completed" in overview
    await pat.say("assessment")
    await pat.click("I have completed it")
    assert "Pat Participant: CliftonStrengths, completed" in await casey.say("assessment")
    columns = {column.name for column in inspect(Assessment).columns}
    assert columns == {"id", "cohort_id", "person_id", "instrument", "chosen_at", "completed_at"}


async def test_a_person_cannot_choose_for_a_cohort_they_are_not_in(chat, db):
    partner = chat("partner@demo.example")
    answer = await partner.say("assessment")
    assert "you have none to choose" in answer
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Assessment))).scalar_one() == 0
        assert (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one() == 0
