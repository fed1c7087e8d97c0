"""Benchmark: parse-and-book turns per second with 1,000 coaches' calendars, through the real engine.

    .venv/bin/python bench/booking.py [--database-url URL] [--turns 500]

Builds the data on a fresh SQLite file in a temporary directory (or on the database `--database-url`
names, which must be empty, e.g. a new PostgreSQL database): migrates it, loads the shipped programs,
seeds the demo cohorts, then adds to the IATUL demo cohort (6 one-to-one sessions of 60 minutes) 1,000
coaches and 1,000 partners in active pairs. Coaches live in New York, London, Phnom Penh or Los Angeles,
each with Monday-Friday 08:00-18:00 hours in their zone and 5 sessions already booked (bot.booking.book)
over the next three weeks; partners live in Phnom Penh. The clock is fixed at Monday 23 November 2026,
15:00 UTC. Every partner says `help` once (which links their console account), and parse_time is
warmed up as app.py does, before anything is timed.

It then measures, with time.perf_counter:
  (a) TURNS booking turns, one after another, each from a different partner: Engine.handle on
      `book <phrase>` with a phrase in the partner's zone ("Wednesday 9pm", "tomorrow 10pm", ...), which
      reads the time, checks the program's rules and the coach's hours, books it or looks for free times
      nearby, and commits; it prints turns per second, p50 and p95 per turn, and the outcomes counted by
      the reply's text (booked, taken, outside the coach's hours, asked to confirm, ...);
  (b) what dateparser costs, in a fresh subprocess: importing bot.when, the first parse_time() call, and
      the median of later calls over the same phrases.
The setup time is printed too. It prints figures only; it never fails on timing.
"""

import argparse
import asyncio
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from adapters.console import ConsoleDirectory  # noqa: E402
from bot import when  # noqa: E402
from bot.booking import book, pairs_of  # noqa: E402
from bot.demo import IATUL, running_cohort, seed_demo  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.identity import get_or_create_person  # noqa: E402
from bot.messages import Inbound  # noqa: E402
from bot.programs import ProgramCatalog, load_programs  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Availability, BusySlot, CoachingSession, Membership, Pair, Person  # noqa: E402
from wiring import build_registry  # noqa: E402

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday
COACHES = 1000  # and as many partners, one pair each
BATCH = 100  # pairs per setup transaction
EXISTING_SESSIONS = 5  # per coach, of the program's 6
SEED = 2026
COACH_ZONES = ("America/New_York", "Europe/London", "Asia/Phnom_Penh", "America/Los_Angeles")
PARTNER_ZONE = "Asia/Phnom_Penh"
HOURS = (8 * 60, 18 * 60)  # Monday-Friday, in the coach's zone
FIRST_DAY, DAYS = date(2026, 11, 24), 21  # existing sessions: the three weeks after NOW
# Read in the partner's zone (Phnom Penh, UTC+7): 21:00 there is 09:00 in New York and 14:00 in London.
PHRASES = (
    "Wednesday 9pm",
    "next Thursday 8:30pm",
    "1 December 2026 21:00",
    "tomorrow 10pm",
    "Saturday 7am",  # Friday 16:00 in Los Angeles
    "Friday at 3",  # an hour without am/pm: asks to confirm 15:00 when the time is acceptable
    "next Tuesday",  # no time of day: asks to confirm 09:00 when the time is acceptable
    "Thursday 3pm",  # inside Phnom Penh coaches' hours
)
# (outcome, text in the reply), first match wins.
OUTCOMES = (
    ("booked", "Booked:"),
    ("taken", "is taken"),
    ("outside hours", "is outside"),
    ("asks to confirm", "Book it?"),
    ("in the past", "already passed"),
    ("quota used", "You have used all"),
    ("outside window", "take place from"),
    ("unreadable", "couldn't read"),
    ("error", "something went wrong"),
)
PROBE_CALLS = 400
# Run in a fresh interpreter: what the first parse_time() costs before anything warmed dateparser up.
PROBE = """
import json, statistics, sys, time
from datetime import datetime
phrases, zone, now, calls = json.loads(sys.argv[1])
now = datetime.fromisoformat(now)
start = time.perf_counter()
from bot.when import parse_time
imported = time.perf_counter() - start
start = time.perf_counter()
parse_time(phrases[0], zone, now)
first = time.perf_counter() - start
later = []
for n in range(calls):
    start = time.perf_counter()
    parse_time(phrases[n % len(phrases)], zone, now)
    later.append(time.perf_counter() - start)
print(json.dumps({"import": imported, "first": first, "later": statistics.median(later)}))
"""


