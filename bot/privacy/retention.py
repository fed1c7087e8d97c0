"""Retention by rule: what the daily housekeeping removes, and when (issue 17).

The daily job (`prune-events`, bot/jobs.py, 03:00 UTC) runs `sweep`: each rule below removes at most
BATCH rows in the job's own transaction, so no write lock is held long; when a rule had more to remove, a
follow-up job (`retention-more`) comes due at once and goes on in a transaction of its own. Every rule
picks only what is still there to remove, so a second run changes nothing.

- A dialog left idle (no answer) for DIALOG_IDLE_DAYS (bot/config.py, default 30) is forgotten: a person
  who comes back starts again; an application draft's answers are in the applications table, so `apply`
  goes on where they left it.
- The answers and materials of an application that ended without a place (withdrawn, declined,
  ineligible) are emptied at the program's retention point (`[retention]` in the program file: the
  cohort's end by default, or the decision, plus some days). The row stays, with its status, dates and
  roles, so counts hold; views say the texts were removed (`removed_words`).
- Short-lived links, Slack's OAuth states, delivered messages, done jobs and Slack event ids: the periods
  in RETENTION_DAYS.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, delete, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import DIALOG_IDLE_DAYS
from bot.ending import end_moment
from bot.i18n import _, ngettext
from bot.programs import Program, ProgramCatalog
from bot.scheduler import JobContext, JobHandler, schedule
from storage.models import (
    Application,
    Cohort,
    DataExportLink,
    DialogState,
    ExportLink,
    Job,
    OutboxMessage,
    ProcessedEvent,
    SlackOAuthState,
)

MORE = "retention-more"
BATCH = 500  # rows one transaction removes at most

KEEP_EVENT_IDS = 2  # Slack retries an event for minutes, never days
KEEP_EXPIRED_LINKS = 1  # a link opened just after it expired is answered "expired", not "unknown", for a day
KEEP_SENT_MESSAGES = 30  # a sent message holds what it said (an announcement); App Home counts 30 days back
KEEP_FAILED_MESSAGES = 90  # coordinators are shown failed deliveries and may ask the person to write first
KEEP_DONE_JOBS = 90  # a done job keeps it from being planned twice; planners look back weeks, not months

# Days a row is kept, for the README's data table: idle dialog state by DIALOG_IDLE_DAYS (the default here),
# links and OAuth states counted from their expiry, messages from being sent or failing, jobs from being done.
RETENTION_DAYS: dict[str, int] = {
    "dialog_states": DIALOG_IDLE_DAYS,
    "processed_events": KEEP_EVENT_IDS,
    "export_links": KEEP_EXPIRED_LINKS,
    "data_export_links": KEEP_EXPIRED_LINKS,
    "slack_oauth_states": 0,
    "outbox_sent": KEEP_SENT_MESSAGES,
    "outbox_failed": KEEP_FAILED_MESSAGES,
    "jobs_done": KEEP_DONE_JOBS,
}

ENDED = ("withdrawn", "declined", "ineligible")  # applications whose texts are removed at the retention point
EMPTY = "{}"
# Sent notices whose ref says "told once" (bot/outbox/notices.py, dialogs/pair_quiet.py): kept, or the
# coordinators would be told again. They name the person, never what anyone wrote.
TOLD_ONCE = ("unreached:%", "quiet-unreachable:%")

Rule = Callable[[JobContext, int], Awaitable[int]]


# The daily work


async def sweep(context: JobContext) -> None:
    """One batch of every rule; a follow-up job right away when any rule had more to remove."""
    budget = BATCH
    for rule in RULES:
        budget -= await rule(context, budget)
        if budget <= 0:
            await schedule(context.session, MORE, f"after:{context.job.id}", context.now, context.now)
            return


async def _idle_dialogs(context: JobContext, limit: int) -> int:
    idle = DialogState.updated_at < _days_ago(context, context.dialog_idle_days)
    return await _delete_some(context.session, DialogState, (DialogState.key,), idle, limit)


async def _event_ids(context: JobContext, limit: int) -> int:
    old = ProcessedEvent.received_at < _days_ago(context, KEEP_EVENT_IDS)
    key = (ProcessedEvent.platform, ProcessedEvent.event_id)
    return await _delete_some(context.session, ProcessedEvent, key, old, limit)


async def _export_links(context: JobContext, limit: int) -> int:
    expired = ExportLink.expires_at < _days_ago(context, KEEP_EXPIRED_LINKS)
    return await _delete_some(context.session, ExportLink, (ExportLink.token,), expired, limit)


async def _data_export_links(context: JobContext, limit: int) -> int:
    expired = DataExportLink.expires_at < _days_ago(context, KEEP_EXPIRED_LINKS)
    return await _delete_some(context.session, DataExportLink, (DataExportLink.token,), expired, limit)


async def _oauth_states(context: JobContext, limit: int) -> int:
    expired = SlackOAuthState.expires_at < context.now
    return await _delete_some(context.session, SlackOAuthState, (SlackOAuthState.state,), expired, limit)


async def _sent_messages(context: JobContext, limit: int) -> int:
    sent = and_(
        OutboxMessage.status == "sent",
        OutboxMessage.sent_at < _days_ago(context, KEEP_SENT_MESSAGES),
        or_(OutboxMessage.ref.is_(None), and_(*(OutboxMessage.ref.not_like(pattern) for pattern in TOLD_ONCE))),
    )
    return await _delete_some(context.session, OutboxMessage, (OutboxMessage.id,), sent, limit)


async def _failed_messages(context: JobContext, limit: int) -> int:
    failed = and_(OutboxMessage.status == "failed", OutboxMessage.created_at < _days_ago(context, KEEP_FAILED_MESSAGES))
    return await _delete_some(context.session, OutboxMessage, (OutboxMessage.id,), failed, limit)


async def _done_jobs(context: JobContext, limit: int) -> int:
    done = and_(Job.status == "done", Job.done_at < _days_ago(context, KEEP_DONE_JOBS))
    return await _delete_some(context.session, Job, (Job.id,), done, limit)


async def _application_texts(context: JobContext, limit: int) -> int:
    """Empty the answers and materials of ended applications whose program's retention point has passed."""
    due = await _texts_due(context.session, context.programs, context.now)
    if due is None:
        return 0
    has_texts = or_(cast(Application.answers, String) != EMPTY, cast(Application.materials, String) != EMPTY)
    ids = select(Application.id).where(Application.status.in_(ENDED), has_texts, due).order_by(Application.id)
    chosen = list((await context.session.execute(ids.limit(limit))).scalars())
    if chosen:
        emptied = update(Application).where(Application.id.in_(chosen)).values(answers={}, materials={})
        await context.session.execute(emptied.execution_options(synchronize_session=False))
    return len(chosen)


