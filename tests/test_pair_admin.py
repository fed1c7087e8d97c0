"""Coordinators end, move, pause and resume pairs (`pair`), as conversations through the engine."""

from datetime import date, timedelta

from sqlalchemy import select

from bot.booking import book, pair_info
from bot.demo import running_cohort
from storage.db import Database
from storage.models import CoachingSession, OutboxMessage, Pair, Person
from tests.conftest import FIXED_NOW

AAHSL, IATUL = "aahsl-coaching-pilot", "iatul-sig-alice"
CASEY = "coordinator@demo.example"


async def pair_of(db: Database, program_id: str, guided_email: str, status: str = "active") -> Pair:
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(program_id))).scalar_one()
        guided = (await session.execute(select(Person).where(Person.email == guided_email))).scalar_one()
        query = select(Pair).where(Pair.cohort_id == cohort.id, Pair.guided_id == guided.id, Pair.status == status)
        return (await session.execute(query)).scalars().one()


async def told(db: Database, email: str, kind: str = "pair-change") -> list[str]:
    async with db.transaction() as session:
        query = (
            select(OutboxMessage.reply)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.email == email, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return [" ".join([r["text"], *r.get("lines", [])]) for r in (await session.execute(query)).scalars()]


async def booked_session(db: Database, catalog, program_id: str, guided_email: str, days: int) -> int:  # type: ignore[no-untyped-def]
    pair = await pair_of(db, program_id, guided_email)
    async with db.transaction() as session:
        info = await pair_info(session, pair.id, catalog)
        assert info is not None
        start = (FIXED_NOW + timedelta(days=days)).replace(hour=15, minute=0)
        row = await book(session, info, start, info.guide, FIXED_NOW)
        assert row is not None
        return row.id


async def test_end_cancels_future_sessions_tells_both_without_the_reason_and_keeps_history(chat, db, catalog):
    session_id = await booked_session(db, catalog, AAHSL, "participant@demo.example", 3)
    casey = chat(CASEY)
    several = await casey.say("pair end participant@demo.example")
    assert "Several pairs match" in several
    reasons = await casey.click("AAHSL coaching pilot: Pat Participant / Cora Coach")
    assert "Why does this pair end?" in reasons and "Schedules do not work" in reasons
    preview = await casey.click("Not a good fit")
    assert "End the pairing of Pat Participant with their coach Cora Coach" in preview and "not why" in preview
    done = await casey.click("Confirm")
    assert "Ended: Pat Participant with their coach Cora Coach" in done
    pair = await pair_of(db, AAHSL, "participant@demo.example", status="ended")
    assert pair.end_reason == "not_a_good_fit" and pair.ended_at == FIXED_NOW
    async with db.transaction() as session:
        row = await session.get_one(CoachingSession, session_id)
        assert (row.status, row.sequence) == ("cancelled", 1)
        pending = select(OutboxMessage).where(OutboxMessage.ref == f"session:{session_id}")
        assert not [
            m for m in (await session.execute(pending)).scalars() if m.status == "pending" and m.kind == "reminder"
        ]
    for email in ("participant@demo.example", "coach@demo.example"):
        (message,) = await told(db, email)
        assert "have ended your pairing" in message and "Calendar (cancels the event)" in message
        assert "good fit" not in message
    history = await chat("participant@demo.example").say("partner")
    assert "Earlier, in the AAHSL" in history and "ended by the coordinators" in history and "fit" not in history
    proposals = await casey.say("match aahsl")
    assert "Pat Participant with Cora Coach" not in proposals


async def test_neutral_reason_is_told(chat, db):
    casey = chat(CASEY)
    await casey.say("pair end Sokha")
    typed = await casey.say("he never answers")  # a reason is never typed
    assert "Please choose from the buttons" in typed
    assert (await pair_of(db, IATUL, "partner@demo.example")).status == "active"
    await casey.say("pair end Sokha")
    await casey.click("Goals reached early")
    await casey.click("Confirm")
    (message,) = await told(db, "partner@demo.example")
    assert "the goals were reached early" in message


async def test_move_to_a_coach_with_room_and_refusals(chat, db):
    casey = chat(CASEY)
    full = await casey.say("pair move Sokha to Lee")
    assert "Lee Coach is at capacity: all 1 of their places are taken. Nothing changed." in full
    own = await casey.say("pair move Sokha to Cora")
    assert "Cora Coach is already Sokha Partner's coach" in own
    await casey.say("pair move participant2@demo.example to Cora")  # Dana is not paired: no pair found
    assert "I find no active pair" in casey.shown[0]
    await casey.say("pair move Pat to Lee")
    reasons = await casey.click("AAHSL coaching pilot: Pat Participant / Cora Coach")
    assert "Why does Pat Participant move to Lee Coach?" in reasons
    preview = await casey.click("Schedules do not work")
    assert "Move Pat Participant from Cora Coach to Lee Coach" in preview
    assert "Moved: Pat Participant now works with Lee Coach" in await casey.click("Confirm")
    old = await pair_of(db, AAHSL, "participant@demo.example", status="ended")
    new = await pair_of(db, AAHSL, "participant@demo.example")
    assert old.end_reason == "moved_schedules" and new.guide_id != old.guide_id
    assert "paired you with a new coach: *Lee Coach*" in (await told(db, "participant@demo.example"))[0]
    assert "paired Pat Participant with another coach" in (await told(db, "coach@demo.example"))[0]
    assert "paired you with *Pat Participant*" in (await told(db, "coach2@demo.example"))[0]
    back = await casey.say("pair move Pat to Cora")
    choice = await casey.click("AAHSL coaching pilot: Pat Participant / Lee Coach")
    assert "Several pairs match" in back and "was Pat Participant's coach before" in choice
    assert "Nothing changed" in choice


async def test_pause_refuses_bad_days_then_pauses_and_resumes(chat, db, catalog):
    near = await booked_session(db, catalog, IATUL, "partner@demo.example", 3)
    casey = chat(CASEY)
    for typed, answer in (
        ("pair pause Sokha until 2026-11-20", "is not after today"),
        ("pair pause Sokha until 2026-02-30", "is not a day of the calendar"),
        ("pair pause Sokha until 2026-11-23", "is not after today"),
        ("pair pause Sokha until 2028-12-01", "more than a year ahead"),
        ("pair pause Sokha until someday soon", "couldn't read"),
        ("pair pause Sokha", "pair pause NAME until DATE"),
    ):
        assert answer in await casey.say(typed), typed
    pair = await pair_of(db, IATUL, "partner@demo.example")
    assert pair.paused_until is None
    reasons = await casey.say("pair pause Sokha until 2026-12-10")
    assert "paused until 10 December 2026" in reasons
    await casey.click("Illness")
    assert "Paused until 10 December 2026" in await casey.click("Confirm")
    pair = await pair_of(db, IATUL, "partner@demo.example")
    assert (pair.paused_until, pair.pause_reason) == (date(2026, 12, 10), "illness")
    async with db.transaction() as session:
        assert (await session.get_one(CoachingSession, near)).status == "cancelled"
    message = (await told(db, "partner@demo.example"))[0]
    assert "paused your pairing with Cora Coach until 10 December 2026" in message and "illness" not in message
    refused = await chat("partner@demo.example").say("book 2026-12-01 10:00")
    assert "paused this pairing until 10 December 2026" in refused
    listing = await casey.say("pair")
    await casey.click("SIG-ALICE Demo 2026-27")
    assert "(paused until 10 December 2026)" in casey.shown[0] + "\n".join(casey.shown)
    assert "Sokha Partner with Cora Coach" in "\n".join(casey.shown) and listing
    await casey.say("pair resume Sokha")
    assert "Resumed" in await casey.click("Confirm")
    assert (await pair_of(db, IATUL, "partner@demo.example")).paused_until == date(2026, 11, 22)  # yesterday: over
    assert "resumed your pairing" in (await told(db, "coach@demo.example"))[-1]


async def test_only_coordinators_and_forged_buttons(chat, db):
    assert "Ended" not in await chat("coach@demo.example").say("pair end Sokha")
    casey = chat(CASEY)
    forged = await casey.say("pair end 99999999999999999999")
    assert "I find no active pair" in forged
    async with db.transaction() as session:
        statuses = set((await session.execute(select(Pair.status))).scalars())
    assert statuses == {"active"}
