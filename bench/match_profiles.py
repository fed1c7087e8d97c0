"""Benchmark: matching a large cohort whose coaches have profiles (bot/profiles.py), on SQLite.

    .venv/bin/python bench/match_profiles.py [--participants 1000] [--coaches 200] [--runs 3] [--seed 2026]

Builds a throwaway SQLite database (migrated as in production) with one AAHSL cohort: COACHES enrolled
coaches, each with a profile (expertise and interests from library topics, one to three languages, a
capacity of 3 to 7 or the program's default, a time zone) and no application, and PARTICIPANTS accepted
participants with a goals statement of a few sentences (some naming languages they work in is not asked
by AAHSL, so theirs are empty: the language part is neutral). It measures, each the median of RUNS runs:
  (a) the pool: dialogs/match.py `_pool`, the dialog's own queries (members, active pairs, accepted
      applications, profiles) and the Candidate/Guide building;
  (b) propose() on that pool from cold caches;
and prints how many were matched and how many proposals cite shared interests. Figures only.
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.matching import TOPICS, ZONES  # noqa: E402
from bot.dialog import Turn  # noqa: E402
from bot.matching import overlap_hours, propose, stems  # noqa: E402
from bot.network import create_cohort  # noqa: E402
from bot.programs import Program, load_programs  # noqa: E402
from dialogs.match import _pool  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Application, Cohort, Membership, Person, Profile  # noqa: E402

NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
ON = date(2026, 11, 23)
LANGUAGES = ("English", "Spanish", "French", "Khmer", "Portuguese", "Mandarin")
GOALS = (
    "I want to build my confidence in {} and {}.",
    "Over the next year I hope to lead work on {}, and to get better at {}.",
    "My learning goals: {} for my team; {} with our faculty.",
)


def _phrase(rng: random.Random) -> str:
    first, second = rng.sample(TOPICS, 2)
    return rng.choice(GOALS).format(first, second)


async def build(db: Database, program: Program, participants: int, coaches: int, rng: random.Random) -> Cohort:
    async with db.transaction() as session:
        cohort = await create_cohort(session, program, date(2027, 1, 4), NOW)
        await session.flush()
        people = [
            Person(
                email=f"coach{n}@bench.example",
                display_name=f"Coach {n:03d}",
                timezone=rng.choice(ZONES),
                created_at=NOW,
            )
            for n in range(coaches)
        ] + [
            Person(
                email=f"p{n}@bench.example",
                display_name=f"Participant {n:04d}",
                timezone=rng.choice(ZONES),
                created_at=NOW,
            )
            for n in range(participants)
        ]
        session.add_all(people)
        await session.flush()
        for person in people[:coaches]:
            session.add(
                Membership(cohort_id=cohort.id, person_id=person.id, role="coach", enrolled=True, created_at=NOW)
            )
            session.add(
                Profile(
                    person_id=person.id,
                    expertise=", ".join(rng.sample(TOPICS, rng.randint(2, 5))),
                    interests=", ".join(rng.sample(TOPICS, rng.randint(1, 3))),
                    languages=rng.sample(LANGUAGES, rng.randint(1, 3)),
                    capacity=rng.choice((None, 3, 4, 5, 6, 7)),
                    updated_at=NOW,
                )
            )
        for person in people[coaches:]:
            session.add(Membership(cohort_id=cohort.id, person_id=person.id, role="participant", created_at=NOW))
            statement = " ".join(_phrase(rng) for _ in range(rng.randint(1, 3)))
            session.add(
                Application(
                    cohort_id=cohort.id,
                    person_id=person.id,
                    status="accepted",
                    roles=["participant"],
                    answers={},
                    materials={"goals_statement": {"text": statement, "done": True}},
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        return cohort


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    program = load_programs(ROOT / "programs").get("aahsl-coaching-pilot")
    assert program is not None
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/bench.db")
        await migrate.upgrade(db)
        cohort = await build(db, program, args.participants, args.coaches, rng)
        pool_times, propose_times = [], []
        for _ in range(args.runs):
            async with db.transaction() as session:
                turn = cast(Turn, SimpleNamespace(session=session))
                started = time.perf_counter()
                candidates, guides, excluded = await _pool(turn, program, cohort)
                pool_times.append(time.perf_counter() - started)
            stems.cache_clear()
            overlap_hours.cache_clear()
            started = time.perf_counter()
            result = propose(candidates, guides, ON, excluded=excluded)
            propose_times.append(time.perf_counter() - started)
        await db.dispose()
    places = sum(guide.capacity for guide in guides)
    shared = sum(1 for p in result.proposals if p.reasons[0].startswith("shared interests"))
    print(f"cohort: {len(candidates)} participants, {len(guides)} coaches with profiles, {places} places, on {ON}")
    print(f"pool (the dialog's queries and building): median {statistics.median(pool_times) * 1000:.0f} ms")
    print(f"propose(): median {statistics.median(propose_times) * 1000:.0f} ms over {args.runs} runs")
    print(f"matched {len(result.proposals)}, unmatched {len(result.unmatched)}, total score {result.total_score:.0f}")
    print(f"proposals citing shared interests: {shared} of {len(result.proposals)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--coaches", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
