"""A failed delivery is reported with the announcement it belonged to and the reason in words (issue 16
point 5): the coordinators' notice and `announce status`, through the engine with the controlled clock."""

from sqlalchemy import select

from bot.outbox.notices import report_failure
from bot.outbox.reasons import REASON_WORDS, reason_words
from storage.models import OutboxMessage, Person

CASEY = "coordinator@demo.example"  # America/Chicago: FIXED_NOW (15:00 UTC) is 09:00 for Casey
ANNOUNCED = "The kick-off call moves to Friday; bring your questions."


async def fail_delivery_to(db, email: str, error: str) -> None:
    """What the outbox does when a platform refuses a message for good: mark it failed and tell."""
    async with db.transaction() as session:
        query = select(OutboxMessage).join(Person, Person.id == OutboxMessage.person_id)
        message = (await session.execute(query.where(Person.email == email))).scalar_one()
        message.status, message.error, message.platform = "failed", error, "slack"
        await report_failure(session, message, "slack", message.created_at)


async def notices_to(db, email: str) -> list[str]:
    async with db.transaction() as session:
        query = select(OutboxMessage.reply).join(Person, Person.id == OutboxMessage.person_id)
        query = query.where(Person.email == email, OutboxMessage.kind == "delivery-failure")
        return [reply["text"] for reply in (await session.execute(query)).scalars()]


async def test_the_notice_names_the_announcement_and_says_why_in_words(chat, db):
    casey = chat(CASEY)
    await casey.say("announce")
    await casey.click("SIG-ALICE Demo 2026-27")
    await casey.click("The coaches")
    await casey.say(ANNOUNCED)
    await casey.click("Send to 2 people")
    await fail_delivery_to(db, "coach2@demo.example", "account_inactive")
    [notice] = await notices_to(db, CASEY)
    assert notice.startswith(
        'I could not deliver the announcement "SIG-ALICE coaching: from Casey Coordinator" of Mon 23 Nov, 09:00 '
        "Central Time to Demo 2026-27 to "
    )
    assert notice.endswith("on Slack: their Slack account is deactivated. Please reach them another way.")
    assert "account_inactive" not in notice and "kick-off" not in notice  # the code's words, never the text
    status = await casey.say("announce status")
    assert "the coaches: 0 delivered, 1 pending, 1 failed" in status
    assert ": their Slack account is deactivated" in status and "Not delivered to " in status


def test_every_code_we_name_reads_as_words():
    assert reason_words("channel_not_found") == "Slack cannot find their chat with the assistant"
    assert reason_words("bot blocked or removed") == "they blocked or removed the assistant in Teams"
    assert reason_words("http_503") == "the platform was unavailable"
    assert reason_words("some_new_code") == "the platform refused it, with the code some_new_code"
    assert all(words and "_" not in words and "(" not in words for words in REASON_WORDS.values())
