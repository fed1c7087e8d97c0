"""Run the real aiohttp application (as `python app.py serve` builds it) on 127.0.0.1 for a test."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from app import build_web_app, prepare
from bot.config import load_settings
from bot.demo import seed_demo
from bot.engine import Engine
from bot.programs import load_programs
from storage.db import Database
from tests.conftest import FIXED_NOW, PROGRAMS_DIR
from tests.fakes import serve_on_loopback


@dataclass
class RunningServer:
    url: str  # http://127.0.0.1:PORT
    db: Database
    engine: Engine
    web_app: web.Application
    http: aiohttp.ClientSession  # a client for posting to the server


@asynccontextmanager
async def running_server(database_url: str, env: Mapping[str, str] | None = None) -> AsyncIterator[RunningServer]:
    """The server over `database_url` with the demo seeded and the engine's clock at FIXED_NOW.

    `env` adds settings, e.g. SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, MICROSOFT_APP_ID.
    """
    settings = load_settings({"DATABASE_URL": database_url, "PROGRAMS_DIR": str(PROGRAMS_DIR), **(env or {})})
    catalog = load_programs(settings.programs_dir)
    db, engine = await prepare(settings, catalog, seed=False)
    engine.clock = lambda: FIXED_NOW
    await seed_demo(db, catalog, FIXED_NOW)
    web_app = await build_web_app(settings, db, engine)
    runner, port = await serve_on_loopback(web_app)
    try:
        async with aiohttp.ClientSession() as http:
            yield RunningServer(f"http://127.0.0.1:{port}", db, engine, web_app, http)
    finally:
        await runner.cleanup()
        await db.dispose()
