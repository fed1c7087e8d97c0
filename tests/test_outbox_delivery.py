"""The outbox worker against the platforms' limits and failures: 429 with Retry-After, transient 5xx,
permanent refusals (reported to the coordinators), through the real server and the platform fakes."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from aiohttp import web
from sqlalchemy import select

from adapters.teams.app import build_adapter
from adapters.teams.sender import TeamsSender
from bot import outbox
from bot.config import ConfigError, TeamsSettings, load_settings
from bot.messages import Reply
from storage.models import OutboxMessage, Person
from tests.conftest import FIXED_NOW
from tests.crowd import teams_reference
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server, settle
from tests.test_booking_platforms import CORA_EMAIL, CORA_TEAMS, connector, cora_on_teams, fake_slack  # noqa: F401
from tests.test_selection_platforms import SlackUser
from tests.test_slack import PAT, slack_env
from tests.test_teams import ANONYMOUS

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, seconds: float = 10.0) -> T:
    for _ in range(int(seconds / 0.05)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def send_to(server: RunningServer, email: str, text: str) -> int:
    async with server.db.transaction() as session:
        person = (await session.execute(select(Person).where(Person.email == email))).scalar_one()
        outbox.queue(session, person.id, Reply(text), kind="announcement", now=server.engine.clock())
    async with server.db.transaction() as session:
        return (await session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))).scalars().first()


async def row(server: RunningServer, message_id: int) -> OutboxMessage:
    async with server.db.transaction() as session:
        return await session.get_one(OutboxMessage, message_id)


def posted(fake: FakeSlackApi, text: str) -> int:
    return sum(text in str(call.args.get("text", "")) for call in fake.calls_to("chat.postMessage"))


async def test_slack_429_waits_the_retry_after_and_sends_once(database_url, fake_slack):  # noqa: F811
    async with running_server(database_url, slack_env(fake_slack)) as server:
        await SlackUser(server, fake_slack, PAT).say("help")
        fake_slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
        message_id = await send_to(server, "participant@demo.example", "Cohort news, rate limited once")

        async def rescheduled() -> OutboxMessage | None:
            found = await row(server, message_id)
            return found if found.error == "ratelimited" else None

        waiting = await eventually(rescheduled, "the 429 to put the message off")
        assert (waiting.status, waiting.attempts, waiting.due_at) == ("pending", 0, FIXED_NOW + timedelta(seconds=1))
        server.engine.clock = lambda: FIXED_NOW + timedelta(seconds=2)

        async def sent() -> OutboxMessage | None:
            found = await row(server, message_id)
            return found if found.status == "sent" else None

        await eventually(sent, "the message to go after Retry-After")
        assert posted(fake_slack, "Cohort news, rate limited once") == 2  # the refused try and the one that went


async def test_a_slack_server_error_is_retried_with_backoff(database_url, fake_slack):  # noqa: F811
    async with running_server(database_url, slack_env(fake_slack)) as server:
        await SlackUser(server, fake_slack, PAT).say("help")
        fake_slack.clock = lambda: server.engine.clock().timestamp()
        fake_slack.fail_next("chat.postMessage", 503, {"ok": False, "error": "service_unavailable"})
        message_id = await send_to(server, "participant@demo.example", "Cohort news after an outage")

        async def backed_off() -> OutboxMessage | None:
            found = await row(server, message_id)
            return found if found.attempts == 1 else None

        # A 503 does not prove Slack dropped the message: it stays in doubt until the backoff ends.
        failed_once = await backed_off_row(backed_off)
        assert (failed_once.status, failed_once.claimed_until) == ("sending", FIXED_NOW + timedelta(seconds=30))
        server.engine.clock = lambda: FIXED_NOW + timedelta(seconds=31)

        async def sent() -> OutboxMessage | None:
            found = await row(server, message_id)
            return found if found.status == "sent" else None

        await eventually(sent, "the retry")
        # Before sending again the worker looked in the DM for the message's key, and did not find it.
        [looked] = fake_slack.calls_to("conversations.history")
        assert looked.args["include_all_metadata"] in ("1", "true", True)
        assert fake_slack.posted_keys() == [f"outbox-{message_id}"]


async def test_a_message_in_doubt_that_had_arrived_is_not_sent_again(database_url, fake_slack):  # noqa: F811
    """Slack took the message but its answer never came (a timeout): the key in the DM's history settles it."""
    async with running_server(database_url, slack_env(fake_slack, OUTBOX_LEASE_SECONDS="3")) as server:
        await SlackUser(server, fake_slack, PAT).say("help")
        fake_slack.clock = lambda: server.engine.clock().timestamp()
        fake_slack.answer_delay = 2.0  # longer than the worker waits for an answer (a third of the lease)
        message_id = await send_to(server, "participant@demo.example", "Cohort news, answer lost")

        async def in_doubt() -> OutboxMessage | None:
            found = await row(server, message_id)
            return found if found.attempts == 1 else None

        unclear = await eventually(in_doubt, "the send to time out")
        assert (unclear.status, unclear.error) == ("sending", "timeout")
        fake_slack.answer_delay = 0.0
        server.engine.clock = lambda: FIXED_NOW + timedelta(seconds=31)

        async def settled() -> OutboxMessage | None:
            found = await row(server, message_id)
            return found if found.status == "sent" else None

        await eventually(settled, "the in-doubt message to be settled")
        assert fake_slack.posted_keys() == [f"outbox-{message_id}"]  # posted once, never again
        assert len(fake_slack.calls_to("conversations.history")) == 1


