"""Coordinators announce to a cohort or one role in it, after a preview; `announce status` counts delivery."""

from sqlalchemy import select

from storage.models import OutboxMessage, Person


async def announced_to(db) -> set[str]:
    async with db.transaction() as session:
        query = select(Person.email).join(OutboxMessage, OutboxMessage.person_id == Person.id)
        return set((await session.execute(query.where(OutboxMessage.kind == "announcement"))).scalars())


async def test_an_announcement_to_the_coaches_of_a_cohort_after_a_preview(chat, db):
    casey = chat("coordinator@demo.example")
    await casey.say("announce")
    await casey.click("SIG-ALICE Demo 2026-27")
    await casey.click("The coaches")
    asked = await casey.say("Help us welcome our new partners at the kick-off call on Friday.")
    assert "Preview: SIG-ALICE coaching: from Casey Coordinator" in asked  # "Help ..." is the message, not help
    assert "Send this to 2 people, the coaches of the SIG-ALICE Demo 2026-27 cohort?" in asked
    assert await announced_to(db) == set()
    assert "Sent to 2 people" in await casey.click("Send to 2 people")
    assert await announced_to(db) == {"coach@demo.example", "coach2@demo.example"}
    assert "Help us welcome our new partners" in await chat("coach2@demo.example").say("status")
    status = await casey.say("announce status")
    assert "SIG-ALICE Demo 2026-27, the coaches: 1 delivered, 1 pending, 0 failed" in status


async def test_everyone_in_a_cohort_gets_it_once(chat, db):
    casey = chat("coordinator@demo.example")
    await casey.say("announce")
    await casey.click("ALCTS Demo 2026-27")
    await casey.click("Everyone")
    await casey.say("The mid-way survey opens next week.")
    await casey.click("Send to")
    assert await announced_to(db) == {"coach@demo.example", "participant@demo.example"}


async def test_only_coordinators_announce_and_a_cancelled_one_sends_nothing(chat, db):
    assert "Only a coordinator can use `announce`" in await chat("coach@demo.example").say("announce")
    casey = chat("coordinator@demo.example")
    await casey.say("announce")
    await casey.click("AAHSL Demo 2026-27")
    await casey.click("Everyone")
    await casey.say("Draft that should not go out.")
    assert "nothing was sent" in await casey.click("Don't send")
    assert await announced_to(db) == set()