def coach_email(n: int) -> str:
    return f"coach{n:04d}@bench.example"


def partner_email(n: int) -> str:
    return f"partner{n:04d}@bench.example"


# ---------------------------------------------------------------- setup


async def build(db: Database, catalog: ProgramCatalog) -> dict[str, float]:
    """Migrate, seed the demo, add the coaches, partners, hours and booked sessions; seconds per part."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    await migrate.upgrade(db)
    await seed_demo(db, catalog, NOW)
    async with db.transaction() as session:
        cohort_id = (await session.execute(running_cohort(IATUL))).scalar_one().id
        if (await session.execute(select(Person.id).where(Person.email == coach_email(1)))).first():
            raise SystemExit("The database already holds the benchmark's people: give it an empty database.")
    seconds["schema and demo"], start = time.perf_counter() - start, time.perf_counter()
    batches = [range(first, min(first + BATCH, COACHES + 1)) for first in range(1, COACHES + 1, BATCH)]
    pairs: list[tuple[int, Person, str]] = []
    for numbers in batches:
        async with db.transaction() as session:
            pairs.extend(await add_people(session, cohort_id, numbers))
    seconds["people, pairs, hours"], start = time.perf_counter() - start, time.perf_counter()
    rng = random.Random(SEED)
    for first in range(0, len(pairs), BATCH):
        async with db.transaction() as session:
            await add_sessions(session, catalog, pairs[first : first + BATCH], rng)
    seconds[f"{EXISTING_SESSIONS * COACHES} sessions with book()"] = time.perf_counter() - start
    return seconds


async def add_people(session: AsyncSession, cohort_id: int, numbers: range) -> list[tuple[int, Person, str]]:
    """Coaches and partners, their memberships, pairs and the coaches' hours: [(partner id, coach, zone)]."""
    pairs = []
    for n in numbers:
        zone = COACH_ZONES[n % len(COACH_ZONES)]
        coach = await get_or_create_person(session, coach_email(n), f"Coach {n:04d}", zone, NOW)
        partner = await get_or_create_person(session, partner_email(n), f"Partner {n:04d}", PARTNER_ZONE, NOW)
        session.add_all(
            [
                Membership(cohort_id=cohort_id, person_id=coach.id, role="coach", created_at=NOW),
                Membership(cohort_id=cohort_id, person_id=partner.id, role="partner", created_at=NOW),
                Pair(cohort_id=cohort_id, guide_id=coach.id, guided_id=partner.id, status="active", created_at=NOW),
            ]
        )
        session.add_all(
            Availability(
                person_id=coach.id,
                weekday=weekday,
                starts_minute=HOURS[0],
                ends_minute=HOURS[1],
                timezone=zone,
                created_at=NOW,
            )
            for weekday in range(5)
        )
        pairs.append((partner.id, coach, zone))
    return pairs


async def add_sessions(
    session: AsyncSession, catalog: ProgramCatalog, pairs: list[tuple[int, Person, str]], rng: random.Random
) -> None:
    """EXISTING_SESSIONS sessions per pair, booked by the coach as the engine books them."""
    for partner_id, coach, zone in pairs:
        (info,) = await pairs_of(session, partner_id, catalog)
        for starts_at in existing_starts(rng, zone):
            if await book(session, info, starts_at, coach, NOW) is None:
                raise RuntimeError(f"setup: {coach.email} could not book {starts_at}")


