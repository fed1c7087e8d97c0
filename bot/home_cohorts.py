"""A coordinator's cohorts at a glance, for their home (bot/home.py): applications waiting for review,
active pairs, requests for help (dialogs/help_me.py) and failed deliveries (the outbox's failed rows) of
the last RECENT days. One query, a count per column; counts only, never what a message said."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cohorts import cohort_label
from bot.i18n import _, ngettext
from bot.programs import ProgramCatalog
from bot.roles import Roles
from storage.models import Application, Cohort, Membership, OutboxMessage, Pair

COHORTS_SHOWN = 10  # newest first
RECENT = timedelta(days=30)  # requests for help and failed deliveries counted
HELP_REQUEST = "help-request"  # dialogs/help_me.py's outbox kind; its ref is "help:PERSON:COHORT"
NOT_FAILURES = ("delivery-failure",)  # the notices about failures are not failures of the cohort's people


@dataclass(frozen=True)
class Glance:
    line: str  # "AAHSL (2026-27): 2 applications waiting for review, 5 pairs, ..."
    waiting: int  # applications waiting for review


async def glances(session: AsyncSession, roles: Roles, programs: ProgramCatalog, now: datetime) -> list[Glance]:
    """The cohorts `roles` coordinate that have not ended more than RECENT ago, newest first."""
    since = now - RECENT
    members = select(Membership.person_id).where(Membership.cohort_id == Cohort.id)
    waiting = (
        select(func.count(Application.id))
        .where(Application.cohort_id == Cohort.id, Application.status == "submitted")
        .scalar_subquery()
    )
    pairs = select(func.count(Pair.id)).where(Pair.cohort_id == Cohort.id, Pair.status == "active").scalar_subquery()
    help_ref = literal("help:%:").concat(cast(Cohort.id, String))
    helps = (
        select(func.count(func.distinct(OutboxMessage.ref)))
        .where(OutboxMessage.kind == HELP_REQUEST, OutboxMessage.created_at >= since, OutboxMessage.ref.like(help_ref))
        .scalar_subquery()
    )
    failed = (
        select(func.count(OutboxMessage.id))
        .where(
            OutboxMessage.status == "failed",
            OutboxMessage.kind.not_in(NOT_FAILURES),
            OutboxMessage.created_at >= since,
            OutboxMessage.person_id.in_(members),
        )
        .scalar_subquery()
    )
    query = (
        select(Cohort, waiting, pairs, helps, failed)
        .where(roles.coordinated_cohorts(), Cohort.ends_on >= since.date())
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        .limit(COHORTS_SHOWN)
    )
    found = []
    for cohort, waiting_count, pair_count, help_count, failed_count in (await session.execute(query)).all():
        program = programs.get(cohort.program_id)
        if program is None:
            continue
        counts = _(", ").join(
            (
                ngettext(
                    "{count} application waiting for review", "{count} applications waiting for review", waiting_count
                ).format(count=waiting_count),
                ngettext("{count} pair", "{count} pairs", pair_count).format(count=pair_count),
                ngettext("{count} request for help", "{count} requests for help", help_count).format(count=help_count),
                ngettext("{count} failed delivery", "{count} failed deliveries", failed_count).format(
                    count=failed_count
                ),
            )
        )
        line = _("{cohort}: {counts}").format(cohort=cohort_label(cohort, program), counts=counts)
        found.append(Glance(line, waiting_count))
    return found
