"""Shared fixtures: real databases (a SQLite file and a throwaway PostgreSQL 15 cluster), the shipped
program files, and an engine with a fixed clock."""

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from adapters.console import ConsoleChat
from bot.demo import seed_demo
from bot.engine import Engine
from bot.programs import ProgramCatalog, load_programs
from storage import migrate
from storage.db import Database
from tests.fakes.bot_token_service import FakeBotTokenService, point_botbuilder_at
from tests.fakes.postgres import ThrowawayPostgres
from wiring import build_registry

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS_DIR = ROOT / "programs"
FIXED_NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday
TEMPLATE_DB = "coaching_template"

# Fuzz tests drive real servers and databases: an example takes milliseconds, not microseconds, and its
# fixtures are set up once per test, not per example. No example database: every run draws afresh.
settings.register_profile(
    "suite",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("suite")


async def _migrate(url: str) -> None:
    db = Database(url)
    await migrate.upgrade(db)
    await db.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    server.start()
    try:
        server.create_database(TEMPLATE_DB)
        asyncio.run(_migrate(server.url(TEMPLATE_DB)))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "coaching.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def postgres_url(postgres: ThrowawayPostgres) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name, template=TEMPLATE_DB)
    yield url
    postgres.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def catalog() -> ProgramCatalog:
    return load_programs(PROGRAMS_DIR)


@pytest.fixture
async def engine(db: Database, catalog: ProgramCatalog) -> Engine:
    """The engine over the demo cohorts, at FIXED_NOW."""
    await seed_demo(db, catalog, FIXED_NOW)
    return Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW)


class Chat:
    """A person talking to the engine through the console adapter; keeps what was shown."""

    def __init__(self, engine: Engine, email: str) -> None:
        self.shown: list[str] = []
        self.console = ConsoleChat(engine, email, write=self.shown.append)

    async def say(self, typed: str) -> str:
        self.shown.clear()
        await self.console.say(typed)
        return "\n".join(self.shown)

    async def click(self, label: str) -> str:
        """Click the first button shown last whose label starts with `label`."""
        labels = [button.label for button in self.console.buttons]
        matching = [number for number, shown in enumerate(labels, 1) if shown.startswith(label)]
        assert matching, f"no button {label!r} among {labels}"
        return await self.say(str(matching[0]))


@pytest.fixture
def token_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBotTokenService]:
    """A fake of Microsoft's token service, and botbuilder checking bearer tokens against it."""
    service = FakeBotTokenService()
    point_botbuilder_at(monkeypatch, service.start())
    yield service
    service.stop()


@pytest.fixture
def chat(engine: Engine):  # type: ignore[no-untyped-def]
    """chat(email) -> a Chat for that person."""
    return lambda email: Chat(engine, email)
