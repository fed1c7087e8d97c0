"""Benchmark: an idle scheduler tick with 100,000 people in cohorts costs about what it costs with 100.

    .venv/bin/python bench/scheduler_tick.py [--sizes 100 100000] [--ticks 300] [--postgres]
    .venv/bin/python bench/scheduler_tick.py --sizes 100000 --database-url postgresql+asyncpg://...

For each size, on a fresh database (a new SQLite file in a temporary directory by default; with
`--postgres` a new database on a throwaway PostgreSQL cluster this script starts and removes; with
`--database-url`, given once per size, the empty databases named), with the clock fixed at Monday
23 November 2026, 15:00 UTC:
  - migrates it, loads the shipped programs and seeds the demo cohorts (bot.demo.seed_demo);
  - adds SIZE people (tests/crowd.py add_crowd: Slack accounts, five time zones from Sydney to Los
    Angeles) to the two monthly demo cohorts (AAHSL and SIG-ALICE), half of them coaches and half the
    people they coach, in SIZE / 2 active pairs (bulk-inserted Pair rows);
  - plans the jobs as the server does at start (bot.jobs.plan_all) and runs the real scheduler
    (bot.scheduler.Scheduler.run_due with bot.jobs.ALL) at the cohorts' next check-in moment
    (bot.checkins: 24 November 2026, 09:00 at UTC+14, i.e. 23 November 19:00 UTC), so every person gets a
    CheckIn row and a pending outbox row due in their own morning: the jobs, check_ins and outbox tables
    hold about SIZE rows each;
  - moves the clock one minute on, where nothing is due (the first morning, Sydney's, is 22:00 UTC).
It stops with a message, timing nothing for that size, if the check-in jobs did not ask every person
(a job failed: the scheduler records only the exception's name) or if anything is due at that moment.
It then times TICKS idle ticks with time.perf_counter, after 10 untimed ones: one tick is
`await Scheduler.run_due()` then `await OutboxWorker.deliver_batch()` (its senders for 'slack' and
'teams' raise if called; the script stops with an error if anything ran or was claimed). It prints, per
size, the setup time by part, the table sizes, the median and p95 tick, the SQL statements one tick
runs, and the database's plan (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN) for the due-lookups a
tick actually ran (captured from the engine, not rewritten here); then the ratio of the largest size's
median tick to the smallest's. It prints figures only; it never fails on timing.
"""

import argparse
import asyncio
import math
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, insert, select  # noqa: E402

from bot import jobs  # noqa: E402
from bot.checkins import check_in_dates, first_moment  # noqa: E402
from bot.demo import AAHSL, IATUL, running_cohort, seed_demo  # noqa: E402
from bot.messages import Reply  # noqa: E402
from bot.outbox import OutboxWorker, Sender  # noqa: E402
from bot.programs import Program, ProgramCatalog, load_programs  # noqa: E402
from bot.scheduler import JobContext, JobHandler, Scheduler  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Account, CheckIn, Job, OutboxMessage, Pair, Person  # noqa: E402
from tests.crowd import add_crowd  # noqa: E402
from tests.fakes.postgres import ThrowawayPostgres  # noqa: E402

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, as tests/conftest.FIXED_NOW
COHORTS = (AAHSL, IATUL)  # the monthly demo cohorts: both ask on 24 November 2026
CHUNK = 5_000  # people per add_crowd call
WARM_UP = 10  # untimed ticks first
OF_WHICH = "of which "  # a setup part counted inside the one before it
IDLE_AFTER = timedelta(minutes=1)  # the idle moment: this long after the check-in job ran
DEFAULT_SIZES = (100, 100_000)


class Clock:
    """The scheduler's and the worker's clock, moved by the script."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class MustNotSend:
    """A Sender for an idle tick: nothing is due, so being called is an error."""

    def __init__(self, platform: str) -> None:
        self.platform = platform

    async def send(self, account: Account, replies: list[Reply], key: str) -> None:
        raise RuntimeError(f"an idle tick sent {key} on {self.platform}")

    async def delivered(self, account: Account, key: str, since: datetime) -> bool | None:
        raise RuntimeError(f"an idle tick asked {self.platform} about {key}")


# ---------------------------------------------------------------- setup


async def cohort_ids(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        return {
            program_id: (await session.execute(running_cohort(program_id))).scalar_one().id for program_id in COHORTS
        }


async def add_pairs(db: Database, cohort_id: int, program: Program, pairs: int, first: int) -> int:
    """`pairs` guides and as many guided people in the cohort, paired one to one; the next free number."""
    for start in range(0, pairs, CHUNK):
        count = min(CHUNK, pairs - start)
        guides = await add_crowd(db, cohort_id, count, NOW, role=program.guide_role, first=first)
        guided = await add_crowd(db, cohort_id, count, NOW, role=program.guided_role, first=first + count)
        first += 2 * count
        rows = [
            {"cohort_id": cohort_id, "guide_id": g, "guided_id": p, "status": "active", "created_at": NOW}
            for g, p in zip(guides, guided, strict=True)
        ]
        async with db.transaction() as session:
            await session.execute(insert(Pair), rows)
    return first


async def check_in_moment(db: Database, catalog: ProgramCatalog) -> datetime:
    """When the chosen cohorts' next check-in job is due (the same moment for both)."""
    moments = set()
    async with db.transaction() as session:
        for cohort in [(await session.execute(running_cohort(program_id))).scalar_one() for program_id in COHORTS]:
            program = catalog.get(cohort.program_id)
            assert program is not None
            day = next(d for d in check_in_dates(cohort, program) if d > NOW.date())
            moments.add(first_moment(day, program.check_ins.send_at))
    if len(moments) != 1:
        raise RuntimeError(f"the cohorts' next check-ins are not at one moment: {sorted(moments)}")
    return moments.pop()


