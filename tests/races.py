"""Making two turns truly run at once on PostgreSQL, to test that a constraint (not luck) decides a race.

The test holds a row lock that both turns need for their first conflicting write (an insert referring
to that row waits for it), waits until the server reports both turns waiting, then lets them go together.
"""

import asyncio
from collections.abc import Awaitable
from typing import Any

from sqlalchemy import text

from storage.db import Database


async def through_one_gate(db: Database, lock_sql: str, params: dict[str, Any], *turns: Awaitable[str]) -> list[str]:
    async with db.engine.connect() as gate:
        await gate.execute(text(lock_sql), params)
        racing = asyncio.gather(*turns)
        assert await waiting_for_locks(db, len(turns)), "the racers never reached the gate"
        await gate.rollback()
    return list(await racing)


async def waiting_for_locks(db: Database, expected: int) -> bool:
    """Whether `expected` other connections come to wait for a lock; asks the server, without sleeping."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(5000):
        async with db.engine.connect() as connection:
            if (await connection.execute(query)).scalar_one() >= expected:
                return True
    return False
