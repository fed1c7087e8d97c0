"""The end of a cohort: the morning after its working period's last day (`Cohort.ends_on`).

Each member of every active pair is told, in their own morning, that the program is over, what they may
do after it (the program file's `[calendar] after_end`, in the program's words: ALCTS pairs may go on
informally, on their own), how to reach their partner, and where the final evaluation is: its dates if it
is still to come, "open now" if it is open, nothing if it does not ask their role. The pairs are marked
completed ("program ended"), so nothing scheduled for a pair runs any more (check-ins, relay, booking);
the cohort's coordinators get a short summary. From then on the cohort is read-only: its report shows
final figures, and announce, match, review and group scheduling refuse it (`refusal`). Only the surveys
of a final evaluation that follows the end still run: they ask the cohort's members, not its pairs.

Job (bot/scheduler.py): "cohort-end", subject "cohort:ID:ENDS_ON", due when the first zone on Earth
reaches the morning after the last day (as check-ins are). A cohort whose end moved plans a new job; the
old one finds the dates differ and does nothing else.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import outbox, reports
from bot.checkins import first_moment, local_moment
from bot.cohorts import cohort_in_sentence, cohort_label, survey_phase
from bot.i18n import _, ngettext, program_words, role_word, speaking
from bot.messages import Reply
from bot.network import cohort_coordinators
from bot.pairs import PairInfo, pairings_of
from bot.programs import Program, ProgramCatalog, Survey
from bot.scheduler import JobContext, JobHandler, schedule
from bot.timezones import date_span, long_date, today_in
from storage.db import Database
from storage.models import Cohort, Pair, PairChange, Person

END = "cohort-end"
COMPLETED, REASON = "completed", "program_ended"  # a pair's status and end reason once its program is over
LATE = timedelta(days=14)  # after this, a cohort's end (the server was down) closes its pairs without messages
TOLD, SUMMARY = "program-end", "program-end-summary"  # outbox kinds
NAMED = 3  # ended cohorts named in a refusal


# When


def end_moment(cohort: Cohort, program: Program) -> datetime:
    """When the cohort is over: the morning after its last day, as soon as the first zone on Earth has it."""
    return first_moment(cohort.ends_on + timedelta(days=1), program.check_ins.send_at)


def has_ended(cohort: Cohort, program: Program, now: datetime) -> bool:
    return now >= end_moment(cohort, program)


def ended_words(cohort: Cohort, program: Program) -> str:
    """ "The ALCTS 2027-28 cohort ended on 30 April 2028" """
    return _("{cohort} ended on {date}").format(
        cohort=cohort_in_sentence(cohort, program, opening=True), date=long_date(cohort.ends_on)
    )


def refusal(ended: list[tuple[Cohort, Program]], what: str, outcome: str) -> str:
    """What a coordinator is told who tries to change ended cohorts (announce, match, review): `what` says
    what no longer happens ("no more pairs are made in it"). The caller marks `what` and `outcome` with N_
    (or gives them translated): they are said in the reader's language here."""
    if len(ended) == 1:
        return _("{ended}: its figures are final and {what}. {outcome}").format(
            ended=ended_words(*ended[0]), what=_(what), outcome=_(outcome)
        )
    names = "; ".join(f"{cohort_label(c, program)}, {long_date(c.ends_on)}" for c, program in ended[:NAMED])
    return _("The cohorts you coordinate have ended ({names}): their figures are final and {what}. {outcome}").format(
        names=names, what=_(what), outcome=_(outcome)
    )


def subject_of(cohort: Cohort) -> str:
    return f"cohort:{cohort.id}:{cohort.ends_on.isoformat()}"


