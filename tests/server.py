"""Run the real server for a test: in this process (the aiohttp application `python app.py serve` builds,
on 127.0.0.1), or as `python app.py serve` in a process of its own, to be killed and restarted."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import func, or_, select

from bot.config import load_settings
from bot.demo import seed_demo
from bot.engine import Engine
from bot.programs import load_programs
from server import build_web_app
from storage.db import Database
from storage.models import Job, OutboxMessage
from tests.conftest import FIXED_NOW, PROGRAMS_DIR, ROOT
from tests.fakes import free_port, serve_on_loopback
from wiring import prepare


@dataclass
class RunningServer:
    url: str  # http://127.0.0.1:PORT
    db: Database
    engine: Engine
    web_app: web.Application
    http: aiohttp.ClientSession  # a client for posting to the server


async def caught_up(server: RunningServer) -> bool:
    """Nothing is due for the scheduler or the outbox worker at the clock's time: what the background loops
    would do at this time is done (jobs first: a job that ran committed its messages with it)."""
    now = server.engine.clock()
    async with server.db.transaction() as session:
        jobs = select(func.count()).select_from(Job).where(Job.status == "pending", Job.due_at <= now)
        if (await session.execute(jobs)).scalar_one():
            return False
        due = (OutboxMessage.status == "pending") & (OutboxMessage.due_at <= now)
        messages = select(func.count()).select_from(OutboxMessage).where(or_(due, OutboxMessage.status == "sending"))
        return (await session.execute(messages)).scalar_one() == 0


async def settle(server: RunningServer, within: float = 10.0) -> None:
    """Wait until the background loops have caught up (a platform fake sees a message a moment before the
    worker writes down that it was sent)."""
    deadline = time.monotonic() + within
    while not await caught_up(server):
        if time.monotonic() > deadline:
            raise AssertionError(f"the scheduler and the outbox did not catch up at {server.engine.clock()}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running_server(
    database_url: str, env: Mapping[str, str] | None = None, *, open_survey: bool = False
) -> AsyncIterator[RunningServer]:
    """The server over `database_url` with the demo seeded and the engine's clock at FIXED_NOW
    (`open_survey`: with the AAHSL pilot's final evaluation open, as the demo people have it).

    `env` adds settings, e.g. SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, MICROSOFT_APP_ID.
    """
    settings = load_settings({"DATABASE_URL": database_url, "PROGRAMS_DIR": str(PROGRAMS_DIR), **(env or {})})
    catalog = load_programs(settings.programs_dir)
    db, engine = await prepare(settings, catalog, seed=False)
    engine.clock = lambda: FIXED_NOW
    await seed_demo(db, catalog, FIXED_NOW, open_survey=open_survey)
    web_app = await build_web_app(settings, db, engine)
    runner, port = await serve_on_loopback(web_app)
    try:
        async with aiohttp.ClientSession() as http:
            yield RunningServer(f"http://127.0.0.1:{port}", db, engine, web_app, http)
    finally:
        await runner.cleanup()
        await db.dispose()


class ServerProcess:
    """`python app.py serve` in its own process on a free port, logging to `log_path`."""

    def __init__(self, env: Mapping[str, str], log_path: Path) -> None:
        self.port, self.log_path = free_port(), log_path
        full_env = {**os.environ, "PROGRAMS_DIR": str(PROGRAMS_DIR), "LOG_LEVEL": "INFO", **env}
        full_env["PORT"] = str(self.port)
        for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "SLACK_APP_TOKEN"):
            full_env.pop(name, None)  # Teams anonymously to the fake's serviceUrl; Slack over HTTP
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "app.py", "serve"], cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
            )

    async def ready(self, seconds: float = 60.0) -> None:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server ended at start:\n{self.log_tail()}")
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the server did not answer /healthz in {seconds:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to finish anything."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    async def stop(self, seconds: float = 30.0) -> int | None:
        """SIGTERM, and wait (serving the fakes meanwhile) for it to finish its round; its exit code.
        SIGKILL if it has not ended after `seconds`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:  # in a thread: the fakes run on this loop, and the server's last sends need them
                await asyncio.to_thread(self.process.wait, seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def log_count(self, marker: str) -> int:
        return self.log_path.read_text(errors="replace").count(marker)
