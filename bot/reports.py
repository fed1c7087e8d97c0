"""A cohort's figures for its coordinators: pairs, sessions against the quota, peer groups, coach hours,
check-ins, survey response rates. Numbers only, never anything anyone said.

Check-in answers are shown as totals only from MIN_GROUP answers up: a person was promised that the
coordinators hear about their answer only if they ask for help, so "need help" is the one answer shown
with names.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import hours, report_progress, surveys
from bot.charts import Bar, Panel
from bot.checkins import ANSWERS
from bot.cohorts import add_months
from bot.programs import Program
from bot.surveys import MIN_GROUP, ResponseRate
from storage.models import CheckIn, CoachingSession, Cohort, GroupSeat, GroupSession, Membership, Pair, Person


@dataclass(frozen=True)
class PairFigures:
    active: int
    ended: int  # ended before the program did (mutual consent, withdrawal)
    unpaired: int  # people in the guided role with no pair running or completed
    completed: int = 0  # ran until the program ended (bot/ending.py)

    @property
    def working(self) -> int:
        """Pairs that are, or were until the end, meant to meet: the base of the session quota."""
        return self.active + self.completed


@dataclass(frozen=True)
class SessionFigures:
    quota: int | None  # sessions each pair is meant to have; None where the program counts hours
    minimum_hours: float | None
    held: int  # took place, or booked and over without a different outcome
    held_minutes: int
    upcoming: int
    missed: int
    pairs_at_quota: int


@dataclass(frozen=True)
class GroupFigures:
    quota: int | None  # peer-group sessions each participant is meant to join
    held: int
    upcoming: int
    places_taken: int  # in sessions held
    places: int  # capacity of sessions held
    people_joined: int  # distinct people with a place in a session held


@dataclass(frozen=True)
class HoursFigures:
    month: date
    under: int
    within: int
    over: int
    total_minutes: int
    commitment: str


@dataclass(frozen=True)
class CheckInFigures:
    asked_on: date | None  # the latest check-in date
    asked: int
    answers: dict[str, int] | None  # None when fewer than MIN_GROUP answered: hidden
    unanswered: int
    need_help: list[tuple[str, date]]  # open requests: whose latest answer is "need help", and when


@dataclass(frozen=True)
class CohortReport:
    cohort: Cohort
    program: Program
    pairs: PairFigures
    sessions: SessionFigures | None
    groups: GroupFigures | None
    hours: HoursFigures | None
    check_ins: CheckInFigures
    surveys: list[ResponseRate]
    progress: report_progress.ProgressFigures | None = None  # pairs against the program's numbers


async def cohort_report(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> CohortReport:
    return CohortReport(
        cohort,
        program,
        await _pairs(session, cohort, program),
        await _sessions(session, cohort, program, now) if program.one_to_one else None,
        await _groups(session, cohort, program, now) if program.peer_groups else None,
        await _hours(session, cohort, program, min(now.date(), cohort.ends_on)) if program.coach_hours else None,
        await _check_ins(session, cohort),
        await surveys.response_rates(session, cohort, program),
        await report_progress.progress_figures(session, cohort, program, now) if program.one_to_one else None,
    )


async def _pairs(session: AsyncSession, cohort: Cohort, program: Program) -> PairFigures:
    statuses = Counter(
        dict(
            (
                await session.execute(
                    select(Pair.status, func.count()).where(Pair.cohort_id == cohort.id).group_by(Pair.status)
                )
            ).all()
        )
    )
    paired = select(Pair.guided_id).where(Pair.cohort_id == cohort.id, Pair.status.in_(("active", "completed")))
    unpaired = await session.scalar(
        select(func.count(func.distinct(Membership.person_id))).where(
            Membership.cohort_id == cohort.id,
            Membership.role == program.guided_role,
            Membership.person_id.not_in(paired),
        )
    )
    return PairFigures(statuses["active"], statuses["ended"], unpaired or 0, statuses["completed"])


async def _sessions(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> SessionFigures:
    rules = program.one_to_one
    assert rules is not None
    query = (
        select(CoachingSession.pair_id, CoachingSession.status, CoachingSession.starts_at, CoachingSession.ends_at)
        .join(Pair, Pair.id == CoachingSession.pair_id)
        .where(Pair.cohort_id == cohort.id)
    )
    held = upcoming = missed = held_minutes = 0
    held_by_pair: Counter[int] = Counter()
    for pair_id, status, starts_at, ends_at in await session.execute(query):
        if status == "held" or (status == "booked" and ends_at <= now):
            held += 1
            held_minutes += int((ends_at - starts_at).total_seconds() // 60)
            held_by_pair[pair_id] += 1
        elif status == "booked":
            upcoming += 1
        elif status == "no_show":
            missed += 1
    target = rules.minimum or rules.maximum
    at_quota = sum(1 for n in held_by_pair.values() if target and n >= target)
    return SessionFigures(target, rules.minimum_hours, held, held_minutes, upcoming, missed, at_quota)


async def _groups(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> GroupFigures:
    rules = program.peer_groups
    assert rules is not None
    groups = (
        await session.execute(
            select(GroupSession.id, GroupSession.ends_at, GroupSession.capacity).where(
                GroupSession.cohort_id == cohort.id,
                GroupSession.kind == "peer-group",  # the table's other rows are events
                GroupSession.status == "scheduled",
            )
        )
    ).all()
    past = {group_id: capacity for group_id, ends_at, capacity in groups if ends_at <= now}
    seats = (
        (
            await session.execute(
                select(GroupSeat.group_id, GroupSeat.person_id).where(GroupSeat.group_id.in_(list(past)))
            )
        ).all()
        if past
        else []
    )
    return GroupFigures(
        rules.minimum or rules.maximum,
        len(past),
        len(groups) - len(past),
        len(seats),
        sum(past.values()),
        len({person_id for _group, person_id in seats}),
    )


async def _hours(session: AsyncSession, cohort: Cohort, program: Program, today: date) -> HoursFigures:
    rules = program.coach_hours
    assert rules is not None
    month = today.replace(day=1)
    if today.day < 10:  # early in a month its totals say little: show the month just ended
        month = add_months(month, -1)
    totals = await hours.month_totals(session, cohort.id, month)
    coaches = await hours.coaches_of(session, cohort, program)
    standings = Counter(hours.standing(totals.get(coach.id, 0), rules) for coach in coaches)
    return HoursFigures(
        month, standings["under"], standings["within"], standings["over"], sum(totals.values()), hours.commitment(rules)
    )


async def _check_ins(session: AsyncSession, cohort: Cohort) -> CheckInFigures:
    latest = await session.scalar(select(func.max(CheckIn.asked_on)).where(CheckIn.cohort_id == cohort.id))
    need_help = await _open_requests(session, cohort)
    if latest is None:
        return CheckInFigures(None, 0, None, 0, need_help)
    rows = (
        await session.execute(
            select(CheckIn.status, func.count())
            .where(CheckIn.cohort_id == cohort.id, CheckIn.asked_on == latest)
            .group_by(CheckIn.status)
        )
    ).all()
    counts = Counter({status: n for status, n in rows})
    unanswered = counts.pop(None, 0)
    answered = sum(counts.values())
    answers = {label: counts.get(key, 0) for key, label in ANSWERS.items()} if answered >= MIN_GROUP else None
    return CheckInFigures(latest, answered + unanswered, answers, unanswered, need_help)


async def _open_requests(session: AsyncSession, cohort: Cohort) -> list[tuple[str, date]]:
    """People whose latest answered check-in in the cohort asked for help."""
    latest = (
        select(CheckIn.person_id, func.max(CheckIn.asked_on).label("asked_on"))
        .where(CheckIn.cohort_id == cohort.id, CheckIn.status.is_not(None))
        .group_by(CheckIn.person_id)
        .subquery()
    )
    query = (
        select(Person.display_name, CheckIn.asked_on)
        .join(latest, (latest.c.person_id == CheckIn.person_id) & (latest.c.asked_on == CheckIn.asked_on))
        .join(Person, Person.id == CheckIn.person_id)
        .where(CheckIn.cohort_id == cohort.id, CheckIn.status == "need_help")
        .order_by(CheckIn.asked_on, Person.display_name)
    )
    return [(name, asked_on) for name, asked_on in await session.execute(query)]


# As text and as a chart


def report_lines(report: CohortReport) -> list[str]:
    lines = [_pairs_line(report.pairs, report.program)]
    if report.sessions:
        lines.append(_sessions_line(report.sessions, report.pairs.working, report.program))
    if report.progress:
        lines.extend(report_progress.progress_lines(report.progress, report.program))
    if report.groups:
        lines.append(_groups_line(report.groups))
    if report.hours:
        lines.append(_hours_line(report.hours, report.program))
    lines.append(_check_ins_line(report.check_ins))
    lines.extend(_survey_line(rate) for rate in report.surveys)
    return lines


def _pairs_line(pairs: PairFigures, program: Program) -> str:
    if pairs.completed:
        return (
            f"*Pairs:* {pairs.completed} completed the program, {pairs.ended} ended earlier; "
            f"{pairs.unpaired} {role_plural(program.guided_role, pairs.unpaired)} without a {program.guide_role} "
            "at the end"
        )
    return (
        f"*Pairs:* {pairs.active} active, {pairs.ended} ended; "
        f"{pairs.unpaired} {role_plural(program.guided_role, pairs.unpaired)} without a {program.guide_role}"
    )


def _sessions_line(sessions: SessionFigures, active_pairs: int, program: Program) -> str:
    if sessions.quota and program.one_to_one:
        quota = f" of {sessions.quota * active_pairs} ({program.one_to_one.quota_words()} a pair)"
    elif sessions.minimum_hours:
        quota = f" ({sessions.held_minutes / 60:.1f} hours; at least {sessions.minimum_hours:g} hours a pair expected)"
    else:
        quota = ""
    ahead = f"{sessions.upcoming} booked ahead, {sessions.missed} missed"
    return f"*One-to-one sessions:* {sessions.held} held{quota}; {ahead}"


def _groups_line(groups: GroupFigures) -> str:
    filled = f"{groups.places_taken} of {groups.places} places taken" if groups.places else "no places yet"
    quota = f"; each participant is meant to join {groups.quota}" if groups.quota else ""
    return (
        f"*Peer groups:* {groups.held} held ({filled}, {groups.people_joined} different people), "
        f"{groups.upcoming} coming{quota}"
    )


def _hours_line(figures: HoursFigures, program: Program) -> str:
    guides = role_plural(program.guide_role, figures.under + figures.within + figures.over)
    return (
        f"*{program.guide_role.title()} hours, {figures.month:%B %Y}:* {figures.total_minutes / 60:.1f} hours logged; "
        f"{guides} under the commitment ({figures.commitment}): {figures.under}, within: {figures.within}, "
        f"over: {figures.over}"
    )


def _check_ins_line(figures: CheckInFigures) -> str:
    if figures.asked_on is None:
        text = "*Check-ins:* none sent yet"
    elif figures.answers is None:
        text = (
            f"*Check-ins of {figures.asked_on:%d %b %Y}:* {figures.asked - figures.unanswered} of {figures.asked} "
            f"answered (the answers are shown from {MIN_GROUP} answers up)"
        )
    else:
        shown = ", ".join(f"{label.lower()} {n}" for label, n in figures.answers.items())
        text = f"*Check-ins of {figures.asked_on:%d %b %Y}:* {shown}, no answer yet {figures.unanswered}"
    if figures.need_help:
        names = ", ".join(f"{name} ({day:%d %b})" for name, day in figures.need_help)
        text += f". *Open requests for help:* {names}"
    return text


def _survey_line(rate: ResponseRate) -> str:
    if rate.invited == 0:
        return f"*Survey “{rate.survey.title}”:* opens {rate.opens:%d %b %Y}"
    return (
        f"*Survey “{rate.survey.title}”:* {rate.finished} of {rate.invited} answered ({rate.percent}%), "
        f"{rate.started} part way; open {rate.opens:%d %b} to {rate.closes:%d %b %Y}"
    )


def role_plural(role: str, count: int = 2) -> str:
    """A role's name for `count` people: "1 coach", "2 coaches", "3 mentees"."""
    if count == 1:
        return role
    return f"{role}es" if role.endswith("ch") else f"{role}s"


