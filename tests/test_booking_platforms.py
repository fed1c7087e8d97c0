"""Booking one-to-one sessions end to end across platforms, through the real running server.

Sokha (partner@demo.example, Asia/Phnom_Penh) is on Slack; her coach Cora (coach@demo.example,
America/New_York) is on Teams. Pat (participant@demo.example, America/Los_Angeles) and Dana
(participant2@demo.example, unpaired) are on Slack. Slack requests are signed and posted to /slack/events
with the Web API faked on 127.0.0.1; Teams activities are posted to /api/messages with the Bot Connector
faked on 127.0.0.1. What one person does reaches the other through the durable outbox and the worker the
server runs: the tests wait for it by polling the fakes' records.

The server's engine and outbox worker run at FIXED_NOW (Monday 23 November 2026, 15:00 UTC), but the
phrases name their dates anyway, so that they read the same on any day: 21:00 on Wednesday 2 December
2026 in Phnom Penh is 14:00 UTC, 09:00 in New York, the first hour of Cora's default hours.
"""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storage.models import BusySlot, CoachingSession, OutboxMessage, Person
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server, settle
from tests.test_selection_platforms import DANA, SlackUser, TeamsUser, card_text, slack_buttons, slack_dm_of
from tests.test_slack import PARTICIPANT, PAT, PAT_ZONE, slack_env, slash
from tests.test_teams import CORA as CORA_TEAMS

SOKHA = "U07SOKHA001"  # partner@demo.example on Slack
SOKHA_EMAIL, CORA_EMAIL, DANA_EMAIL = "partner@demo.example", "coach@demo.example", "participant2@demo.example"
SOKHA_ZONE, CORA_ZONE = "Asia/Phnom_Penh", "America/New_York"
WHEN = "2 December 2026 21:00"  # Sokha's words: Wednesday, 09:00 in New York
STARTS_AT = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
CALENDAR_LINK = re.compile(r"/calendar/(?P<token>[A-Za-z0-9_-]+)\.ics")


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(SOKHA, SOKHA_EMAIL, "Sokha Partner", SOKHA_ZONE)
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    api.add_user(DANA, DANA_EMAIL, "Dana Participant", "America/Denver")
    yield api
    await api.stop()


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(CORA_TEAMS, CORA_EMAIL, "Cora Coach")
    yield fake
    await fake.stop()


async def sessions_in(server: RunningServer) -> list[CoachingSession]:
    async with server.db.transaction() as session:
        query = select(CoachingSession).order_by(CoachingSession.starts_at)
        return list((await session.execute(query)).scalars())


async def busy_slots(server: RunningServer) -> int:
    async with server.db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(BusySlot))).scalar_one()


async def booking_messages(server: RunningServer) -> list[OutboxMessage]:
    async with server.db.transaction() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind.in_(("booking", "reminder", "outcome-question")))
        return list((await session.execute(query)).scalars())


async def person_id(server: RunningServer, email: str) -> int:
    async with server.db.transaction() as session:
        return (await session.execute(select(Person.id).where(Person.email == email))).scalar_one()


def calendar_token(text: str) -> str:
    found = CALENDAR_LINK.search(text)
    assert found, f"no calendar link in {text!r}"
    return found["token"]


async def calendar(server: RunningServer, token: str) -> tuple[int, str, str]:
    """GET the invitation as a person's calendar would: status, content type and body (long lines unfolded)."""
    async with server.http.get(f"{server.url}/calendar/{token}.ics") as response:
        return response.status, response.content_type, (await response.text()).replace("\r\n ", "")


async def cora_on_teams(server: RunningServer, connector: FakeBotConnector) -> TeamsUser:
    """Cora, who has written to the bot in Teams once, so that it can write to her there."""
    cora = TeamsUser(server, connector, CORA_TEAMS, "Cora Coach", CORA_ZONE)
    assert "What I can do for you" in await cora.say("help")
    return cora


async def sokha_books(server: RunningServer, fake_slack: FakeSlackApi) -> str:
    """Sokha's `/coaching book 2 December 2026 21:00` in her Slack DM; the ephemeral answer's text."""
    ack = await slash(server, fake_slack, f"book {WHEN}", user=SOKHA, channel=slack_dm_of(SOKHA))
    assert ack["response_type"] == "ephemeral"
    return ack["text"]


