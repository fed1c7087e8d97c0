"""Numbered places (a cohort's seats, a peer group's places): the lowest free number, taken by an insert.

The place table's key on (owner, number) decides a race: of two inserts of the same number one fails,
and the loser looks again, so a full cohort or group never takes one more.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

FULL, CONTENDED = "full", "contended"
TRIES = 3


async def take_numbered_place(
    session: AsyncSession, numbers_taken: Select[Any], capacity: int, place: Callable[[int], object]
) -> int | str:
    """The number taken (the row `place(number)` is added), or FULL, or CONTENDED after repeated races."""
    for _ in range(TRIES):
        taken = set((await session.execute(numbers_taken)).scalars())
        free = next((number for number in range(1, capacity + 1) if number not in taken), None)
        if free is None:
            return FULL
        try:
            async with session.begin_nested():
                session.add(place(free))
                await session.flush()
        except IntegrityError:
            continue
        return free
    return CONTENDED
