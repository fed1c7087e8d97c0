"""Exactly once across a crash and across processes: real `python app.py serve` processes deliver a
5,000-recipient announcement to the fake Slack Web API; one is killed with SIGKILL mid-way (while Slack
holds a message it took but has not answered), another starts, and every recipient has it once. On
PostgreSQL, three servers share one outbox and never send the same message twice."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from app import build_registry
from bot.demo import seed_demo
from bot.engine import Engine
from bot.programs import ProgramCatalog
from storage.db import Database
from storage.models import Cohort, OutboxMessage
from tests.conftest import PROGRAMS_DIR, ROOT, Chat
from tests.crowd import add_crowd
from tests.fakes.slack_api import FakeSlackApi
from tests.test_slack import slack_env

RECIPIENTS = 5_000


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    yield api
    await api.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`python app.py serve` in its own process, logging to a file."""

    def __init__(self, database_url: str, fake: FakeSlackApi, log_path: Path) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            **slack_env(fake),
            "DATABASE_URL": database_url,
            "PROGRAMS_DIR": str(PROGRAMS_DIR),
            "PORT": str(self.port),
            "OUTBOX_RATE_SLACK": "1000",
            "OUTBOX_LEASE_SECONDS": "3",
            "LOG_LEVEL": "INFO",
        }
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )

    async def ready(self) -> None:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                assert self.process.poll() is None, self.log_path.read_text()[-2000:]
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def sent_count(self) -> int:
        return self.log_path.read_text().count("outbox sent id=")


async def announce_to_crowd(db: Database, catalog: ProgramCatalog) -> int:
    """5,000 mentees join the ALCTS demo cohort; the coordinator announces to everyone in it."""
    now = datetime.now(UTC)  # the servers run on the real clock
    await seed_demo(db, catalog, now)
    async with db.transaction() as session:
        query = select(Cohort).where(Cohort.program_id == "alcts-mentoring")
        alcts = (await session.execute(query)).scalar_one()
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

    first = ServerProcess(database_url, slack_api, tmp_path / "first.log")
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

    second = ServerProcess(database_url, slack_api, tmp_path / "second.log")
    try:
        await second.ready()
        await all_sent(db, total, seconds=240)
    finally:
        second.stop()
    assert_each_once(slack_api, total)
    assert "outbox in-doubt message had arrived" in second.log_path.read_text()


async def test_three_servers_on_one_postgresql_never_send_a_message_twice(postgres_url, catalog, slack_api, tmp_path):
    db = Database(postgres_url)
    try:
        total = await announce_to_crowd(db, catalog)
        servers = [ServerProcess(postgres_url, slack_api, tmp_path / f"server{n}.log") for n in range(3)]
        try:
            await asyncio.gather(*(server.ready() for server in servers))
            await all_sent(db, total, seconds=240)
        finally:
            for server in servers:
                server.stop()
        assert_each_once(slack_api, total)
        shares = [server.sent_count() for server in servers]
        assert sum(shares) == total and all(share > 0 for share in shares), shares
    finally:
        await db.dispose()
