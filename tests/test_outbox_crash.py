"""Exactly once across a crash and across processes: real `python app.py serve` processes deliver a
5,000-recipient announcement to the fake Slack Web API; one is killed with SIGKILL mid-way (while Slack
holds a message it took but has not answered), another starts, and every recipient has it once. On
PostgreSQL, three servers share one outbox and never send the same message twice."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app import build_registry
from bot.demo import running_cohort, seed_demo
from bot.engine import Engine
from bot.programs import ProgramCatalog
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import Chat
from tests.crowd import add_crowd
from tests.fakes.slack_api import FakeSlackApi
from tests.server import ServerProcess
from tests.test_slack import slack_env

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
    await casey.click(f"{alcts.name} (ALCTS mentoring)")
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