def chart_panels(report: CohortReport) -> list[Panel]:
    """The same figures as bars, where a picture reads better: progress against targets."""
    panels = []
    if report.sessions:
        target = report.sessions.quota * report.pairs.working if report.sessions.quota else None
        panels.append(
            Panel(
                "One-to-one sessions",
                (
                    Bar("Held", report.sessions.held, target),
                    Bar("Booked ahead", report.sessions.upcoming),
                    Bar("Missed", report.sessions.missed),
                ),
                "sessions",
            )
        )
    if report.progress:
        panels.extend(report_progress.progress_panels(report.progress, report.program))
    if report.groups:
        panels.append(
            Panel(
                "Peer groups",
                (Bar("Places taken", report.groups.places_taken, report.groups.places or None),),
                "places",
            )
        )
    if report.hours:
        h = report.hours
        panels.append(
            Panel(
                f"{role_plural(report.program.guide_role).capitalize()} by hours, {h.month:%B %Y}",
                (Bar("Under", h.under), Bar("Within", h.within), Bar("Over", h.over)),
                "people",
            )
        )
    if report.check_ins.answers is not None:
        answers = report.check_ins.answers
        bars = (*(Bar(label, n) for label, n in answers.items()), Bar("No answer yet", report.check_ins.unanswered))
        panels.append(Panel("Latest check-in", bars, "people"))
    rates = [rate for rate in report.surveys if rate.invited]
    if rates:
        panels.append(Panel("Survey response rates", tuple(Bar(r.survey.title, r.percent, 100) for r in rates), "%"))
    return panels
