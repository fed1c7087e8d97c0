"""Alembic environment: uses the connection handed in by storage.migrate, or DATABASE_URL."""

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import Database
from storage.models import Base

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine() -> None:
    db = Database(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///coaching.db"))
    async with db.engine.begin() as connection:
        await connection.run_sync(run_on)
    await db.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    run_on(given)
else:
    asyncio.run(run_with_own_engine())