async def build(db: Database, catalog: ProgramCatalog, size: int, clock: Clock) -> dict[str, float]:
    """Everything up to the idle moment; seconds per part."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    await migrate.upgrade(db)
    await seed_demo(db, catalog, NOW)
    ids = await cohort_ids(db)
    seconds["schema and demo"], start = time.perf_counter() - start, time.perf_counter()
    pairs, number = size // 2, 1
    for n, program_id in enumerate(COHORTS):
        share = pairs // len(COHORTS) + (1 if n < pairs % len(COHORTS) else 0)
        program = catalog.get(program_id)
        assert program is not None
        number = await add_pairs(db, ids[program_id], program, share, number)
    seconds[f"{size} people in {pairs} pairs"], start = time.perf_counter() - start, time.perf_counter()
    await jobs.plan_all(db, catalog, NOW)
    clock.now = await check_in_moment(db, catalog)
    by_kind: dict[str, float] = {}
    ran = await Scheduler(db, catalog, timed_handlers(by_kind), clock).run_due()
    seconds[f"jobs planned and run at {clock.now:%d %b %H:%M} UTC ({ran} ran)"] = time.perf_counter() - start
    for kind, spent in sorted(by_kind.items(), key=lambda item: -item[1]):
        seconds[f"{OF_WHICH}{kind} jobs"] = spent
    clock.now += IDLE_AFTER
    return seconds


def timed_handlers(spent: dict[str, float]) -> dict[str, JobHandler]:
    """bot.jobs.ALL, each handler adding the seconds it took to `spent` under its kind (the daily looks at
    pace and quiet pairs run beside the check-ins here: they came due at noon)."""

    def timed(kind: str, handler: JobHandler) -> JobHandler:
        async def run(context: JobContext) -> None:
            start = time.perf_counter()
            await handler(context)
            spent[kind] = spent.get(kind, 0.0) + time.perf_counter() - start

        return run

    return {kind: timed(kind, handler) for kind, handler in jobs.ALL.items()}


async def count_rows(db: Database) -> dict[str, int]:
    found = {}
    async with db.transaction() as session:
        for name, model in (("persons", Person), ("pairs", Pair), ("jobs", Job), ("check_ins", CheckIn)):
            found[name] = (await session.execute(select(func.count()).select_from(model))).scalar_one()
        found["outbox"] = (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
    return found


async def check_idle(db: Database, size: int, now: datetime) -> str:
    """Stop unless every person was asked and nothing is due at `now`; says when the next things are due."""
    async with db.transaction() as session:
        failed = (await session.execute(select(Job.kind, Job.error).where(Job.error.is_not(None)))).all()
        asked = (await session.execute(select(func.count()).select_from(CheckIn))).scalar_one()
        next_job = (await session.execute(select(func.min(Job.due_at)).where(Job.status == "pending"))).scalar()
        pending = select(func.min(OutboxMessage.due_at)).where(OutboxMessage.status == "pending")
        next_message = (await session.execute(pending)).scalar()
    if failed or asked < size - size % 2:
        errors = ", ".join(f"{kind} job: {error}" for kind, error in failed) or "no job error recorded"
        raise SystemExit(
            f"The check-in jobs did not ask everyone: {asked} check-ins for {size} people ({errors}; "
            f"bot/scheduler.py keeps only the exception's name). Nothing was timed for {size} people."
        )
    if (next_job and next_job <= now) or (next_message and next_message <= now):
        raise RuntimeError(f"something is due at {now}: job {next_job}, message {next_message}")
    return f"next job due {next_job:%d %b %H:%M} UTC, next message due {next_message:%d %b %H:%M} UTC"


# ---------------------------------------------------------------- ticks


async def tick(scheduler: Scheduler, worker: OutboxWorker) -> None:
    ran = await scheduler.run_due()
    claimed = await worker.deliver_batch()
    if ran or claimed is not None:
        raise RuntimeError(f"an idle tick did work: {ran} jobs ran, deliver_batch gave {claimed}")


async def timed_ticks(scheduler: Scheduler, worker: OutboxWorker, ticks: int) -> list[float]:
    """Seconds per idle tick, ascending, after WARM_UP untimed ones."""
    for _ in range(WARM_UP):
        await tick(scheduler, worker)
    timings = []
    for _ in range(ticks):
        start = time.perf_counter()
        await tick(scheduler, worker)
        timings.append(time.perf_counter() - start)
    return sorted(timings)


@contextmanager
def captured(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement the engine runs inside the block, with its parameters as sent."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def is_due_lookup(statement: str) -> bool:
    words = " ".join(statement.split()).lower()
    return words.startswith("select") and any(f"from {table} " in words for table in ("jobs", "outbox"))


def headline(statement: str) -> str:
    """`SELECT FROM jobs`, `BEGIN IMMEDIATE`: what a statement is, in a few words."""
    found = re.match(r"SELECT .*? FROM (\w+)", " ".join(statement.split()))
    return f"SELECT FROM {found.group(1)}" if found else " ".join(statement.split()[:3])


def shortened(statement: str) -> str:
    """The statement on one line, its column list left out: `SELECT ... FROM outbox WHERE ...`."""
    return re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", " ".join(statement.split()))


async def query_plans(db: Database, scheduler: Scheduler, worker: OutboxWorker) -> tuple[list[str], list[str]]:
    """(the statements one idle tick runs, abridged; the plan of each due-lookup among them)."""
    with captured(db) as statements:
        await tick(scheduler, worker)
    explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    plans = []
    for statement, parameters in statements:
        if not is_due_lookup(statement):
            continue
        async with db.engine.connect() as connection:
            result = await connection.exec_driver_sql(explain + statement, parameters)
            lines = [" | ".join(str(v) for v in row[-1:]) for row in result.all()]
        plans.append(shortened(statement) + "\n      " + "\n      ".join(lines))
    return [headline(statement) for statement, _ in statements], plans


# ---------------------------------------------------------------- main


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def one_size(url: str, catalog: ProgramCatalog, size: int, ticks: int) -> float:
    """Build, report and time one size; the median tick in milliseconds."""
    db, clock = Database(url), Clock(NOW)
    try:
        setup = await build(db, catalog, size, clock)
        print(f"\n{size} people ({db.url.get_backend_name()}):")
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in setup.items())
        total = sum(seconds for name, seconds in setup.items() if not name.startswith(OF_WHICH))
        print(f"  setup: {total:.1f} s ({parts})")
        print("  rows: " + ", ".join(f"{count} {name}" for name, count in (await count_rows(db)).items()))
        print(f"  idle at {clock.now:%d %b %H:%M} UTC: {await check_idle(db, size, clock.now)}")
        scheduler = Scheduler(db, catalog, jobs.ALL, clock)
        senders: dict[str, Sender] = {platform: MustNotSend(platform) for platform in ("slack", "teams")}
        worker = OutboxWorker(db, senders, clock)
        timings = [seconds * 1000 for seconds in await timed_ticks(scheduler, worker, ticks)]
        print(
            f"  idle tick (run_due + deliver_batch), {ticks} ticks: median {statistics.median(timings):.2f} ms, "
            f"p95 {percentile(timings, 95):.2f} ms, min {timings[0]:.2f} ms, max {timings[-1]:.2f} ms"
        )
        statements, plans = await query_plans(db, scheduler, worker)
        print(f"  one idle tick runs {len(statements)} SQL statements: {'; '.join(statements)}")
        print("  plans of its due-lookups:")
        for plan in plans:
            print(f"    {plan}")
        return statistics.median(timings)
    finally:
        await db.dispose()


async def run(urls: list[str], sizes: list[int], ticks: int) -> None:
    catalog = load_programs(ROOT / "programs")
    print(f"clock: {NOW:%A %d %B %Y %H:%M} UTC; people in the {' and '.join(COHORTS)} demo cohorts")
    medians = [await one_size(url, catalog, size, ticks) for url, size in zip(urls, sizes, strict=True)]
    if len(sizes) > 1:
        print(
            f"\nmedian idle tick, {sizes[-1]} people / {sizes[0]} people: {medians[-1] / medians[0]:.2f} "
            f"({medians[-1]:.2f} ms / {medians[0]:.2f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="people, per run")
    parser.add_argument("--ticks", type=int, default=300, help="idle ticks to time per size")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", action="append", help="an empty database, once per size, in order")
    where.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    if any(size < 2 for size in args.sizes) or args.ticks < 1:
        parser.error("each size must be at least 2 (one pair) and --ticks at least 1")
    if args.database_url:
        if len(args.database_url) != len(args.sizes):
            parser.error("give --database-url once per size: each size needs an empty database")
        asyncio.run(run(args.database_url, args.sizes, args.ticks))
    elif args.postgres:
        server = ThrowawayPostgres()
        server.start()
        try:
            urls = [server.create_database(f"bench_tick_{uuid.uuid4().hex[:8]}") for _ in args.sizes]
            asyncio.run(run(urls, args.sizes, args.ticks))
        finally:
            server.stop()
    else:
        with tempfile.TemporaryDirectory(prefix="bench-tick-") as directory:
            urls = [f"sqlite+aiosqlite:///{Path(directory) / f'coaching-{n}.db'}" for n in range(len(args.sizes))]
            asyncio.run(run(urls, args.sizes, args.ticks))


if __name__ == "__main__":
    main()
