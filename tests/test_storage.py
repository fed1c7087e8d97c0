"""Storage on both databases: migrations match the models, SQLite runs in WAL, concurrent turns are safe."""

import asyncio
from datetime import UTC, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from bot.messages import Inbound, Profile
from storage.db import Database
from storage.models import Base, Person, ProcessedEvent


async def test_migrations_create_exactly_the_models(db: Database):
    def differences(connection):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str):
    db = Database(sqlite_url)
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one() == 5000
    await db.dispose()


async def test_times_come_back_as_aware_utc(db: Database):
    moment = datetime(2026, 3, 8, 3, 30, tzinfo=timezone(timedelta(hours=-5)))
    async with db.transaction() as session:
        session.add(Person(email="t@example.org", display_name="T", created_at=moment))
    async with db.transaction() as session:
        stored = (await session.execute(select(Person.created_at))).scalar_one()
    assert stored == moment and stored.tzinfo == UTC


async def test_concurrent_first_contacts_and_retries_are_safe(engine, db: Database):
    """Fifty turns at once: ten people each writing five times, every delivery sent twice."""

    class Directory:
        async def lookup(self, account_id: str) -> Profile:
            return Profile(email=f"{account_id.split(':')[1].lower()}@example.org")

    turns = [
        engine.handle(Inbound("slack", f"T1:U{person}", "D1", text="me", event_id=f"Ev{person}-{n}"), Directory())
        for person in range(10)
        for n in range(5)
        for _copy in range(2)
    ]
    answers = await asyncio.gather(*turns)
    assert sum(1 for replies in answers if replies) == 50  # each delivery answered once, its copy ignored
    assert all("went wrong" not in r[0].text for r in answers if r)
    async with db.transaction() as session:
        people = (
            await session.execute(select(func.count()).select_from(Person).where(Person.email.like("u%@example.org")))
        ).scalar_one()
        deliveries = (await session.execute(select(func.count()).select_from(ProcessedEvent))).scalar_one()
    assert (people, deliveries) == (10, 50)
