"""The scheduler: work that comes due at a time (a cohort's check-ins, their reminders), each job run once.

A job is a row (kind, subject, due_at), planned in the transaction that decides it; (kind, subject) is
unique, so planning it twice keeps one. The scheduler takes the oldest due job with `FOR UPDATE SKIP
LOCKED`, runs it and marks it done in that same transaction: a crash rolls both back, so the job runs
again after the restart, and a job that came due while the server was down runs when it is back, once.
An idle tick is one lookup in the (status, due_at) index, whatever the number of people.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.clock import Clock, system_clock
from bot.config import DIALOG_IDLE_DAYS
from bot.programs import ProgramCatalog
from storage.db import Database, insert_or_merge
from storage.models import Job

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
ROUND_LIMIT = 100  # jobs one run_due runs at most, so a backlog cannot starve the caller


@dataclass
class JobContext:
    """What a job handler works with: the job, its transaction, the time and the program files."""

    session: AsyncSession
    job: Job
    now: datetime
    programs: ProgramCatalog
    dialog_idle_days: int = DIALOG_IDLE_DAYS  # DIALOG_IDLE_DAYS: retention forgets dialogs idle this long


JobHandler = Callable[[JobContext], Awaitable[None]]


async def schedule(session: AsyncSession, kind: str, subject: str, due_at: datetime, now: datetime) -> None:
    """Plan a job in the caller's transaction, unless (kind, subject) is planned already."""
    values = {"kind": kind, "subject": subject, "status": "pending", "due_at": due_at, "attempts": 0}
    statement = insert_or_merge(session, Job).values(**values, created_at=now).on_conflict_do_nothing()
    await session.execute(statement)


class Scheduler:
    """Runs due jobs through their handlers, one transaction each."""

    def __init__(
        self,
        db: Database,
        programs: ProgramCatalog,
        handlers: dict[str, JobHandler],
        clock: Clock = system_clock,
        *,
        dialog_idle_days: int = DIALOG_IDLE_DAYS,
    ) -> None:
        self.db, self.programs, self.handlers, self.clock = db, programs, handlers, clock
        self.dialog_idle_days = dialog_idle_days
        metrics.known_jobs(list(handlers))

    async def run(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        while not stop.is_set():
            try:
                await self.run_due()
            except Exception as exc:  # the database may be away for a moment: try again next tick
                log.error("scheduler tick failed error=%s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def run_due(self) -> int:
        """Run the jobs due now; returns how many ran."""
        ran = 0
        for _ in range(ROUND_LIMIT):
            outcome = await self._run_next()
            if outcome is None:
                break
            ran += outcome
        return ran

    async def _run_next(self) -> int | None:
        """1 if a job ran, 0 if it failed (put off), None if nothing is due."""
        now = self.clock()
        job_id: int | None = None
        kind = metrics.OTHER  # a job kind no handler knows is counted under "other"
        try:
            async with self.db.transaction() as session:
                query = (
                    select(Job)
                    .where(Job.status == "pending", Job.due_at <= now)
                    .order_by(Job.due_at, Job.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
                job = (await session.execute(query)).scalar_one_or_none()
                if job is None:
                    return None
                job_id = job.id
                handler = self.handlers.get(job.kind)
                kind = job.kind if handler is not None else metrics.OTHER
                metrics.job_started(kind, (now - job.due_at).total_seconds())
                if handler is not None:
                    await handler(JobContext(session, job, now, self.programs, self.dialog_idle_days))
                else:
                    log.error("job kind has no handler id=%s kind=%s", job.id, job.kind)
                    metrics.job_failed(kind)
                job.status, job.done_at = ("done" if handler else "failed"), now
        except Exception as exc:
            if job_id is None:
                raise
            log.error("job failed id=%s error=%s", job_id, type(exc).__name__)
            metrics.job_failed(kind)
            await self._put_off(job_id, type(exc).__name__, now)
            return 0
        log.info("job done id=%s kind=%s", job.id, job.kind)
        return 1

    async def _put_off(self, job_id: int, error: str, now: datetime) -> None:
        async with self.db.transaction() as session:
            job = await session.get_one(Job, job_id)
            job.attempts += 1
            job.error = error
            if job.attempts >= MAX_ATTEMPTS:
                job.status = "failed"
            else:
                job.due_at = now + timedelta(minutes=2**job.attempts)