async def test_slack_partner_books_and_the_teams_coach_is_told(
    database_url: str, fake_slack: FakeSlackApi, connector: FakeBotConnector
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        cora = await cora_on_teams(server, connector)

        answer = await sokha_books(server, fake_slack)
        assert "Booked: Wednesday 2 December, 21:00 Phnom Penh time for you" in answer
        assert "and 09:00 Eastern Time for Cora Coach, 60 minutes." in answer
        assert "This is session 1 of at least 6." in answer and "I told Cora Coach." in answer
        token = calendar_token(answer)

        [booked] = await sessions_in(server)
        assert (booked.starts_at, booked.status, booked.calendar_token) == (STARTS_AT, "booked", token)
        assert (booked.ends_at - booked.starts_at).total_seconds() == 60 * 60
        assert booked.booked_by_id == await person_id(server, SOKHA_EMAIL)
        assert await busy_slots(server) == 8  # four quarter hours each, for both of them

        # Cora is on Teams: the outbox worker writes to her there, into her own chat, unasked.
        told = await cora.receives(
            "Sokha Partner booked a session with you", "Wednesday 2 December, 09:00 Eastern Time"
        )
        assert f"/calendar/{token}.ics" in told
        cora_id = await person_id(server, CORA_EMAIL)
        await settle(server)
        [notice] = [m for m in await booking_messages(server) if m.kind == "booking"]
        assert (notice.status, notice.platform, notice.person_id) == ("sent", "teams", cora_id)
        assert ("POST", f"/v3/conversations/{cora.conversation_id}/activities") in connector.requests
        assert not any(c.method == "chat.postMessage" for c in fake_slack.calls)  # nothing went to Slack

        status, content_type, ics = await calendar(server, token)
        assert (status, content_type) == (200, "text/calendar")
        assert "METHOD:REQUEST" in ics and "STATUS:CONFIRMED" in ics
        assert "DTSTART:20261202T140000Z" in ics and "DTEND:20261202T150000Z" in ics
        assert f"ORGANIZER:mailto:{CORA_EMAIL}" in ics
        assert f"mailto:{SOKHA_EMAIL}" in ics and f"mailto:{CORA_EMAIL}" in ics
        assert (await calendar(server, "not-a-token"))[0] == 404


async def test_slack_an_ambiguous_phrase_is_confirmed_with_a_button_then_booked(
    database_url: str, fake_slack: FakeSlackApi
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        pat = SlackUser(server, fake_slack, PAT)
        # Pat has Cora in two programs: the bot asks which pairing first, then about the missing time.
        text = await pat.say("book 2 December 2026")
        assert "Who would you like to book with?" in text
        assert set(slack_buttons(pat.shown)) == {"Cora Coach (AAHSL coaching pilot)", "Cora Coach (ALCTS mentoring)"}
        text = await pat.click("Cora Coach (AAHSL coaching pilot)")
        assert "You didn't say a time, so I took 9:00." in text and "Book it?" in text
        assert "Wednesday 2 December, 09:00 Pacific Time for you" in text
        assert "Pacific Time for you and 12:00 Eastern Time for Cora Coach" in text
        assert set(slack_buttons(pat.shown)) == {"Book it", "Other times"}
        assert await sessions_in(server) == []  # nothing is booked before the confirmation

        text = await pat.click("Book it")
        assert "Booked: Wednesday 2 December, 09:00 Pacific Time for you" in text
        [booked] = await sessions_in(server)
        assert booked.starts_at == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
        assert booked.calendar_token == calendar_token(text)
        assert "Booked:" not in await pat.say("help")  # the confirmation is over: nothing happens twice
        assert len(await sessions_in(server)) == 1


async def test_teams_coach_cancels_and_the_slack_partner_is_told(
    database_url: str, fake_slack: FakeSlackApi, connector: FakeBotConnector
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        cora = await cora_on_teams(server, connector)
        token = calendar_token(await sokha_books(server, fake_slack))
        await cora.receives("Sokha Partner booked a session with you")

        text = await cora.say("sessions")
        assert "Your upcoming sessions" in text
        assert "1. Wednesday 2 December, 09:00 Eastern Time with Sokha Partner" in text
        assert cora.shown is not None
        assert [action["title"] for action in cora.shown["actions"]] == ["Move 1", "Cancel 1"]

        since = len(fake_slack.calls)
        text = await cora.click("Cancel 1")
        assert "Cancelled: Wednesday 2 December, 09:00 Eastern Time with Sokha Partner. I told them." in text
        [row] = await sessions_in(server)
        assert (row.status, row.sequence) == ("cancelled", 1)
        assert await busy_slots(server) == 0
        pending = [m for m in await booking_messages(server) if m.kind in ("reminder", "outcome-question")]
        assert pending == []  # withdrawn with the session

        # Sokha is on Slack: the worker opens her DM and posts there.
        sokha = SlackUser(server, fake_slack, SOKHA)
        told = await sokha.receives(
            since, "Cora Coach cancelled your session of Wednesday 2 December, 21:00 Phnom Penh time"
        )
        assert f"/calendar/{token}.ics" in told
        [opened] = [c for c in fake_slack.calls[since:] if c.method == "conversations.open"]
        assert opened.args["users"] == SOKHA
        sokha_id = await person_id(server, SOKHA_EMAIL)
        await settle(server)
        [cancelled] = [m for m in await booking_messages(server) if m.person_id == sokha_id and m.kind == "booking"]
        assert (cancelled.status, cancelled.platform) == ("sent", "slack")

        status, _, ics = await calendar(server, token)
        assert status == 200
        assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and "SEQUENCE:1" in ics
        assert "METHOD:REQUEST" not in ics

        text = await cora.say("sessions")
        assert "You have no upcoming sessions." in text and "(cancelled)" in text
        assert not [card_text(s) for s in cora.written_first() if "cancelled your session" in card_text(s)]


async def test_slack_bad_booking_input_gets_a_clear_answer_and_stores_nothing(
    database_url: str, fake_slack: FakeSlackApi
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        sokha, dana = SlackUser(server, fake_slack, SOKHA), SlackUser(server, fake_slack, DANA)
        text = await sokha.command("book purple elephant")
        assert "I couldn't read `purple elephant` as a time." in text and "Nothing was booked." in text

        text = await sokha.command(f"book with lee {WHEN}")
        assert "You are not paired with anyone called `lee`. You can book with: Cora Coach." in text

        text = await dana.command("book")
        assert "You have no coach, mentor or partner to book with yet." in text
        text = await dana.say(f"book {WHEN}")  # typed in the DM, the same answer
        assert "no coach, mentor or partner to book with yet" in text

        assert await sessions_in(server) == []
        assert await busy_slots(server) == 0
        assert await booking_messages(server) == []
        assert not [c for c in fake_slack.calls if c.method == "conversations.open"]  # nobody was told anything