async def backed_off_row(check: Callable[[], Awaitable[OutboxMessage | None]]) -> OutboxMessage:
    return await eventually(check, "the first failure to be counted")


async def test_an_inactive_slack_account_fails_and_the_coordinators_are_told(database_url, fake_slack):  # noqa: F811
    async with running_server(database_url, slack_env(fake_slack)) as server:
        await SlackUser(server, fake_slack, PAT).say("help")
        fake_slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "account_inactive"})
        message_id = await send_to(server, "participant@demo.example", "Cohort news for a departed member")

        async def failed() -> OutboxMessage | None:
            found = await row(server, message_id)
            return found if found.status == "failed" else None

        gone = await eventually(failed, "the message to be marked failed")
        assert (gone.error, gone.platform, gone.attempts) == ("account_inactive", "slack", 0)
        async with server.db.transaction() as session:
            query = select(OutboxMessage.reply, Person.email).join(Person, Person.id == OutboxMessage.person_id)
            notices = (await session.execute(query.where(OutboxMessage.kind == "delivery-failure"))).all()
        # Her cohorts' coordinators: Casey (national) and Nora (the network's Northeast, where Pat is a mentee).
        assert {email for _reply, email in notices} == {"coordinator@demo.example", "northeast@demo.example"}
        told = "I could not deliver an announcement to Pat Participant, participant@demo.example, on Slack: "
        assert notices[0][0]["text"] == told + "their Slack account is deactivated. Please reach them another way."
        assert "departed member" not in str(notices)  # the failure report carries no message text


async def test_teams_429_and_a_blocked_bot(database_url, fake_slack, connector: FakeBotConnector):  # noqa: F811
    async with running_server(database_url, slack_env(fake_slack)) as server:
        await cora_on_teams(server, connector)
        connector.failures.append((429, {"Retry-After": "1"}))
        first = await send_to(server, "coach@demo.example", "Teams news, rate limited once")

        async def put_off() -> OutboxMessage | None:
            found = await row(server, first)
            return found if found.error == "http_429" else None

        assert (await eventually(put_off, "the Teams 429")).attempts == 0
        server.engine.clock = lambda: FIXED_NOW + timedelta(seconds=2)

        async def sent() -> OutboxMessage | None:
            found = await row(server, first)
            return found if found.status == "sent" else None

        await eventually(sent, "the Teams message after Retry-After")
        connector.failures.append((403, {}))
        second = await send_to(server, "coach@demo.example", "Teams news for someone who blocked the bot")

        async def blocked() -> OutboxMessage | None:
            found = await row(server, second)
            return found if found.status == "failed" else None

        assert (await eventually(blocked, "the 403 to fail the message")).error == "bot blocked or removed"


class GatedBotConnector(FakeBotConnector):
    """The fake Bot Connector with a gate. While it is closed, a message that arrives waits before Teams
    takes it; if its sender is gone when the gate opens (the server was killed), Teams never took it."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting: list[web.Request] = []

    async def _send(self, request: web.Request) -> web.Response:
        if not self.gate.is_set():
            self.waiting.append(request)
            try:
                await self.gate.wait()
            finally:
                self.waiting.remove(request)
            if _gone(request):
                return web.Response(status=503)  # nobody to answer: the message was never taken
        return await super()._send(request)

    async def open_once_senders_are_gone(self) -> None:
        """Open the gate once each waiting message's connection has closed (the server was killed)."""

        async def closed() -> bool:
            return all(_gone(request) for request in self.waiting)

        await eventually(closed, "the killed server's connections to close")
        self.gate.set()