def existing_starts(rng: random.Random, zone: str) -> list[datetime]:
    """Distinct whole hours inside the coach's weekday hours over the next three weeks (never overlapping)."""
    weekdays = [FIRST_DAY + timedelta(days=d) for d in range(DAYS) if (FIRST_DAY + timedelta(days=d)).weekday() < 5]
    hours = range(HOURS[0] // 60, HOURS[1] // 60)  # a 60-minute session ends by 18:00
    picked = rng.sample([(day, hour) for day in weekdays for hour in hours], EXISTING_SESSIONS)
    return sorted(datetime(d.year, d.month, d.day, h, tzinfo=ZoneInfo(zone)).astimezone(UTC) for d, h in picked)


async def counts(db: Database) -> str:
    async with db.transaction() as session:
        found = []
        for name, model in (
            ("persons", Person),
            ("pairs", Pair),
            ("sessions", CoachingSession),
            ("busy slots", BusySlot),
        ):
            found.append(f"{(await session.execute(select(func.count()).select_from(model))).scalar_one()} {name}")
    return ", ".join(found)


# ---------------------------------------------------------------- turns


def inbound(email: str, text: str) -> Inbound:
    return Inbound("console", email, "console", text=text)


def phrase_for(n: int) -> str:
    """Partner n's phrase: every phrase meets coaches in every zone equally often (coach n's zone is n % 4)."""
    return PHRASES[(n - 1) // len(COACH_ZONES) % len(PHRASES)]


def outcome_of(text: str) -> str:
    return next((name for name, marker in OUTCOMES if marker in text), "other")


async def timed_turns(engine: Engine, turns: int) -> tuple[float, list[tuple[str, float, str]]]:
    """(wall seconds, [(outcome, seconds, reply text)]) for one booking turn per partner, in sequence."""
    results = []
    wall = time.perf_counter()
    for n in range(1, turns + 1):
        email, phrase = partner_email(n), phrase_for(n)
        start = time.perf_counter()
        replies = await engine.handle(inbound(email, f"book {phrase}"), ConsoleDirectory(email))
        elapsed = time.perf_counter() - start
        text = "\n".join(reply.text for reply in replies)
        results.append((outcome_of(text), elapsed, text))
    return time.perf_counter() - wall, results


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def probe_dateparser() -> dict[str, float]:
    """parse_time's costs in a fresh interpreter (see PROBE)."""
    argument = json.dumps([PHRASES, PARTNER_ZONE, NOW.isoformat(), PROBE_CALLS])
    done = subprocess.run(
        [sys.executable, "-c", PROBE, argument], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout)


# ---------------------------------------------------------------- main


async def run(url: str, turns: int) -> None:
    catalog = load_programs(ROOT / "programs")
    db = Database(url)
    try:
        setup = await build(db, catalog)
        print(f"database: {db.url.get_backend_name()}; at {NOW:%A %d %B %Y %H:%M} UTC")
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in setup.items())
        print(f"setup: {sum(setup.values()):.1f} s ({parts})")
        print(f"  {await counts(db)}")

        engine = Engine(db, build_registry(), catalog, clock=lambda: NOW)
        start = time.perf_counter()
        for n in range(1, turns + 1):
            email = partner_email(n)
            replies = await engine.handle(inbound(email, "help"), ConsoleDirectory(email))
            if not replies or "something went wrong" in replies[0].text:
                raise RuntimeError(f"warm-up `help` for {email} failed: {replies}")
        print(f"warm-up: {turns} `help` turns (each links a console account) in {time.perf_counter() - start:.1f} s")
        when.warm_up()  # as app.py prepare() does: dateparser's first parse is not in anyone's turn

        wall, results = await timed_turns(engine, turns)
        latencies = sorted(seconds * 1000 for _, seconds, _ in results)
        print(
            f"\n{turns} booking turns, one at a time, each a different partner "
            f"({len(PHRASES)} phrases x {len(COACH_ZONES)} coach zones):"
        )
        print(f"  {turns / wall:.1f} turns/s ({wall:.2f} s)")
        print(
            f"  per turn: p50 {percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, "
            f"max {latencies[-1]:.1f} ms"
        )
        by_outcome: dict[str, list[float]] = defaultdict(list)
        for outcome, seconds, _ in results:
            by_outcome[outcome].append(seconds * 1000)
        print("  outcomes (count, median ms):")
        for outcome, count in Counter(outcome for outcome, _, _ in results).most_common():
            print(f"    {outcome:16} {count:5}   {statistics.median(by_outcome[outcome]):7.1f} ms")
        for outcome, _, text in results:
            if outcome in ("other", "error"):
                print(f"  first {outcome} reply: {text[:300]!r}")
                break
    finally:
        await db.dispose()

    probe = probe_dateparser()
    print(f"\ndateparser, in a fresh process (median of {PROBE_CALLS} later calls, same phrases, {PARTNER_ZONE}):")
    print(f"  import bot.when (dateparser)     {probe['import'] * 1000:8.1f} ms")
    print(f"  first parse_time() call          {probe['first'] * 1000:8.1f} ms")
    print(
        f"  later parse_time() calls, median {probe['later'] * 1000:8.2f} ms "
        f"({probe['later'] * 1000 / percentile(latencies, 50):.0%} of the p50 turn)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file in a temp dir)")
    parser.add_argument("--turns", type=int, default=500, help=f"booking turns to time, at most {COACHES}")
    args = parser.parse_args()
    if not 1 <= args.turns <= COACHES:
        parser.error(f"--turns must be between 1 and {COACHES} (one turn per partner)")
    if args.database_url:
        asyncio.run(run(args.database_url, args.turns))
        return
    with tempfile.TemporaryDirectory(prefix="bench-booking-") as directory:
        asyncio.run(run(f"sqlite+aiosqlite:///{Path(directory) / 'coaching.db'}", args.turns))


if __name__ == "__main__":
    main()
