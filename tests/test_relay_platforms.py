"""Relay across platforms, through the real running server: a partner and her coach write to each other
in their own DMs with the assistant, one on Teams and the other on Slack, and the other way round.

Sokha (partner@demo.example, Phnom Penh) and Cora (coach@demo.example, New York) are paired in the
SIG-ALICE demo cohort, whose program enables relay. Every message carries a marker; afterwards the whole
database and the logs are searched for it: the text passed through memory only."""

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.demo import running_cohort
from storage.models import Base, Cohort, OutboxMessage, Pair, Person, RelayCount
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import slack_env

MARKER = "OKAPI-RELAY-5512"
SOKHA_EMAIL, CORA_EMAIL, DARA_EMAIL = "partner@demo.example", "coach@demo.example", "partner2@demo.example"
SOKHA_SLACK, CORA_SLACK, PAT_SLACK = "U07SOKHA001", "U07CORA0001", "U07PAT00001"
SOKHA_TEAMS, CORA_TEAMS = "29:1sokha-teams-aad", "29:1cora-teams-aad"


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(SOKHA_SLACK, SOKHA_EMAIL, "Sokha Partner", "Asia/Phnom_Penh")
    api.add_user(CORA_SLACK, CORA_EMAIL, "Cora Coach", "America/New_York")
    api.add_user(PAT_SLACK, "participant@demo.example", "Pat Participant", "America/Los_Angeles")
    yield api
    await api.stop()


@pytest.fixture
async def teams_api() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(SOKHA_TEAMS, SOKHA_EMAIL, "Sokha Partner")
    fake.add_member(CORA_TEAMS, CORA_EMAIL, "Cora Coach")
    yield fake
    await fake.stop()


async def everything_stored(server: RunningServer, database_url: str) -> str:
    """Every row of every table as text (and, on SQLite, the file's bytes with its WAL)."""
    dumped = []
    async with server.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                dumped.append(repr(tuple(row)))
        if database_url.startswith("sqlite"):
            await session.execute(text("SELECT 1"))
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        dumped.extend(p.read_bytes().decode("latin-1") for p in path.parent.glob(path.name + "*"))
    return "\n".join(dumped)


async def counts(server: RunningServer) -> list[tuple[int, int]]:
    async with server.db.transaction() as session:
        return [(c.from_guide, c.from_guided) for c in (await session.execute(select(RelayCount))).scalars()]


