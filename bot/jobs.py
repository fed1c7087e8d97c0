"""Every kind of scheduled job and its handler (bot/scheduler.py runs them), and the housekeeping ones."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import checkins, confirmation, ending, hours, pace, quiet, surveys
from bot.privacy import retention
from bot.programs import Program, ProgramCatalog
from bot.scheduler import JobContext, JobHandler, schedule
from storage.db import Database
from storage.models import Cohort

PRUNE = "prune-events"  # the daily housekeeping; its name is older than the retention rules it now runs


async def prune_events(context: JobContext) -> None:
    """Remove what is kept no longer (bot/privacy/retention.py), and plan tomorrow's housekeeping."""
    await retention.sweep(context)
    await plan_pruning(context.session, context.now + timedelta(days=1), context.now)


async def plan_pruning(session: AsyncSession, day: datetime, now: datetime) -> None:
    at = day.replace(hour=3, minute=0, second=0, microsecond=0)
    await schedule(session, PRUNE, f"day:{at.date().isoformat()}", at, now)


ALL: dict[str, JobHandler] = {
    **checkins.JOBS,
    **hours.JOBS,
    **surveys.JOBS,
    **ending.JOBS,
    **confirmation.JOBS,
    **quiet.JOBS,
    **pace.JOBS,
    **retention.JOBS,
    PRUNE: prune_events,
}


async def plan_cohort(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> None:
    """A new cohort's scheduled work: its first check-in (and, from there, the rest), its surveys and its end."""
    await checkins.plan_next(session, cohort, program, now.date() - timedelta(days=1), now)
    await surveys.plan(session, cohort, program, now)
    await ending.plan(session, cohort, program, now)
    await quiet.plan(session, cohort, program, now)
    await pace.plan_next(session, cohort, program, now.date() - timedelta(days=1), now)


async def plan_all(db: Database, programs: ProgramCatalog, now: datetime) -> None:
    """At start: each running cohort's next check-in, and tonight's pruning (planning twice keeps one)."""
    await checkins.plan_all(db, programs, now)
    await surveys.plan_all(db, programs, now)
    await ending.plan_all(db, programs, now)
    await quiet.plan_all(db, programs, now)
    await pace.plan_all(db, programs, now)
    async with db.transaction() as session:
        await plan_pruning(session, now, now)
        await hours.plan_reminders(session, now)
