"""Exactly once across a crash and across processes: real `python app.py serve` processes deliver a
5,000-recipient announcement to the fake Slack Web API; one is killed with SIGKILL mid-way (while Slack
holds a message it took but has not answered), another starts, and every recipient has it once. A Teams
announcement survives four kills, each while a batch is half sent, with no duplicate at the fake Bot
Connector (Teams cannot be asked whether a message arrived). On PostgreSQL, three servers share one outbox
and never send the same message twice."""

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.demo import running_cohort, seed_demo
from bot.engine import Engine
from bot.programs import ProgramCatalog
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import Chat
from tests.crowd import add_crowd
from tests.fakes.slack_api import FakeSlackApi
from tests.server import ServerProcess
from tests.test_outbox_delivery import GatedBotConnector
from tests.test_slack import slack_env
from wiring import build_registry

RECIPIENTS = 5_000


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    yield api
    await api.stop()


def server_env(database_url: str, fake: FakeSlackApi) -> dict[str, str]:
    """Slack against the fake, fast enough to matter, and a short lease so a restart takes over soon."""
    return {
        **slack_env(fake),
        "DATABASE_URL": database_url,
        "OUTBOX_RATE_SLACK": "1000",
        "OUTBOX_LEASE_SECONDS": "3",
    }


SENT = "outbox sent id="


async def announce_to_crowd(db: Database, catalog: ProgramCatalog) -> int:
    """5,000 mentees join the ALCTS demo cohort; the coordinator announces to everyone in it."""
    now = datetime.now(UTC)  # the servers run on the real clock
    await seed_demo(db, catalog, now)
    async with db.transaction() as session:
        alcts = (await session.execute(running_cohort("alcts-mentoring"))).scalar_one()
    await add_crowd(db, alcts.id, RECIPIENTS, now, role="mentee")
    casey = Chat(Engine(db, build_registry(), catalog), "coordinator@demo.example")
    await casey.say("announce")
    await casey.click(f"ALCTS {alcts.name}")
    await casey.click("Everyone")
    await casey.say("The mid-way survey opens next week.")
    confirmed = await casey.click("Send to")
    assert f"Sent to {RECIPIENTS + 2} people" in confirmed  # the crowd, and the two demo people
    return RECIPIENTS  # the demo people have no Slack account: theirs wait until they write


async def count(db: Database, *conditions: object) -> int:
    async with db.transaction() as session:
        query = select(func.count()).select_from(OutboxMessage).where(*conditions)  # type: ignore[arg-type]
        return (await session.execute(query)).scalar_one()


async def until(check: Callable[[], Awaitable[bool] | bool], seconds: float, what: str) -> None:
    for _ in range(int(seconds / 0.02)):
        outcome = check()
        if await outcome if isinstance(outcome, Awaitable) else outcome:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def all_sent(db: Database, total: int, seconds: float) -> None:
    async def done() -> bool:
        return await count(db, OutboxMessage.kind == "announcement", OutboxMessage.status == "sent") == total

    await until(done, seconds, f"all {total} to be sent")


def assert_each_once(fake: FakeSlackApi, total: int) -> None:
    per_key = Counter(fake.posted_keys())
    per_channel = Counter(channel for channel, messages in fake.history.items() for _ in messages)
    assert [key for key, times in per_key.items() if times > 1] == []  # no duplicates
    assert len(per_key) == total  # no losses
    assert set(per_channel.values()) == {1}  # each recipient's DM holds it once