async def test_partner_on_teams_and_coach_on_slack_write_to_each_other(database_url, slack_api, teams_api, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_server(database_url, slack_env(slack_api)) as server:
        sokha = TeamsUser(server, teams_api, SOKHA_TEAMS, "Sokha Partner", "Asia/Phnom_Penh")
        cora = SlackUser(server, slack_api, CORA_SLACK)
        await sokha.say("help")
        await cora.say("help")
        before = len(slack_api.calls)
        answer = await sokha.say(f"Dear Cora, {MARKER}: how do we start a repository?")
        assert "Delivered to Cora Coach on Slack" in answer and "Eastern Time for them" in answer
        got = await cora.receives(before, "From Sokha Partner, your partner (SIG-ALICE coaching)")
        assert f"{MARKER}: how do we start a repository?" in got
        answer = await cora.say(f"Hello Sokha, {MARKER} start with a policy.")
        # FIXED_NOW is 22:00 in Phnom Penh: the coach is told an answer may wait for Sokha's morning
        assert "Delivered to Sokha Partner on Teams" in answer
        assert "It is 22:00 for Sokha in Phnom Penh, so they may answer in the morning." in answer
        got = await sokha.receives("From Cora Coach, your coach (SIG-ALICE coaching)")
        assert f"{MARKER} start with a policy." in got
        assert await counts(server) == [(1, 1)]
        stored = await everything_stored(server, database_url)
    assert MARKER not in stored
    assert MARKER not in caplog.text
    assert "turn kind=relay" in caplog.text


async def test_partner_on_slack_and_coach_on_teams(database_url, slack_api, teams_api):
    async with running_server(database_url, slack_env(slack_api)) as server:
        sokha = SlackUser(server, slack_api, SOKHA_SLACK)
        cora = TeamsUser(server, teams_api, CORA_TEAMS, "Cora Coach", "America/New_York")
        await sokha.say("help")
        await cora.say("help")
        assert "Delivered to Cora Coach on Teams" in await sokha.say(f"{MARKER} a question")
        assert f"{MARKER} a question" in await cora.receives("From Sokha Partner")
        before = len(slack_api.calls)
        assert "Delivered to Sokha Partner on Slack" in await cora.say(f"{MARKER} an answer")
        assert f"{MARKER} an answer" in await sokha.receives(before, "From Cora Coach")
        async with server.db.transaction() as session:
            outbox_texts = [repr(m.reply) for m in (await session.execute(select(OutboxMessage))).scalars()]
        assert not any(MARKER in reply for reply in outbox_texts)


async def test_pause_resume_and_an_ended_pairing(database_url, slack_api, teams_api):
    async with running_server(database_url, slack_env(slack_api)) as server:
        sokha = SlackUser(server, slack_api, SOKHA_SLACK)
        cora = TeamsUser(server, teams_api, CORA_TEAMS, "Cora Coach", "America/New_York")
        await sokha.say("help")
        await cora.say("help")
        assert "Relay is paused with Sokha Partner" in await cora.say("relay pause")
        sent_before = len(teams_api.sent)
        assert "is paused, so I did not pass this on" in await sokha.say("Are you there?")
        assert "Relay is on again" in await sokha.say("relay resume")
        assert "Delivered to Cora Coach" in await sokha.say("Now?")
        assert [card for card in cora.written_first()][-1] in teams_api.sent[sent_before:]
        async with server.db.transaction() as session:
            pair = (
                await session.execute(
                    select(Pair)
                    .join(Cohort)
                    .where(Cohort.program_id == "iatul-sig-alice")
                    .join(Person, Person.id == Pair.guided_id)
                    .where(Person.email == SOKHA_EMAIL)
                )
            ).scalar_one()
            pair.status = "ended"
        answer = await sokha.say("Hello again")
        assert "Delivered" not in answer and "I don't know `hello`" in answer
        assert "You have no partner to write to through me" in await sokha.say("reply Cora hi")


async def test_undeliverable_messages_are_not_kept_and_the_sender_is_asked_to_resend(
    database_url, slack_api, teams_api
):
    async with running_server(database_url, slack_env(slack_api)) as server:
        sokha = SlackUser(server, slack_api, SOKHA_SLACK)
        await sokha.say("help")
        # Cora has never written to the assistant: there is no account to deliver to.
        answer = await sokha.say(f"{MARKER} first message")
        assert "I could not deliver your message to Cora Coach: they have not written to me" in answer
        assert "I keep no copy" in answer
        cora = SlackUser(server, slack_api, CORA_SLACK)
        await cora.say("help")
        slack_api.fail_next("chat.postMessage", 500, {"ok": False, "error": "internal_error"})
        answer = await sokha.say(f"{MARKER} second message")
        assert "I could not deliver your message to Cora Coach just now. Please send it again" in answer
        assert await counts(server) == []
        assert MARKER not in await everything_stored(server, database_url)


async def test_a_coach_with_two_partners_picks_whom_a_message_is_for(database_url, slack_api, teams_api):
    async with running_server(database_url, slack_env(slack_api)) as server:
        async with server.db.transaction() as session:
            people = {p.email: p for p in (await session.execute(select(Person))).scalars()}
            cohort = (await session.execute(running_cohort("iatul-sig-alice"))).scalar_one()
            session.add(
                Pair(
                    cohort_id=cohort.id,
                    guide_id=people[CORA_EMAIL].id,
                    guided_id=people[DARA_EMAIL].id,
                    status="active",
                    created_at=server.engine.clock(),
                )
            )
        cora = SlackUser(server, slack_api, CORA_SLACK)
        sokha = TeamsUser(server, teams_api, SOKHA_TEAMS, "Sokha Partner", "Asia/Phnom_Penh")
        await cora.say("help")
        await sokha.say("help")
        asked = await cora.say("The workshop moves to Friday.")
        assert "Who is this message for?" in asked
        to_sokha = cora.button("To Sokha Partner")
        assert "Delivered to Sokha Partner on Teams" in await cora.click_button(to_sokha, ephemeral=False)
        assert "The workshop moves to Friday." in await sokha.receives("From Cora Coach")
        again = await cora.click_button(to_sokha, ephemeral=False)  # the same button: the message went once
        assert "I no longer hold that message" in again
        assert "Write `reply NAME your message`" in await cora.say("reply Nobody hello")
        # Dara has never written: undeliverable, and said so.
        assert "could not deliver your message to Dara Partner" in await cora.say("reply Dara see you Friday")


async def test_someone_without_a_relay_partner_gets_a_clear_answer(database_url, slack_api, teams_api):
    async with running_server(database_url, slack_env(slack_api)) as server:
        pat = SlackUser(server, slack_api, PAT_SLACK)
        await pat.say("help")  # Pat's programs (AAHSL, ALCTS, the network) do not relay
        assert "I don't know `hello`" in await pat.say("hello coach")
        assert "You have no partner to write to through me" in await pat.say("reply Cora hello")
        assert "You have no partner to write to through me" in await pat.say("relay pause")


async def test_a_relay_slack_rate_limits_is_waited_out_and_delivered_once(database_url, slack_api, teams_api):
    """A person waits for a relay: Slack's 429 is waited out (Retry-After) and the message sent again, once."""
    async with running_server(database_url, slack_env(slack_api)) as server:
        sokha = SlackUser(server, slack_api, SOKHA_SLACK)
        cora = TeamsUser(server, teams_api, CORA_TEAMS, "Cora Coach", "America/New_York")
        await sokha.say("help")
        await cora.say("help")
        slack_api.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
        assert "Delivered to Sokha Partner on Slack" in await cora.say(f"{MARKER} after a pause")
        relayed = [c for c in slack_api.calls_to("chat.postMessage") if MARKER in str(c.args)]
        assert len(relayed) == 2  # the refused one and the one that arrived
        assert not slack_api.failures.get("chat.postMessage")
