"""Benchmark: the optimal guide matching (bot/matching.py propose) against first come, first served (greedy).

    .venv/bin/python bench/matching.py [--candidates 200] [--guides 40] [--capacity 5] [--runs 5] [--seed 2026]

Builds a deterministic synthetic cohort (seeded random.Random): candidates and guides who wrote a few
library topics each (collections, advocacy, metadata, ...), in US time zones, Europe/London or
Asia/Phnom_Penh, at various career stages; every guide has the same capacity. It measures
  (a) the time propose() takes from cold caches, the median of RUNS runs (time.perf_counter);
  (b) the total score and the number matched by propose() and by greedy(), on the same cohort and date,
      with the percentage by which the optimal total beats the greedy one.
It prints figures only; it never fails on timing.
"""

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.matching import Candidate, Guide, greedy, overlap_hours, propose, stems  # noqa: E402

ON = date(2026, 9, 15)  # a cohort starting in September, when the US and the UK are on summer time
TOPICS = (
    "collections",
    "advocacy",
    "facilities",
    "spaces",
    "human resources",
    "training",
    "metadata",
    "cataloguing",
    "budgeting",
    "leadership",
    "assessment",
    "outreach",
    "digital preservation",
    "archives",
    "reference services",
    "instruction",
    "licensing",
    "open access",
    "community engagement",
    "strategic planning",
    "fundraising",
    "children's services",
)
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Europe/London",
    "Asia/Phnom_Penh",
)
STAGES = (None, "student", "early career", "mid career", "senior", "late career")
CANDIDATE_STAGES = (1, 4, 4, 2, 1, 0)  # weights: candidates are mostly early in their careers
GUIDE_STAGES = (1, 0, 0, 2, 4, 3)  # guides mostly later
CANDIDATE_PHRASES = ("I would like to grow in {}.", "My goal this year: {}.", "Interested in {}.", "Working on {}.")


def _topics(rng: random.Random, low: int, high: int) -> list[str]:
    return rng.sample(TOPICS, rng.randint(low, high))


def candidates(rng: random.Random, count: int) -> list[Candidate]:
    people = []
    for index in range(count):
        text = " ".join(rng.choice(CANDIDATE_PHRASES).format(topic) for topic in _topics(rng, 1, 4))
        stage = rng.choices(STAGES, CANDIDATE_STAGES)[0]
        people.append(Candidate(index + 1, f"Candidate {index + 1:03d}", text, rng.choice(ZONES), stage))
    return people


def guides(rng: random.Random, count: int, capacity: int) -> list[Guide]:
    coaches = []
    for index in range(count):
        text = ", ".join(_topics(rng, 2, 6))
        stage = rng.choices(STAGES, GUIDE_STAGES)[0]
        coaches.append(Guide(10_000 + index, f"Guide {index + 1:02d}", text, rng.choice(ZONES), capacity, stage))
    return coaches


def median_seconds(people: Sequence[Candidate], coaches: Sequence[Guide], runs: int) -> float:
    timings = []
    for _ in range(runs):
        stems.cache_clear()  # each run starts cold, as one `/coaching match` in a fresh process would
        overlap_hours.cache_clear()
        started = time.perf_counter()
        propose(people, coaches, ON)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--guides", type=int, default=40)
    parser.add_argument("--capacity", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    people, coaches = candidates(rng, args.candidates), guides(rng, args.guides, args.capacity)

    seconds = median_seconds(people, coaches, args.runs)
    optimal, baseline = propose(people, coaches, ON), greedy(people, coaches, ON)
    gain = 100 * (optimal.total_score - baseline.total_score) / baseline.total_score if baseline.total_score else 0.0

    print(f"cohort: {len(people)} candidates, {len(coaches)} guides x {args.capacity} places, on {ON}")
    print(f"propose(): median {seconds * 1000:.1f} ms over {args.runs} runs")
    for label, result in (("optimal", optimal), ("greedy ", baseline)):
        matched, left = len(result.proposals), len(result.unmatched)
        print(f"{label}: total score {result.total_score:.1f}, {matched} matched, {left} unmatched")
    print(f"optimal beats greedy by {gain:.1f}%")


if __name__ == "__main__":
    main()