async def test_a_crash_mid_announcement_then_a_restart_delivers_each_message_once(
    database_url, db, catalog, slack_api, tmp_path
):
    total = await announce_to_crowd(db, catalog)
    assert total >= RECIPIENTS

    first = ServerProcess(server_env(database_url, slack_api), tmp_path / "first.log")
    try:
        await first.ready()
        await until(lambda: len(slack_api.posted_keys()) >= total // 3, 120, "a third to be posted")
        # Slack takes the next messages but holds its answers: the server dies not knowing they arrived.
        slack_api.answer_delay = 30.0
        taken = len(slack_api.posted_keys())
        await until(lambda: len(slack_api.posted_keys()) > taken, 30, "one more post")
    finally:
        first.kill()
    slack_api.answer_delay = 0.0
    in_doubt = await count(db, OutboxMessage.status == "sending")
    assert in_doubt >= 1
    assert 0 < await count(db, OutboxMessage.status == "sent") < total

    second = ServerProcess(server_env(database_url, slack_api), tmp_path / "second.log")
    try:
        await second.ready()
        await all_sent(db, total, seconds=240)
    finally:
        await second.stop()
    assert_each_once(slack_api, total)
    assert second.log_count("outbox in-doubt message had arrived") >= 1


@pytest.fixture
async def gated_connector() -> AsyncIterator[GatedBotConnector]:
    connector = GatedBotConnector()
    await connector.start()
    yield connector
    await connector.stop()


TEAMS_RECIPIENTS = 300
# Messages Teams takes after each start before the gate closes and the server is killed: each cut falls at
# a different point of the batch under way (a claim takes up to 160 rows; 16 senders at this pace).
KILL_AFTER = (7, 26, 13, 41)


def teams_env(database_url: str) -> dict[str, str]:
    """Teams against the fake, fast; a send waiting at the gate times out after 2 s, a third of the lease."""
    return {"DATABASE_URL": database_url, "OUTBOX_RATE_TEAMS": "1000", "OUTBOX_LEASE_SECONDS": "6"}


async def announce_on_teams(db: Database, catalog: ProgramCatalog, service_url: str) -> int:
    """TEAMS_RECIPIENTS mentees, all on Teams, join the ALCTS demo cohort; the coordinator announces."""
    now = datetime.now(UTC)
    await seed_demo(db, catalog, now)
    async with db.transaction() as session:
        alcts = (await session.execute(running_cohort("alcts-mentoring"))).scalar_one()
    await add_crowd(db, alcts.id, TEAMS_RECIPIENTS, now, role="mentee", teams_every=1, service_url=service_url)
    casey = Chat(Engine(db, build_registry(), catalog), "coordinator@demo.example")
    await casey.say("announce")
    await casey.click(f"ALCTS {alcts.name}")
    await casey.click("Everyone")
    await casey.say("Teams news: the mid-way survey opens next week.")
    assert f"Sent to {TEAMS_RECIPIENTS + 2} people" in await casey.click("Send to")
    return TEAMS_RECIPIENTS


async def kill_mid_batch(server: ServerProcess, connector: GatedBotConnector, db: Database, more: int) -> None:
    """Let Teams take `more` messages, then close the gate and, once each message Teams took is written
    down and another waits at the gate, kill the server with SIGKILL: mid-batch, the messages waiting at
    the gate were never taken, and those taken before are settled (a sender sends only once its last
    message is written down). A worker that settled batches as a whole would still hold the batch's
    earlier messages unwritten: killed then, it would send them again."""
    try:
        await server.ready()
        taken = len(connector.sent)
        await until(lambda: len(connector.sent) >= taken + more, 60, f"{more} more messages at Teams")
        connector.gate.clear()  # what arrives now waits, not taken, while the server goes on
        await until(lambda: len(connector.waiting) > 0, 30, "a message to wait at the gate")

        async def written_down() -> bool:
            sent = await count(db, OutboxMessage.kind == "announcement", OutboxMessage.status == "sent")
            return sent >= len(connector.sent)

        # Well before a send waiting at the gate times out (a third of the lease): the batch is under way.
        with contextlib.suppress(AssertionError):
            await until(written_down, 1.5, "every message Teams took to be written down")
    finally:
        server.kill()
        await connector.open_once_senders_are_gone()


async def test_kills_while_a_teams_batch_is_half_sent_leave_no_duplicate(
    database_url, db, catalog, gated_connector: GatedBotConnector, tmp_path
):
    connector = gated_connector
    total = await announce_on_teams(db, catalog, connector.service_url)
    announced = OutboxMessage.kind == "announcement"
    for round_number, more in enumerate(KILL_AFTER):
        server = ServerProcess(teams_env(database_url), tmp_path / f"round{round_number}.log")
        await kill_mid_batch(server, connector, db, more)
        # Killed mid-batch: all that Teams took is written down as sent; the rest of the batch is in doubt.
        assert await count(db, announced, OutboxMessage.status == "sent") == len(connector.sent) < total
        assert await count(db, announced, OutboxMessage.status == "sending") >= 1

    last = ServerProcess(teams_env(database_url), tmp_path / "last.log")
    try:
        await last.ready()
        await all_sent(db, total, seconds=120)
    finally:
        await last.stop()
    per_conversation = Counter(sent.conversation_id for sent in connector.sent)
    assert {conversation for conversation, times in per_conversation.items() if times > 1} == set()  # no duplicate
    assert len(per_conversation) == total  # and no loss
    # The in-doubt messages were sent again (Teams cannot be asked about them): none had been taken before.
    assert last.log_count("outbox sending in-doubt message again") >= 1


async def test_three_servers_on_one_postgresql_never_send_a_message_twice(postgres_url, catalog, slack_api, tmp_path):
    db = Database(postgres_url)
    try:
        total = await announce_to_crowd(db, catalog)
        servers = [ServerProcess(server_env(postgres_url, slack_api), tmp_path / f"server{n}.log") for n in range(3)]
        try:
            await asyncio.gather(*(server.ready() for server in servers))
            await all_sent(db, total, seconds=240)
        finally:
            for server in servers:
                await server.stop()
        assert_each_once(slack_api, total)
        shares = [server.log_count(SENT) for server in servers]
        assert sum(shares) == total and all(share > 0 for share in shares), shares
    finally:
        await db.dispose()