def _gone(request: web.Request) -> bool:
    return request.transport is None or request.transport.is_closing()


async def test_teams_stuck_does_not_hold_slack_back(database_url, fake_slack):  # noqa: F811
    """Each platform has its own lanes: while every Teams send waits on a Bot Connector that does not
    answer (well inside the time a send may take), the Slack messages queued between them all go."""
    teams = GatedBotConnector()
    await teams.start()
    teams.add_member(CORA_TEAMS, CORA_EMAIL, "Cora Coach")
    try:
        async with running_server(database_url, slack_env(fake_slack)) as server:
            await SlackUser(server, fake_slack, PAT).say("help")
            await cora_on_teams(server, teams)
            teams.gate.clear()
            for n in range(6):
                await send_to(server, "coach@demo.example", f"Teams news {n}")
                await send_to(server, "participant@demo.example", f"Slack news {n}")

            async def slack_done() -> bool:
                return all(posted(fake_slack, f"Slack news {n}") == 1 for n in range(6))

            await eventually(slack_done, "every Slack message to go while Teams is stuck")
            assert teams.waiting and not [sent for sent in teams.sent if "Teams news" in sent.text]
            teams.gate.set()

            async def teams_done() -> bool:
                return len([sent for sent in teams.sent if "Teams news" in sent.text]) == 6

            await eventually(teams_done, "the Teams messages once Teams answers")
            await settle(server)
        assert sorted(sent.text for sent in teams.sent if "Teams news" in sent.text) == [
            f"Teams news {n}" for n in range(6)
        ]
    finally:
        await teams.stop()


def test_outbox_rates_are_read_and_checked():
    assert load_settings({"OUTBOX_RATE_SLACK": "2.5"}).outbox_rates == {"slack": 2.5}
    for bad in ("0", "fast", "-1"):
        try:
            load_settings({"OUTBOX_RATE_TEAMS": bad})
        except ConfigError as error:
            assert "OUTBOX_RATE_TEAMS" in str(error)
        else:
            raise AssertionError(f"{bad!r} was accepted")


class ConnectionsSeen(FakeBotConnector):
    """The fake Bot Connector, noting which client connection (its port) each message came over."""

    ports: list[int]

    async def _send(self, request: web.Request) -> web.Response:
        self.ports.append(request.transport.get_extra_info("peername")[1])
        return await super()._send(request)


async def test_teams_messages_to_one_service_url_share_one_connector_client():
    first, second = ConnectionsSeen(), ConnectionsSeen()
    first.ports, second.ports = [], []
    first_url, second_url = await first.start(), await second.start()
    sender = TeamsSender(build_adapter(ANONYMOUS), ANONYMOUS.app_id)
    try:
        for number in range(1, 5):
            await sender.send(teams_reference(number, first_url), [Reply(f"News {number}")])
        await sender.send(teams_reference(5, second_url), [Reply("News elsewhere")])
        await sender.send(teams_reference(6, first_url), [Reply("News 6")])
    finally:
        await sender.close()
        await first.stop()
        await second.stop()
    assert [sent.conversation_id for sent in first.sent] == [f"a:dm-{n:07d}" for n in (1, 2, 3, 4, 6)]
    assert all(sent.reply_to is None for sent in first.sent)  # a new message in the chat, not a reply
    assert first.sent[0].activity["recipient"]["id"] == "29:crowd-0000001"
    assert first.sent[0].activity["from"]["id"] == "28:bot"
    # One client per service URL keeps its HTTP connection: five messages, one connection.
    assert len(set(first.ports)) == 1 and len(second.ports) == 1


async def test_with_an_app_id_the_connector_client_and_its_credentials_are_made_once_per_service_url():
    app_id = "0e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
    settings = TeamsSettings(app_id=app_id, app_password="not-a-secret", app_type="MultiTenant", tenant_id=None)
    sender = TeamsSender(build_adapter(settings), settings.app_id)
    amer, emea = "https://smba.trafficmanager.net/amer/", "https://smba.trafficmanager.net/emea/"
    client = await sender.client_for(amer)
    assert await sender.client_for(amer) is client  # the same credentials, so the same cached token
    assert await sender.client_for(emea) is not client
    assert client.config.credentials.microsoft_app_id == app_id
    assert client.config.base_url == amer
    await sender.close()