RULES: tuple[Rule, ...] = (
    _idle_dialogs,
    _application_texts,
    _export_links,
    _data_export_links,
    _oauth_states,
    _sent_messages,
    _failed_messages,
    _done_jobs,
    _event_ids,
)
JOBS: dict[str, JobHandler] = {MORE: sweep}


# Application texts: the retention point


def texts_removed_at(application: Application, cohort: Cohort, program: Program) -> datetime:
    """When the texts of this application, once it ended without a place, are removed."""
    rule = program.retention
    days = timedelta(days=rule.application_texts_days)
    if rule.application_texts_from == "decision":
        return _decided(application) + days
    return end_moment(cohort, program) + days


def texts_removed(application: Application, cohort: Cohort, program: Program, now: datetime) -> bool:
    """The application's answers and materials were removed under the program's retention rule."""
    return (
        application.status in ENDED
        and not application.answers
        and not application.materials
        and now >= texts_removed_at(application, cohort, program)
    )


def removed_words(program: Program) -> str:
    """ "its answers and materials were removed under the program's retention rule (at the cohort's end)" """
    rule = program.retention
    days = rule.application_texts_days
    if rule.application_texts_from == "cohort_end":
        if not days:
            return _("its answers and materials were removed under the program's retention rule (at the cohort's end)")
        return ngettext(
            "its answers and materials were removed under the program's retention rule ({days} day after the "
            "cohort's end)",
            "its answers and materials were removed under the program's retention rule ({days} days after the "
            "cohort's end)",
            days,
        ).format(days=days)
    if not days:
        return _("its answers and materials were removed under the program's retention rule (at the decision)")
    return ngettext(
        "its answers and materials were removed under the program's retention rule ({days} day after the decision)",
        "its answers and materials were removed under the program's retention rule ({days} days after the decision)",
        days,
    ).format(days=days)


def _decided(application: Application) -> datetime:
    """The application's last change: its decision, or its withdrawal or end (which moves `updated_at`)."""
    moments = [moment for moment in (application.decided_at, application.updated_at) if moment is not None]
    return max(moments)


async def _texts_due(session: AsyncSession, programs: ProgramCatalog, now: datetime) -> Any:
    """Which applications' retention point has passed, as a condition: by cohort for programs that count from
    the cohort's end, by the decision's date for the others. None: none can be due."""
    ended: list[int] = []  # cohorts whose point has passed
    by_decision: dict[int, list[int]] = {}  # days after the decision -> the cohorts of programs that say so
    for cohort in (await session.execute(select(Cohort))).scalars():
        program = programs.get(cohort.program_id)
        if program is None:
            continue  # a program whose file is gone: its rule is unknown, nothing is removed
        rule = program.retention
        if rule.application_texts_from == "decision":
            by_decision.setdefault(rule.application_texts_days, []).append(cohort.id)
        elif now >= end_moment(cohort, program) + timedelta(days=rule.application_texts_days):
            ended.append(cohort.id)
    conditions = [Application.cohort_id.in_(ended)] if ended else []
    for days, cohort_ids in by_decision.items():
        before = now - timedelta(days=days)
        decided = or_(Application.decided_at.is_(None), Application.decided_at <= before)
        conditions.append(and_(Application.cohort_id.in_(cohort_ids), Application.updated_at <= before, decided))
    return or_(*conditions) if conditions else None


# Helpers


def _days_ago(context: JobContext, days: int) -> datetime:
    return context.now - timedelta(days=days)


async def _delete_some(session: AsyncSession, model: type, key: tuple[Any, ...], condition: Any, limit: int) -> int:
    """Delete at most `limit` rows meeting `condition`, picked by their primary key."""
    if limit <= 0:
        return 0
    picked = select(*key).where(condition).limit(limit)
    chosen = key[0].in_(picked) if len(key) == 1 else tuple_(*key).in_(picked)
    result = await session.execute(delete(model).where(chosen).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