async def plan(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> None:
    """Plan the cohort's end (planning twice keeps one)."""
    await schedule(session, END, subject_of(cohort), end_moment(cohort, program), now)


async def plan_all(db: Database, programs: ProgramCatalog, now: datetime) -> None:
    """At start: the end of every cohort still running, and of any ended one whose pairs are still open."""
    still_paired = exists().where(Pair.cohort_id == Cohort.id, Pair.status == "active")
    async with db.transaction() as session:
        query = select(Cohort).where(or_(Cohort.ends_on >= now.date() - LATE, still_paired))
        for cohort in (await session.execute(query)).scalars():
            program = programs.get(cohort.program_id)
            if program is not None:
                await plan(session, cohort, program, now)


# The final evaluation


def final_evaluation(cohort: Cohort, program: Program) -> Survey | None:
    """The program's survey that closes last in the cohort's calendar: its final evaluation."""
    dated = [(phase.closes, survey) for survey in program.surveys if (phase := survey_phase(cohort, survey))]
    return max(dated, key=lambda found: found[0])[1] if dated else None


def evaluation_words(cohort: Cohort, program: Program, roles: set[str], today: date) -> str:
    """Where the final evaluation is for someone in `roles` on `today`; empty if it does not ask them."""
    survey = final_evaluation(cohort, program)
    phase = survey_phase(cohort, survey) if survey else None
    if survey is None or phase is None or not roles & set(survey.audience):
        return ""
    title = program_words(survey.title)
    if today < phase.opens:
        return _("The “{title}” opens {opens} and runs to {closes}: I will send you the invitation then.").format(
            title=title, opens=long_date(phase.opens), closes=long_date(phase.closes)
        )
    if today <= phase.closes:
        return _("The “{title}” is open now, {dates}: type `survey` to answer it.").format(
            title=title, dates=date_span(phase.opens, phase.closes)
        )
    return _("The “{title}” closed on {date}.").format(title=title, date=long_date(phase.closes))


# Who is told


@dataclass
class Member:
    """One person of the cohort's active pairs, with their roles and partners in it."""

    person: Person
    roles: set[str] = field(default_factory=set)
    partners: list[tuple[str, Person]] = field(default_factory=list)  # (the partner's role, the partner)


async def members(session: AsyncSession, cohort: Cohort, program: Program) -> list[Member]:
    guide, guided = aliased(Person), aliased(Person)
    query = (
        select(guide, guided)
        .select_from(Pair)
        .join(guide, guide.id == Pair.guide_id)
        .join(guided, guided.id == Pair.guided_id)
        .where(Pair.cohort_id == cohort.id, Pair.status == "active")
        .order_by(Pair.id)
    )
    found: dict[int, Member] = {}
    for guide_person, guided_person in (await session.execute(query)).all():
        for person, role, partner, partner_role in (
            (guide_person, program.guide_role, guided_person, program.guided_role),
            (guided_person, program.guided_role, guide_person, program.guide_role),
        ):
            member = found.setdefault(person.id, Member(person))
            member.roles.add(role)
            member.partners.append((partner_role, partner))
    return list(found.values())


def member_reply(member: Member, cohort: Cohort, program: Program, today: date) -> Reply:
    """What a member is told, in the language being spoken (the caller's `speaking`)."""
    after = program_words(program.after_end) if program.after_end else _("Your pairing ends with it.")
    evaluation = evaluation_words(cohort, program, member.roles, today)
    ended = _("{ended}.").format(ended=ended_words(cohort, program))
    text = " ".join(part for part in (ended, after, evaluation, _("Thank you for taking part.")) if part)
    return Reply(
        text,
        title=_("{cohort}: the program is over").format(cohort=cohort_label(cohort, program)),
        lines=tuple(
            _("Your {role}: {name}, {email}").format(
                role=role_word(role), name=partner.display_name, email=partner.email
            )
            for role, partner in member.partners
        ),
    )


def morning_after(cohort: Cohort, program: Program, zone: str, now: datetime) -> datetime:
    """The person's morning of the day after the last one; now, if that has passed (the job ran late)."""
    return max(now, local_moment(cohort.ends_on + timedelta(days=1), program.check_ins.send_at, zone))


# The job


async def end_cohort(context: JobContext) -> None:
    """Tell each member of the active pairs, close the pairs, and give the coordinators a summary."""
    session, now = context.session, context.now
    _kind, cohort_id, ends_on = context.job.subject.split(":")
    cohort = await session.get(Cohort, int(cohort_id))
    program = context.programs.get(cohort.program_id) if cohort else None
    if cohort is None or program is None or cohort.ends_on.isoformat() != ends_on:
        if cohort is not None and program is not None:  # its end moved: that day's job does it
            await plan(session, cohort, program, now)
        return
    told = await members(session, cohort, program) if now < end_moment(cohort, program) + LATE else []
    messages = []
    for member in told:
        zone = member.person.timezone or "UTC"
        due_at = morning_after(cohort, program, zone, now)
        with speaking(member.person.language):  # each in their own language
            reply = member_reply(member, cohort, program, today_in(due_at, zone))
        messages.append(outbox.Queued(member.person.id, reply, due_at=due_at, ref=f"{END}:{cohort.id}"))
    await outbox.queue_each(session, messages, kind=TOLD, now=now)
    pairs = await close_pairs(session, cohort, now)
    if told:
        await _tell_coordinators(session, cohort, program, pairs, now)


async def close_pairs(session: AsyncSession, cohort: Cohort, now: datetime) -> int:
    """Mark the cohort's active pairs completed, with any open request to end one; returns how many."""
    active = select(Pair.id).where(Pair.cohort_id == cohort.id, Pair.status == "active")
    await session.execute(
        update(PairChange)
        .where(PairChange.pair_id.in_(active), PairChange.status == "asked")
        .values(status="cancelled", answered_at=now)
    )
    closed = await session.execute(
        update(Pair)
        .where(Pair.cohort_id == cohort.id, Pair.status == "active")
        .values(status=COMPLETED, ended_at=now, end_reason=REASON)
    )
    return int(getattr(closed, "rowcount", 0) or 0)


async def _tell_coordinators(
    session: AsyncSession, cohort: Cohort, program: Program, pairs: int, now: datetime
) -> None:
    figures = await reports.cohort_report(session, cohort, program, now)
    survey = final_evaluation(cohort, program)
    phase = survey_phase(cohort, survey) if survey else None
    for person in await cohort_coordinators(session, cohort, program):
        with speaking(person.language):
            parts = [
                _("{ended}.").format(ended=ended_words(cohort, program)),
                ngettext(
                    "I told the {count} pair that the program is over and what they may do after it.",
                    "I told the {count} pairs that the program is over and what they may do after it.",
                    pairs,
                ).format(count=pairs),
            ]
            if figures.sessions is not None:
                parts.append(_("{count} one-to-one sessions were held.").format(count=figures.sessions.held))
            if survey is not None and phase is not None and phase.closes > cohort.ends_on:
                parts.append(
                    _("The “{title}” runs from {opens} to {closes}.").format(
                        title=program_words(survey.title), opens=long_date(phase.opens), closes=long_date(phase.closes)
                    )
                )
            parts.append(_("`report` shows the final figures."))
            reply = Reply(" ".join(parts), title=_("{cohort} has ended").format(cohort=cohort_label(cohort, program)))
        zone = person.timezone or "UTC"
        outbox.queue(session, person.id, reply, kind=SUMMARY, now=now, due_at=morning_after(cohort, program, zone, now))


# What people see afterwards


async def ended_pairings(session: AsyncSession, person_id: int, programs: ProgramCatalog) -> list[PairInfo]:
    """The person's pairings that ended with their program, newest cohort first."""
    found = await pairings_of(session, person_id, programs, active_only=False)
    return sorted(
        (info for info in found if info.pair.status == COMPLETED), key=lambda info: info.cohort.ends_on, reverse=True
    )


def pairing_ended_words(info: PairInfo, person_id: int) -> str:
    """ "The ALCTS mentoring (2027-28) ended on 30 April 2028, and your pairing with Max Mentor with it." """
    partner = info.partner_of(person_id)
    return _("{ended}, and your pairing with {name} with it.").format(
        ended=ended_words(info.cohort, info.program), name=partner.display_name
    )


JOBS: dict[str, JobHandler] = {END: end_cohort}
