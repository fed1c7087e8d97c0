"""The buttons of a quiet pair's messages (dialogs/pair_quiet.py), through the engine: the other side's "All is
well" and "I can't reach them", the coordinators' "Contact the pair" and "Reassign". Each button is clicked
with the value the daily look really queued; forged and foreign clicks (someone else's pair, a coordinator of
another program, a huge or garbled id, an ended pair) are answered clearly and change nothing."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.console import ConsoleDirectory
from bot import quiet
from bot.messages import Inbound, Reply
from bot.outbox import reply_of
from storage.db import Database
from storage.models import OutboxMessage, Pair, Person, Profile
from tests.conftest import FIXED_NOW
from tests.test_quiet_pairs import CASEY, CORA, SOKHA, look, sokha_pair

DARA, LEE, NORA = "partner2@demo.example", "coach2@demo.example", "northeast@demo.example"
QUIET_AT = FIXED_NOW + timedelta(weeks=8)  # the SIG-ALICE coaching's quiet weeks, no session since the pairing


async def click_as(engine, email: str, value: str) -> str:  # type: ignore[no-untyped-def]
    """A click on a button value, as if the person had been shown it; the text of the answer."""
    return "\n".join(reply.plain_text() for reply in await replies_to(engine, email, value))


async def replies_to(engine, email: str, value: str) -> list[Reply]:  # type: ignore[no-untyped-def]
    return await engine.handle(Inbound("console", email, "console", action=value), ConsoleDirectory(email))


def buttons_of(replies: list[Reply]) -> dict[str, str]:
    return {button.label: button.value for reply in replies for button in reply.buttons}


async def quiet_buttons(db: Database, email: str) -> dict[str, str]:
    """The buttons (label: value) of the latest quiet-pair message queued for `email`."""
    async with db.transaction() as session:
        query = (
            select(OutboxMessage.reply)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.email == email, OutboxMessage.kind == quiet.KIND)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        reply = reply_of((await session.execute(query)).scalar_one())
    return {button.label: button.value for button in reply.buttons}


async def texts(db: Database, email: str, kind: str = quiet.KIND) -> list[str]:
    async with db.transaction() as session:
        query = (
            select(OutboxMessage.reply)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.email == email, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return [reply["text"] for reply in (await session.execute(query)).scalars()]


async def state(db: Database) -> tuple[Any, ...]:
    """What a click could change: the pairs and the number of queued messages."""
    async with db.transaction() as session:
        pairs = select(Pair.id, Pair.guide_id, Pair.status, Pair.quiet_flagged_on, Pair.paused_until)
        rows = sorted(tuple(row) for row in (await session.execute(pairs)).all())
        queued = (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
        return rows, queued


@pytest.fixture
async def flagged(db, engine, catalog) -> int:  # type: ignore[no-untyped-def]
    """Sokha and Cora's pair, flagged quiet by the daily look (both asked; Casey told); its id."""
    await look(db, catalog, QUIET_AT)  # the clicks come at the engine's FIXED_NOW: no other job falls due
    pair = await sokha_pair(db)
    assert pair.quiet_flagged_on == QUIET_AT.date()
    return pair.id


async def test_the_buttons_carry_the_pair(db, flagged):
    for email in (SOKHA, CORA):
        assert await quiet_buttons(db, email) == {
            "All is well": f"quiet:well|{flagged}",
            "I can't reach them": f"quiet:unreachable|{flagged}",
        }
    assert await quiet_buttons(db, CASEY) == {
        "Contact the pair": f"quiet:contact|{flagged}",
        "Reassign": f"pair:move|{flagged}|",
    }


async def test_all_is_well_tells_no_one(db, engine, flagged):
    before = await state(db)
    value = (await quiet_buttons(db, CORA))["All is well"]
    assert "Good to hear, thank you. I keep nothing else." in await click_as(engine, CORA, value)
    assert await state(db) == before  # nothing queued: the coordinators hear nothing more


async def test_cant_reach_them_tells_the_coordinators_not_the_partner(db, engine, flagged):
    value = (await quiet_buttons(db, SOKHA))["I can't reach them"]
    assert "I have told the coordinators, who will be in touch." in await click_as(engine, SOKHA, value)
    notice = (await texts(db, CASEY))[-1]
    assert "Sokha Partner with their coach Cora Coach. Why: Sokha Partner says they cannot reach Cora Coach." in notice
    assert await quiet_buttons(db, CASEY) == {
        "Contact the pair": f"quiet:contact|{flagged}",
        "Reassign": f"pair:move|{flagged}|",
    }
    assert not [t for t in await texts(db, CORA) if "says they cannot reach" in t]  # the partner is not told
    told = len(await texts(db, CASEY))
    again = await click_as(engine, SOKHA, value)  # a second click is not a second alarm
    assert "You told me already, and the coordinators have it" in again
    assert len(await texts(db, CASEY)) == told


