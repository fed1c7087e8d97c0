"""A Cambodian partner's year in Khmer on Teams, through the real running server and botbuilder: a new
partner applies; Sokha books a session by typing the time in Khmer, answers her monthly check-in and writes
to her coach. Everything the assistant writes to them is Khmer (no English but names, command words and
links), while her coach and the coordinator, whose Teams speaks English, read English, and the words Sokha
wrote reach her coach unchanged.

Their Teams clients say `km-KH`, so Teams sends that locale with every activity; nobody typed `language`.
Sokha (partner@demo.example, Phnom Penh) is paired with Cora (coach@demo.example, New York) in the
SIG-ALICE demo cohort. FIXED_NOW is Monday 23 November 2026, 22:00 in Phnom Penh.
"""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.khmer_dates import has_khmer
from bot.translation_check import latin_words
from storage.models import Application, CheckIn, CoachingSession, Person
from tests.fakes.bot_connector import FakeBotConnector, Sent
from tests.server import RunningServer, running_server
from tests.test_selection_platforms import CASEY_TEAMS, TeamsUser, card_text

SOKHA_TEAMS, VANNAK_TEAMS = "29:1sokha-khmer-aad", "29:1vannak-khmer-aad"
CORA_TEAMS = "29:1cora-english-aad"
SOKHA, VANNAK, CORA, CASEY = (
    "partner@demo.example",
    "newpartner@demo.example",
    "coach@demo.example",
    "coordinator@demo.example",
)
PHNOM_PENH, NEW_YORK, CHICAGO = "Asia/Phnom_Penh", "America/New_York", "America/Chicago"
KHMER, ENGLISH = "km-KH", "en-US"
MARKER = "KOUPREY-7731"
PHNOM_PENH_MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # the check-in's 09:00 in Phnom Penh
# Names, and the few words Khmer writes in Latin letters too.
NAMES = {"Sokha", "Vannak", "Cora", "Casey", "Partner", "Coach", "Coordinator", "SIG", "ALICE", "IATUL", "Demo"}
NAMES |= {"Teams", "Slack", "UTC", "newpartner", "partner", "coach", "demo", "example"}  # and their emails


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(SOKHA_TEAMS, SOKHA, "Sokha Partner")
    fake.add_member(VANNAK_TEAMS, VANNAK, "Vannak Partner")
    fake.add_member(CORA_TEAMS, CORA, "Cora Coach")
    fake.add_member(CASEY_TEAMS, CASEY, "Casey Coordinator")
    yield fake
    await fake.stop()


def words_of(sent: Sent) -> Iterator[str]:
    """Everything a person reads in one activity: its text, and its card's texts, buttons and choices."""
    yield sent.text or ""
    if sent.card is not None:
        yield from _card_words(sent.card)


def _card_words(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "title", "placeholder", "label") and isinstance(value, str):
                yield value
            elif key not in ("data", "verb", "id", "type", "version", "$schema"):
                yield from _card_words(value)
    elif isinstance(node, list):
        for item in node:
            yield from _card_words(item)


def english_in(person: TeamsUser, connector: FakeBotConnector) -> list[str]:
    """Latin words in what the assistant wrote into this person's chat, besides names and command words."""
    sent = [s for s in connector.sent if s.conversation_id == person.conversation_id]
    assert sent, "the assistant wrote nothing to them"
    return sorted({word for s in sent for text in words_of(s) for word in latin_words(text) if word not in NAMES})


def action_with(person: TeamsUser, value: str) -> dict[str, Any]:
    """The data of the shown card's button whose value (not its Khmer title) ends with `value`."""
    assert person.shown is not None, "the bot showed no card"
    for action in person.shown.get("actions", []):
        if str(action.get("data", {}).get("coaching_action", "")).endswith(value):
            return action["data"]
    raise AssertionError(f"no button ending {value!r} in {person.shown.get('actions')}")


async def click_value(person: TeamsUser, value: str) -> str:
    return await person.say(value=action_with(person, value))


