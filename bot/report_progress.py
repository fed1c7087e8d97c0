"""The report's figures on pairs against the program's numbers, as the program means them, and on pairs in
touch through the relay, by month (bot/reports.py shows them). Counts only: never what anyone said.

- a minimum of sessions (SIG-ALICE): pairs at or above it, sessions held here or reported at check-ins;
- a maximum (AAHSL): pairs that used all of it, sessions booked or held here, as booking counts them;
- hours of contact (ALCTS): pairs with at least the minimum, held sessions plus reported hours;
- pairs behind pace, where the program has a minimum and its sessions phase is under way (bot/progress.py).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import Bar, Panel
from bot.cohorts import add_months
from bot.i18n import _, month_year, ngettext, short_month_year
from bot.programs import Program
from bot.progress import NOTHING, cohort_progress, expected_by, is_behind
from storage.models import Cohort, Pair, RelayCount


@dataclass(frozen=True)
class ProgressFigures:
    pairs: int  # pairs meant to meet: active, or completed with the program
    at_minimum: int | None  # at or above the minimum of sessions; None: no such minimum
    used_all: int | None  # used the whole maximum; None: no maximum
    with_hours: int | None  # at least the minimum hours of contact; None: hours not counted
    behind: int | None  # active, unpaused pairs behind pace today; None: no pace (no minimum, or outside the phase)
    relay_months: list[tuple[date, int]]  # each month of the cohort so far: pairs that relayed a message


async def progress_figures(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> ProgressFigures:
    rules = program.one_to_one
    assert rules is not None
    working = select(Pair.id, Pair.status, Pair.paused_until).where(
        Pair.cohort_id == cohort.id, Pair.status.in_(("active", "completed"))
    )
    rows = (await session.execute(working)).all()
    statuses = {pair_id: status for pair_id, status, _paused in rows}
    paused = {pair_id for pair_id, _status, until in rows if until is not None and until >= now.date()}
    figures = await cohort_progress(session, cohort.id, now)
    shown = [figures.get(pair_id, NOTHING) for pair_id in statuses]
    expected = expected_by(cohort, program, now.date())  # None once the sessions phase is over
    behind = None
    if expected is not None:
        active = [
            figures.get(pair_id, NOTHING)
            for pair_id, status in statuses.items()
            if status == "active" and pair_id not in paused  # a paused pair is not behind: it is away
        ]
        behind = sum(1 for progress in active if is_behind(progress, rules, expected))
    minimum, maximum, hours = rules.minimum, rules.maximum, rules.minimum_hours
    return ProgressFigures(
        len(statuses),
        sum(1 for p in shown if p.sessions >= minimum) if minimum is not None else None,
        sum(1 for p in shown if p.used >= maximum) if maximum is not None else None,
        sum(1 for p in shown if p.hours >= hours) if hours is not None and rules.counts_hours else None,
        behind,
        await relay_months(session, cohort, now) if program.relay else [],
    )


async def relay_months(session: AsyncSession, cohort: Cohort, now: datetime) -> list[tuple[date, int]]:
    """From the cohort's first month to this one (or its last): how many pairs relayed at least one message."""
    rows = await session.execute(
        select(RelayCount.month, func.count(func.distinct(RelayCount.pair_id)))
        .join(Pair, Pair.id == RelayCount.pair_id)
        .where(Pair.cohort_id == cohort.id, RelayCount.from_guide + RelayCount.from_guided > 0)
        .group_by(RelayCount.month)
    )
    counts = dict(rows.all())
    month, last = cohort.starts_on.replace(day=1), min(now.date(), cohort.ends_on).replace(day=1)
    months = []
    while month <= last:
        months.append((month, counts.get(f"{month:%Y-%m}", 0)))
        month = add_months(month, 1)
    return months


# In words and as bars


def progress_lines(figures: ProgressFigures, program: Program) -> list[str]:
    rules = program.one_to_one
    assert rules is not None
    parts = []
    pairs = figures.pairs
    if figures.at_minimum is not None:
        parts.append(
            ngettext(
                "{count} of {pairs} pair at or above the minimum of {minimum} sessions (held or reported)",
                "{count} of {pairs} pairs at or above the minimum of {minimum} sessions (held or reported)",
                pairs,
            ).format(count=figures.at_minimum, pairs=pairs, minimum=rules.minimum)
        )
    if figures.used_all is not None:
        parts.append(
            ngettext(
                "{count} of {pairs} pair used all {maximum} sessions",
                "{count} of {pairs} pairs used all {maximum} sessions",
                pairs,
            ).format(count=figures.used_all, pairs=pairs, maximum=rules.maximum)
        )
    if figures.with_hours is not None:
        parts.append(
            ngettext(
                "{count} of {pairs} pair with at least {hours} hours of contact (held sessions plus reported hours)",
                "{count} of {pairs} pairs with at least {hours} hours of contact (held sessions plus reported hours)",
                pairs,
            ).format(count=figures.with_hours, pairs=pairs, hours=f"{rules.minimum_hours:g}")
        )
    if figures.behind is not None:
        parts.append(_("{count} behind pace").format(count=figures.behind))
    lines = [_("*Against the program's numbers:* {figures}").format(figures="; ".join(parts))] if parts else []
    if program.relay:
        months = ", ".join(f"{month_year(month)} {count}" for month, count in figures.relay_months) or _("none yet")
        lines.append(_("*Pairs in touch through the relay, by month:* {months}").format(months=months))
    return lines


def progress_panels(figures: ProgressFigures, program: Program) -> list[Panel]:
    """The same figures as bars: pairs against the program's numbers, and relay use by month."""
    rules = program.one_to_one
    assert rules is not None
    bars = []
    if figures.at_minimum is not None:
        label = _("At least {minimum} sessions").format(minimum=rules.minimum)
        bars.append(Bar(label, figures.at_minimum, figures.pairs))
    if figures.used_all is not None:
        bars.append(Bar(_("Used all {maximum}").format(maximum=rules.maximum), figures.used_all, figures.pairs))
    if figures.with_hours is not None:
        label = _("At least {hours} hours").format(hours=f"{rules.minimum_hours:g}")
        bars.append(Bar(label, figures.with_hours, figures.pairs))
    if figures.behind is not None:
        bars.append(Bar(_("Behind pace"), figures.behind))
    panels = [Panel(_("Pairs against the program's numbers"), tuple(bars), _("pairs"))] if bars else []
    if figures.relay_months:
        relayed = tuple(Bar(short_month_year(month), count, figures.pairs) for month, count in figures.relay_months)
        panels.append(Panel(_("Pairs in touch through the relay"), relayed, _("pairs")))
    return panels