async def test_contact_the_pair_sends_both_the_gentle_message(db, engine, flagged):
    value = (await quiet_buttons(db, CASEY))["Contact the pair"]
    assert "I sent Sokha Partner and Cora Coach a short message from you." in await click_as(engine, CASEY, value)
    for email, partner in ((SOKHA, "Cora Coach"), (CORA, "Sokha Partner")):
        gentle = (await texts(db, email))[-1]
        assert gentle.startswith("Casey Coordinator, a coordinator of the SIG-ALICE Demo 2026-27 cohort, asks how")
        assert f"how it is going with {partner}." in gentle and "type `book`" in gentle
    assert (await sokha_pair(db)).status == "active"


async def test_reassign_starts_the_move_with_a_coach_who_has_room(db, engine, flagged):
    value = (await quiet_buttons(db, CASEY))["Reassign"]
    full = await click_as(engine, CASEY, value)  # Lee's one place is Dara's
    assert "No coach in the SIG-ALICE Demo 2026-27 cohort has a free place for Sokha Partner. Nothing changed." in full
    async with db.transaction() as session:
        lee = (await session.execute(select(Person).where(Person.email == LEE))).scalar_one()
        session.add(
            Profile(person_id=lee.id, expertise="", interests="", languages=[], capacity=2, updated_at=QUIET_AT)
        )
    before = await state(db)
    which = await replies_to(engine, CASEY, value)
    assert "Move Sokha Partner to which coach?" in which[0].plain_text()
    assert buttons_of(which) == {"Lee Coach": f"pair:move-to|{flagged}|{lee.id}"}  # not Cora: she is the coach
    why = await replies_to(engine, CASEY, buttons_of(which)["Lee Coach"])
    assert "Why does Sokha Partner move to Lee Coach?" in why[0].plain_text()
    assert buttons_of(why)["Not a good fit"] == f"pair:move-why|{flagged}|{lee.id}|not_a_good_fit"
    assert await state(db) == before


async def test_forged_and_foreign_clicks_are_answered_and_change_nothing(db, engine, flagged):
    before = await state(db)
    for email, value, answer in (
        (DARA, f"quiet:unreachable|{flagged}", "That button is not for you. Nothing changed."),  # not her pair
        (DARA, f"quiet:well|{flagged}", "That button is not for you. Nothing changed."),
        (LEE, f"quiet:contact|{flagged}", "That button is not for you. Nothing changed."),  # a coach
        (SOKHA, f"quiet:contact|{flagged}", "That button is not for you. Nothing changed."),  # one of the pair
        (NORA, f"quiet:contact|{flagged}", "That button is not for you. Nothing changed."),  # another program's
        (CASEY, f"quiet:unreachable|{flagged}", "That button is not for you. Nothing changed."),  # not of the pair
        (SOKHA, f"quiet:explode|{flagged}", "That button is not for you. Nothing changed."),
        (SOKHA, "quiet:unreachable|99999999999999999999", "That pairing is no longer active. Nothing changed."),
        (SOKHA, "quiet:unreachable|2147483647", "That pairing is no longer active. Nothing changed."),
        (SOKHA, "quiet:well|-1", "That pairing is no longer active. Nothing changed."),
        (SOKHA, "quiet:well|1; drop table pairs", "That pairing is no longer active. Nothing changed."),
        (CASEY, "quiet:contact|", "That pairing is no longer active. Nothing changed."),
        (CASEY, "quiet:", "That pairing is no longer active. Nothing changed."),
        (CORA, f"pair:move|{flagged}|", "That button is for a coordinator, so nothing was changed."),  # Reassign
        (NORA, f"pair:move|{flagged}|", "That pair is not an active pair of a cohort you coordinate."),
        (CASEY, "pair:move|99999999999999999999|", "That pair is not an active pair of a cohort you coordinate."),
    ):
        shown = await click_as(engine, email, value)
        assert answer in shown, (email, value, shown)
        assert "went wrong" not in shown
    assert await state(db) == before


async def test_an_ended_pairs_buttons_are_answered_and_change_nothing(db, engine, chat, flagged):
    casey = chat(CASEY)
    await casey.say("pair end Sokha")
    await casey.click("Personal reasons")
    assert "Ended" in await casey.click("Confirm")
    before = await state(db)
    for email, label in ((SOKHA, "I can't reach them"), (CORA, "All is well"), (CASEY, "Contact the pair")):
        value = (await quiet_buttons(db, email))[label]
        assert "That pairing is no longer active. Nothing changed." in await click_as(engine, email, value)
    reassign = await click_as(engine, CASEY, (await quiet_buttons(db, CASEY))["Reassign"])
    assert "That pair is not an active pair of a cohort you coordinate." in reassign
    assert await state(db) == before
