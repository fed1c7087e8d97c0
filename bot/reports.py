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
from bot.i18n import _, month_year, program_words, role_word, short_date, short_day_month_year
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
    answers: dict[str, int] | None  # by label (English: shown with _); None when fewer than MIN_GROUP answered
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
    guided, guide = role_word(program.guided_role, pairs.unpaired), role_word(program.guide_role)
    if pairs.completed:
        return _(
            "*Pairs:* {completed} completed the program, {ended} ended earlier; "
            "{unpaired} {guided} without a {guide} at the end"
        ).format(completed=pairs.completed, ended=pairs.ended, unpaired=pairs.unpaired, guided=guided, guide=guide)
    return _("*Pairs:* {active} active, {ended} ended; {unpaired} {guided} without a {guide}").format(
        active=pairs.active, ended=pairs.ended, unpaired=pairs.unpaired, guided=guided, guide=guide
    )


def _sessions_line(sessions: SessionFigures, active_pairs: int, program: Program) -> str:
    figures = {"held": sessions.held, "upcoming": sessions.upcoming, "missed": sessions.missed}
    if sessions.quota and program.one_to_one:
        return _(
            "*One-to-one sessions:* {held} held of {target} ({quota} a pair); {upcoming} booked ahead, {missed} missed"
        ).format(target=sessions.quota * active_pairs, quota=program.one_to_one.quota_words(), **figures)
    if sessions.minimum_hours:
        return _(
            "*One-to-one sessions:* {held} held ({hours} hours; at least {minimum} hours a pair expected); "
            "{upcoming} booked ahead, {missed} missed"
        ).format(hours=f"{sessions.held_minutes / 60:.1f}", minimum=f"{sessions.minimum_hours:g}", **figures)
    return _("*One-to-one sessions:* {held} held; {upcoming} booked ahead, {missed} missed").format(**figures)


def _groups_line(groups: GroupFigures) -> str:
    if groups.places:
        line = _(
            "*Peer groups:* {held} held ({taken} of {places} places taken, {people} different people), "
            "{upcoming} coming"
        )
    else:
        line = _("*Peer groups:* {held} held (no places yet, {people} different people), {upcoming} coming")
    text = line.format(
        held=groups.held,
        taken=groups.places_taken,
        places=groups.places,
        people=groups.people_joined,
        upcoming=groups.upcoming,
    )
    if groups.quota:
        return _("{figures}; each participant is meant to join {quota}").format(figures=text, quota=groups.quota)
    return text


def _hours_line(figures: HoursFigures, program: Program) -> str:
    guides = role_word(program.guide_role, figures.under + figures.within + figures.over)
    return _(
        "*{role} hours, {month}:* {total} hours logged; {roles} under the commitment ({commitment}): {under}, "
        "within: {within}, over: {over}"
    ).format(
        role=role_word(program.guide_role).title(),
        month=month_year(figures.month),
        total=f"{figures.total_minutes / 60:.1f}",
        roles=guides,
        commitment=figures.commitment,
        under=figures.under,
        within=figures.within,
        over=figures.over,
    )


def _check_ins_line(figures: CheckInFigures) -> str:
    if figures.asked_on is None:
        text = _("*Check-ins:* none sent yet")
    elif figures.answers is None:
        text = _(
            "*Check-ins of {date}:* {answered} of {asked} answered (the answers are shown from {minimum} answers up)"
        ).format(
            date=short_day_month_year(figures.asked_on),
            answered=figures.asked - figures.unanswered,
            asked=figures.asked,
            minimum=MIN_GROUP,
        )
    else:
        shown = ", ".join(f"{_(label).lower()} {n}" for label, n in figures.answers.items())
        text = _("*Check-ins of {date}:* {answers}, no answer yet {unanswered}").format(
            date=short_day_month_year(figures.asked_on), answers=shown, unanswered=figures.unanswered
        )
    if figures.need_help:
        names = ", ".join(f"{name} ({short_date(day)})" for name, day in figures.need_help)
        text = _("{check_ins}. *Open requests for help:* {names}").format(check_ins=text, names=names)
    return text


def _survey_line(rate: ResponseRate) -> str:
    title = program_words(rate.survey.title)
    if rate.invited == 0:
        return _("*Survey “{title}”:* opens {date}").format(title=title, date=short_day_month_year(rate.opens))
    return _(
        "*Survey “{title}”:* {finished} of {invited} answered ({percent}%), {started} part way; "
        "open {opens} to {closes}"
    ).format(
        title=title,
        finished=rate.finished,
        invited=rate.invited,
        percent=rate.percent,
        started=rate.started,
        opens=short_date(rate.opens),
        closes=short_day_month_year(rate.closes),
    )


def role_plural(role: str, count: int = 2) -> str:
    """A role's id for `count` people, in English, as people may type it ("coaches", "mentees"): for reading
    what was typed. A sentence names a role with bot.i18n's role_word."""
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
                _("One-to-one sessions"),
                (
                    Bar(_("Held"), report.sessions.held, target),
                    Bar(_("Booked ahead"), report.sessions.upcoming),
                    Bar(_("Missed"), report.sessions.missed),
                ),
                _("sessions"),
            )
        )
    if report.progress:
        panels.extend(report_progress.progress_panels(report.progress, report.program))
    if report.groups:
        panels.append(
            Panel(
                _("Peer groups"),
                (Bar(_("Places taken"), report.groups.places_taken, report.groups.places or None),),
                _("places"),
            )
        )
    if report.hours:
        h = report.hours
        panels.append(
            Panel(
                _("{roles} by hours, {month}").format(
                    roles=role_word(report.program.guide_role, 2).capitalize(), month=month_year(h.month)
                ),
                (Bar(_("Under"), h.under), Bar(_("Within"), h.within), Bar(_("Over"), h.over)),
                _("people"),
            )
        )
    if report.check_ins.answers is not None:
        answers = report.check_ins.answers
        bars = (
            *(Bar(_(label), n) for label, n in answers.items()),
            Bar(_("No answer yet"), report.check_ins.unanswered),
        )
        panels.append(Panel(_("Latest check-in"), bars, _("people")))
    rates = [rate for rate in report.surveys if rate.invited]
    if rates:
        bars = tuple(Bar(program_words(r.survey.title), r.percent, 100) for r in rates)
        panels.append(Panel(_("Survey response rates"), bars, "%"))
    return panels
