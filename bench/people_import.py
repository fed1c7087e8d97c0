"""Benchmark: preview and import of a 5,000-row CSV of people (bot/people_csv.py, bot/enrolment.py).

    .venv/bin/python bench/people_import.py            # a SQLite file in a temporary folder
    DATABASE_URL=postgresql+asyncpg://... .venv/bin/python bench/people_import.py

Prints seconds and rows a second for the parse, the preview (plan) and the import (one transaction).
"""

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bot.demo import next_cohort, seed_demo
from bot.enrolment import apply, plan
from bot.people_csv import MAX_ROWS, parse_people
from bot.programs import load_programs
from storage import migrate
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent


def people_csv(rows: int) -> bytes:
    lines = ["email,name,role,time zone,capacity,expertise,languages"]
    for n in range(rows):
        role = "coach" if n % 5 == 0 else "participant"
        lines.append(f"p{n}@lib.example.org,Person {n},{role},Europe/Paris,3,leadership and budgets,English; French")
    return ("\n".join(lines) + "\n").encode()


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{folder}/bench.db"
        db = Database(url)
        await migrate.upgrade(db)
        catalog = load_programs(ROOT / "programs")
        now = datetime.now(UTC)
        await seed_demo(db, catalog, now)
        program = catalog.get("aahsl-coaching-pilot")
        assert program is not None
        data = people_csv(MAX_ROWS)
        started = time.perf_counter()
        parsed = parse_people(data, program)
        parsed_in = time.perf_counter() - started
        async with db.transaction() as session:
            cohort = (await session.execute(next_cohort(program.id))).scalar_one()
            started = time.perf_counter()
            done = await plan(session, cohort, program, parsed.entries)
            planned_in = time.perf_counter() - started
        started = time.perf_counter()
        async with db.transaction() as session:
            cohort = (await session.execute(select(type(cohort)).where(type(cohort).id == cohort.id))).scalar_one()
            done = await plan(session, cohort, program, parsed.entries)
            await apply(session, done, cohort, program, None, now)
        imported_in = time.perf_counter() - started
        started = time.perf_counter()
        async with db.transaction() as session:
            again = await plan(session, cohort, program, parsed.entries)
        again_in = time.perf_counter() - started
        await db.dispose()
    rows = len(parsed.entries)
    print(f"database: {url.split(':', 1)[0]}; {rows:,} rows, {len(data):,} bytes")
    for label, seconds in (
        ("parse and check", parsed_in),
        ("preview (plan)", planned_in),
        ("import (plan + write, one transaction)", imported_in),
        ("same file again (preview)", again_in),
    ):
        print(f"  {label:40} {seconds:7.3f} s  {rows / seconds:10,.0f} rows/s")
    print(f"  second preview: {len(again.added)} to add, {len(again.changed)} to change, {len(again.same):,} unchanged")


if __name__ == "__main__":
    asyncio.run(main())
