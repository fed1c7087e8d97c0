"""Benchmark: what `report` and `report survey` cost for a large cohort, and the chart's size.

    .venv/bin/python bench/report.py [--people 1000] [--runs 20] [--database-url URL]

On a fresh SQLite file (or the empty database URL given), with the clock at Monday 23 November 2026,
15:00 UTC: migrates, seeds the demo (its AAHSL final evaluation open), adds PEOPLE people
(tests/crowd.py add_crowd) to the demo AAHSL cohort, half coaches and half participants, in PEOPLE / 2
active pairs (bulk-inserted), runs the real scheduler so its final evaluation opens (one invitation
each), and lets every person answer every question through bot.surveys.record_answer (the dialog's own
write). It then times, RUNS times each with time.perf_counter after two untimed runs:
bot.reports.cohort_report (every figure of `report`), bot.surveys.question_results (every figure of
`report survey`), bot.charts.render_png on the report's panels, and bot.surveys.export_csv. It prints
medians, p95s, the PNG's size and the CSV's length; figures only, it never fails on timing.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bot import jobs, reports, surveys  # noqa: E402
from bot.charts import render_png  # noqa: E402
from bot.demo import AAHSL, running_cohort, seed_demo  # noqa: E402
from bot.programs import load_programs  # noqa: E402
from bot.scheduler import Scheduler  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Pair, SurveyInvitation  # noqa: E402
from tests.crowd import add_crowd  # noqa: E402

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ANSWERS = {"scale": 4, "single": "Yes", "multiple": ["Video"], "text": "More evening slots"}


async def timed(runs: int, work: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    for _ in range(2):
        result = await work()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await work()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return statistics.median(seconds) * 1000, seconds[int(0.95 * (len(seconds) - 1))] * 1000, result


async def main(people: int, runs: int, url: str) -> None:
    db = Database(url)
    await migrate.upgrade(db)
    programs = load_programs(ROOT / "programs")
    program = programs.get(AAHSL)
    assert program is not None
    await seed_demo(db, programs, NOW, open_survey=True)  # the AAHSL final evaluation is open
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(AAHSL))).scalar_one()
    started = time.perf_counter()
    coaches = await add_crowd(db, cohort.id, people // 2, NOW, role="coach")
    guided = await add_crowd(db, cohort.id, people // 2, NOW, first=people // 2 + 1)
    async with db.transaction() as session:
        rows = [
            {"cohort_id": cohort.id, "guide_id": c, "guided_id": g, "status": "active", "created_at": NOW}
            for c, g in zip(coaches, guided, strict=True)
        ]
        await session.execute(insert(Pair), rows)
    await Scheduler(db, programs, jobs.ALL, lambda: NOW).run_due()
    survey = program.surveys[0]
    async with db.transaction() as session:
        invitations = list(
            (await session.execute(select(SurveyInvitation).where(SurveyInvitation.cohort_id == cohort.id))).scalars()
        )
        for invitation in invitations:
            for index, question in enumerate(survey.questions):
                await surveys.record_answer(session, invitation, survey, index, ANSWERS[question.kind])
    if len(invitations) < people:
        sys.exit(f"only {len(invitations)} of {people} people were invited: the survey did not open")
    print(f"{people:,} people, {len(invitations):,} invitations, {len(invitations) * len(survey.questions):,} answers")
    print(f"setup {time.perf_counter() - started:.1f} s")

    async def report() -> reports.CohortReport:
        async with db.transaction() as session:
            return await reports.cohort_report(session, cohort, program, NOW)

    async def results() -> list[surveys.QuestionResult]:
        async with db.transaction() as session:
            return await surveys.question_results(session, cohort, survey)

    median, p95, figures = await timed(runs, report)
    print(f"cohort_report       median {median:7.1f} ms  p95 {p95:7.1f} ms")
    median, p95, answered = await timed(runs, results)
    print(f"question_results    median {median:7.1f} ms  p95 {p95:7.1f} ms")
    panels = reports.chart_panels(figures)

    async def chart() -> bytes:
        return await asyncio.to_thread(render_png, "AAHSL coaching pilot", panels)

    median, p95, png = await timed(runs, chart)
    print(f"render_png          median {median:7.1f} ms  p95 {p95:7.1f} ms  ({len(png):,} bytes, {len(panels)} panels)")

    async def export() -> str:
        return surveys.export_csv(answered, cohort, survey)

    median, p95, text = await timed(runs, export)
    print(f"export_csv          median {median:7.1f} ms  p95 {p95:7.1f} ms  ({len(text):,} characters)")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-report-")
    asyncio.run(main(args.people, args.runs, args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"))