async def stored(server: RunningServer, model: Any, email: str, column: Any) -> list[Any]:
    async with server.db.transaction() as session:
        query = select(model).join(Person, Person.id == column).where(Person.email == email)
        return list((await session.execute(query)).scalars())


async def test_a_partner_applies_books_checks_in_and_writes_to_her_coach_in_khmer_on_teams(
    database_url: str, connector: FakeBotConnector
):
    async with running_server(database_url) as server:
        vannak = TeamsUser(server, connector, VANNAK_TEAMS, "Vannak Partner", PHNOM_PENH, locale=KHMER)
        sokha = TeamsUser(server, connector, SOKHA_TEAMS, "Sokha Partner", PHNOM_PENH, locale=KHMER)
        cora = TeamsUser(server, connector, CORA_TEAMS, "Cora Coach", NEW_YORK, locale=ENGLISH)
        casey = TeamsUser(server, connector, CASEY_TEAMS, "Casey Coordinator", CHICAGO, locale=ENGLISH)
        assert "What I can do for you" in await cora.say("help")
        assert "What I can do for you" in await casey.say("help")

        # A new partner applies: the role, then one of the objectives, then submit, all in Khmer.
        assert has_khmer(await vannak.say("help"))
        asked = await vannak.say("apply iatul")
        assert has_khmer(asked)
        asked = await click_value(vannak, "role|1")  # coach or partner: the second
        assert "តើលោកអ្នកចង់ឱ្យការបង្វឹកឆ្ពោះទៅរកគោលដៅមួយណា?" in asked
        summary = await click_value(vannak, "objective|3")  # the fourth objective
        assert "ធនធានមនុស្ស និងតម្រូវការបណ្តុះបណ្តាល" in summary
        application_id = (await stored(server, Application, VANNAK, Application.person_id))[0].id
        assert has_khmer(await click_value(vannak, f"submit|{application_id}"))
        [application] = await stored(server, Application, VANNAK, Application.person_id)
        assert (application.status, application.roles) == ("submitted", ["partner"])
        assert application.answers == {"objective": "Human resources and training needs"}
        told = await casey.receives("New application: Vannak Partner applied to SIG-ALICE", "as partner")
        assert not has_khmer(told)

        # Sokha books by typing the time in Khmer: Wednesday 9 in the evening, 09:00 for Cora.
        booked = await sokha.say("book ថ្ងៃពុធ ម៉ោង ៩ យប់")
        assert has_khmer(booked) and "ភ្នំពេញ" in booked
        [session] = await stored(server, CoachingSession, SOKHA, CoachingSession.booked_by_id)
        assert session.starts_at == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
        notice = await cora.receives("Sokha Partner booked a session with you", "Wednesday 25 November, 09:00")
        assert not has_khmer(notice)

        # Her monthly check-in arrives at 09:00 in Phnom Penh, in Khmer; she answers with two clicks.
        server.engine.clock = lambda: PHNOM_PENH_MORNING
        check_in = await sokha.receives_and_shows("Cora Coach")
        assert has_khmer(card_text(check_in))
        thanks = await click_value(sokha, "|on_track")
        assert has_khmer(thanks)
        assert has_khmer(await click_value(sokha, "|1"))  # one session since the last check-in
        [answered] = [c for c in await stored(server, CheckIn, SOKHA, CheckIn.person_id) if c.status]
        assert (answered.status, answered.sessions) == ("on_track", 1)

        # She writes to her coach: Cora reads the English frame around Sokha's own words, unchanged.
        words = f"សួស្តី Cora, {MARKER}: តើយើងចាប់ផ្តើមបណ្ណសារដោយរបៀបណា?"
        delivered = await sokha.say(words)
        assert has_khmer(delivered)
        got = await cora.receives("From Sokha Partner, your partner", MARKER)
        assert words in got

        assert english_in(vannak, connector) == []
        assert english_in(sokha, connector) == []
        sent_to_cora = [t for s in connector.sent if s.conversation_id == cora.conversation_id for t in words_of(s)]
        assert not any(has_khmer(text.replace(words, "")) for text in sent_to_cora)
