"""Evaluation surveys: who is asked and when, answers kept with no way back to anyone, and the results.

A program file's [[surveys]] give each survey's audience, questions and window; a cohort's calendar holds
the window's real dates. When it opens, every member of the cohort in the audience gets an invitation in
their own morning, through the outbox. Whoever has not finished gets at most two reminders, spread over
the window. When it closes, the cohort's coordinators hear how many answered.

Anonymity by construction. An answer (SurveyAnswer) holds the cohort, survey, question and the answer;
the answerer's role only where at least MIN_GROUP people of that role were asked; a random key; no time
and no sequence, so neither its columns nor its order lead back to anyone. A SurveyInvitation says only
who was asked, how far they got (to resume) and how many reminders they had. Results and exports leave
out any group of fewer than MIN_GROUP answers.

Jobs (bot/scheduler.py): "survey-open", "survey-reminders" (one per reminder day), "survey-close".
"""

import csv
import io
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.checkins import first_moment, local_moment
from bot.cohorts import cohort_label, survey_phase
from bot.cycle import LONGEST_PHASE
from bot.dialog import button
from bot.i18n import ENGLISH, _, program_words, speaking
from bot.messages import Reply
from bot.network import cohort_coordinators
from bot.programs import Program, ProgramCatalog, Survey, SurveyQuestion
from bot.roles import load_roles
from bot.scheduler import JobContext, JobHandler, schedule
from bot.timezones import long_date
from storage.db import Database, insert_or_merge
from storage.models import Cohort, ExportLink, Membership, Person, SurveyAnswer, SurveyInvitation

NAME = "survey"  # the dialog that asks the questions (dialogs/survey.py)
OPEN, REMIND, CLOSE = "survey-open", "survey-reminders", "survey-close"
MIN_GROUP = 5  # fewer answers than this are never shown, and a role is not kept for fewer people
MAX_REMINDERS = 2
TEXT_LIMIT = 500  # characters of a short text answer
SCALE = ("1", "2", "3", "4", "5")
CLOSE_AT = time(12)  # UTC: the closing day has ended everywhere on Earth (UTC-12) by noon UTC next day


# When


def survey_dates(cohort: Cohort, survey: Survey) -> tuple[date, date]:
    """The survey's first and last day for this cohort: its phase in the cohort's calendar."""
    phase = survey_phase(cohort, survey)
    assert phase is not None, "a validated program's survey names a phase every cohort calendar has"
    return phase.opens, phase.closes


def is_open(cohort: Cohort, survey: Survey, today: date) -> bool:
    opens, closes = survey_dates(cohort, survey)
    return opens <= today <= closes


async def waiting_for(
    session: AsyncSession, person_id: int, programs: ProgramCatalog, today: date
) -> list[tuple[SurveyInvitation, Cohort, Program, Survey]]:
    """The person's invitations to surveys open today that they have not finished, oldest first."""
    query = (
        select(SurveyInvitation, Cohort)
        .join(Cohort, Cohort.id == SurveyInvitation.cohort_id)
        .where(SurveyInvitation.person_id == person_id, SurveyInvitation.finished.is_(False))
        .order_by(SurveyInvitation.id)
    )
    found = []
    for invitation, cohort in (await session.execute(query)).all():
        program = programs.get(cohort.program_id)
        survey = next((s for s in program.surveys if s.id == invitation.survey_id), None) if program else None
        if program is not None and survey is not None and is_open(cohort, survey, today):
            found.append((invitation, cohort, program, survey))
    return found


def reminder_days(opens: date, closes: date) -> list[date]:
    """At most two days, a third and two thirds into the window, and never on its first or last day."""
    span = (closes - opens).days
    days = {opens + timedelta(days=round(span * part / 3)) for part in (1, 2)}
    return sorted(day for day in days if opens < day < closes)


def subject_of(cohort_id: int, survey_id: str) -> str:
    return f"cohort:{cohort_id}:{survey_id}"


async def plan(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> None:
    """Plan the opening of each of the cohort's surveys that has not closed yet (planning twice keeps one)."""
    for survey in program.surveys:
        opens, closes = survey_dates(cohort, survey)
        if closes >= now.date():
            due = first_moment(opens, program.check_ins.send_at)
            await schedule(session, OPEN, subject_of(cohort.id, survey.id), due, now)


async def plan_all(db: Database, programs: ProgramCatalog, now: datetime) -> None:
    async with db.transaction() as session:
        recent = select(Cohort).where(Cohort.ends_on >= now.date() - LONGEST_PHASE)  # a survey may follow the end
        for cohort in (await session.execute(recent)).scalars():
            program = programs.get(cohort.program_id)
            if program is not None:
                await plan(session, cohort, program, now)


# Who


@dataclass(frozen=True)
class Target:
    person_id: int
    role: str
    timezone: str
    language: str = ENGLISH  # the one they read


async def audience(session: AsyncSession, cohort: Cohort, program: Program, survey: Survey) -> list[Target]:
    """Everyone in the cohort the survey asks, once each, in the first of their roles the audience names."""
    query = (
        select(Person.id, Membership.role, Person.timezone, Person.language)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.cohort_id == cohort.id, Membership.role.in_(survey.audience))
    )
    found: dict[int, Target] = {}
    for person_id, role, zone, language in await session.execute(query):
        known = found.get(person_id)
        if known is None or survey.audience.index(role) < survey.audience.index(known.role):
            found[person_id] = Target(person_id, role, zone or "UTC", language or ENGLISH)
    if "coordinator" in survey.audience:
        for person in await cohort_coordinators(session, cohort, program):
            target = Target(person.id, "coordinator", person.timezone or "UTC", person.language or ENGLISH)
            found.setdefault(person.id, target)
    return sorted(found.values(), key=lambda target: target.person_id)


async def invitation_for(
    session: AsyncSession, cohort: Cohort, program: Program, survey: Survey, person_id: int, now: datetime
) -> SurveyInvitation | None:
    """The person's invitation to an open survey; made now for someone who joined the cohort after it
    opened. None if the survey does not ask them."""
    mine = select(SurveyInvitation).where(
        SurveyInvitation.cohort_id == cohort.id,
        SurveyInvitation.survey_id == survey.id,
        SurveyInvitation.person_id == person_id,
    )
    invitation = (await session.execute(mine)).scalar_one_or_none()
    if invitation is not None:
        return invitation
    target = next((t for t in await audience(session, cohort, program, survey) if t.person_id == person_id), None)
    if target is None:
        return None
    # The survey's opening job may be inviting this person at this very moment: one row wins, both use it.
    values = {"cohort_id": cohort.id, "survey_id": survey.id, "person_id": person_id, "role": target.role}
    values |= {"progress": 0, "finished": False, "reminders": 0, "created_at": now}
    await session.execute(insert_or_merge(session, SurveyInvitation).values(**values).on_conflict_do_nothing())
    return (await session.execute(mine)).scalar_one()


# The jobs


async def open_survey(context: JobContext) -> None:
    """Invite everyone the survey asks, each in their morning; plan the reminders and the closing."""
    found = await _job_survey(context)
    if found is None:
        return
    session, now = context.session, context.now
    cohort, program, survey = found
    opens, closes = survey_dates(cohort, survey)
    if closes < now.date():
        return  # the server was down for the whole window: inviting now would only confuse
    asked = set(
        (
            await session.execute(
                select(SurveyInvitation.person_id).where(
                    SurveyInvitation.cohort_id == cohort.id, SurveyInvitation.survey_id == survey.id
                )
            )
        ).scalars()
    )
    targets = [t for t in await audience(session, cohort, program, survey) if t.person_id not in asked]
    if targets:
        rows = [
            {
                "cohort_id": cohort.id,
                "survey_id": survey.id,
                "person_id": t.person_id,
                "role": t.role,
                "progress": 0,
                "finished": False,
                "reminders": 0,
                "created_at": now,
            }
            for t in targets
        ]
        created = await session.execute(
            insert(SurveyInvitation).returning(SurveyInvitation.id, SurveyInvitation.person_id), rows
        )
        ids = {person_id: invitation_id for invitation_id, person_id in created.all()}
        send_on = max(opens, now.date())
        messages = []
        for t in targets:
            with speaking(t.language):  # each in their own language
                reply = invitation_reply(ids[t.person_id], survey, program, cohort, closes, reminder=0)
            messages.append(
                outbox.Queued(
                    t.person_id,
                    reply,
                    due_at=max(now, local_moment(send_on, program.check_ins.send_at, t.timezone)),
                    ref=f"survey:{ids[t.person_id]}",
                )
            )
        await outbox.queue_each(session, messages, kind="survey", now=now)
    subject = context.job.subject
    for day in reminder_days(opens, closes):
        if day > now.date():
            await schedule(
                session, REMIND, f"{subject}:{day.isoformat()}", first_moment(day, program.check_ins.send_at), now
            )
    await schedule(session, CLOSE, subject, datetime.combine(closes + timedelta(days=1), CLOSE_AT, UTC), now)


async def remind(context: JobContext) -> None:
    """Remind whoever has not finished, unless they had two reminders already."""
    found = await _job_survey(context)
    if found is None:
        return
    session, now = context.session, context.now
    cohort, program, survey = found
    day = date.fromisoformat(context.job.subject.rsplit(":", 1)[1])
    _opens, closes = survey_dates(cohort, survey)
    if day > closes:
        return
    waiting = (
        SurveyInvitation.cohort_id == cohort.id,
        SurveyInvitation.survey_id == survey.id,
        SurveyInvitation.finished.is_(False),
        SurveyInvitation.reminders < MAX_REMINDERS,
    )
    query = (
        select(
            SurveyInvitation.id,
            SurveyInvitation.person_id,
            SurveyInvitation.reminders,
            Person.timezone,
            Person.language,
        )
        .join(Person, Person.id == SurveyInvitation.person_id)
        .where(*waiting)
    )
    messages = []
    for invitation_id, person_id, reminders, zone, language in await session.execute(query):
        with speaking(language):  # each in their own language
            reply = invitation_reply(invitation_id, survey, program, cohort, closes, reminder=reminders + 1)
        messages.append(
            outbox.Queued(
                person_id,
                reply,
                due_at=max(now, local_moment(day, program.check_ins.send_at, zone or "UTC")),
                ref=f"survey:{invitation_id}",
            )
        )
    await outbox.queue_each(session, messages, kind="survey-reminder", now=now)
    await session.execute(update(SurveyInvitation).where(*waiting).values(reminders=SurveyInvitation.reminders + 1))


async def close_survey(context: JobContext) -> None:
    """Tell the cohort's coordinators the survey has closed, and how many answered."""
    found = await _job_survey(context)
    if found is None:
        return
    session, now = context.session, context.now
    cohort, program, survey = found
    rates = await response_rates(session, cohort, program)
    rate = next((r for r in rates if r.survey.id == survey.id), None)
    if rate is None:
        return
    for person in await cohort_coordinators(session, cohort, program):
        with speaking(person.language):
            reply = Reply(
                _(
                    "{finished} of {invited} people answered it ({percent}%). "
                    "Type `report survey` for the results; answers are anonymous and groups under five are hidden."
                ).format(finished=rate.finished, invited=rate.invited, percent=rate.percent),
                title=_("The survey “{title}” of {cohort} has closed").format(
                    title=program_words(survey.title), cohort=cohort_label(cohort, program)
                ),
            )
        outbox.queue(session, person.id, reply, kind="survey-closed", now=now)


async def _job_survey(context: JobContext) -> tuple[Cohort, Program, Survey] | None:
    _kind, cohort_id, survey_id = context.job.subject.split(":")[:3]
    cohort = await context.session.get(Cohort, int(cohort_id))
    program = context.programs.get(cohort.program_id) if cohort else None
    survey = next((s for s in program.surveys if s.id == survey_id), None) if program else None
    return (cohort, program, survey) if cohort and program and survey else None


def invitation_reply(
    invitation_id: int, survey: Survey, program: Program, cohort: Cohort, closes: date, *, reminder: int
) -> Reply:
    """The invitation (or a reminder of it), in the language being spoken (the caller's `speaking`)."""
    opening = ""
    if reminder:
        opening = _("A reminder ({number} of {total}):").format(number=reminder, total=MAX_REMINDERS) + " "
    text = _(
        "Would you answer {count} short questions? It is open until {date}. "
        "Your answers are stored without your name, and the coordinators only see totals from five "
        "people or more. The survey never asks what you talked about in your sessions. "
        "You can stop at any time and carry on later with `survey`."
    ).format(count=len(survey.questions), date=long_date(closes))
    return Reply(
        opening + text,
        title=_("{survey}: {cohort}").format(survey=program_words(survey.title), cohort=cohort_label(cohort, program)),
        buttons=(button(NAME, _("Start the survey"), f"start|{invitation_id}", "primary"),),
    )


JOBS: dict[str, JobHandler] = {OPEN: open_survey, REMIND: remind, CLOSE: close_survey}


# Answers


async def record_answer(
    session: AsyncSession, invitation: SurveyInvitation, survey: Survey, index: int, answer: Any
) -> bool:
    """Store one answer (None: skipped) and move the invitation on, unless question `index` was answered
    already (a second click, another device): then nothing is stored and False comes back."""
    last = index + 1 == len(survey.questions)
    moved = await session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == invitation.id, SurveyInvitation.progress == index)
        .values(progress=index + 1, finished=last)
    )
    if moved.rowcount != 1:
        return False
    if answer is not None:
        role = invitation.role if await _role_is_large(session, invitation) else None
        session.add(
            SurveyAnswer(
                id=uuid.uuid4().hex,
                cohort_id=invitation.cohort_id,
                survey_id=survey.id,
                question_id=survey.questions[index].id,
                role=role,
                answer=answer,
            )
        )
    await session.refresh(invitation)
    return True


async def _role_is_large(session: AsyncSession, invitation: SurveyInvitation) -> bool:
    """Whether at least MIN_GROUP people were asked in this role: only then does an answer keep it."""
    count = await session.scalar(
        select(func.count()).where(
            SurveyInvitation.cohort_id == invitation.cohort_id,
            SurveyInvitation.survey_id == invitation.survey_id,
            SurveyInvitation.role == invitation.role,
        )
    )
    return (count or 0) >= MIN_GROUP


# Results


@dataclass(frozen=True)
class ResponseRate:
    survey: Survey
    opens: date
    closes: date
    invited: int
    started: int  # answered some questions, not all
    finished: int

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.invited) if self.invited else 0


async def response_rates(session: AsyncSession, cohort: Cohort, program: Program) -> list[ResponseRate]:
    """For each of the cohort's surveys: how many were asked, started and finished (no names)."""
    query = (
        select(
            SurveyInvitation.survey_id,
            func.count(),
            func.sum(((SurveyInvitation.progress > 0) & SurveyInvitation.finished.is_(False)).cast(Integer)),
            func.sum(SurveyInvitation.finished.cast(Integer)),
        )
        .where(SurveyInvitation.cohort_id == cohort.id)
        .group_by(SurveyInvitation.survey_id)
    )
    counts = {survey_id: (n, started or 0, done or 0) for survey_id, n, started, done in await session.execute(query)}
    rates = []
    for survey in program.surveys:
        invited, started, finished = counts.get(survey.id, (0, 0, 0))
        rates.append(ResponseRate(survey, *survey_dates(cohort, survey), invited, started, finished))
    return rates


@dataclass
class Tally:
    """The answers to one question from one group: how many answered and how they answered."""

    respondents: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # option (or 1-5) -> answers naming it
    texts: list[str] = field(default_factory=list)

    def add(self, answer: Any) -> None:
        self.respondents += 1
        if isinstance(answer, list):
            self.counts.update(str(item) for item in answer)
        elif isinstance(answer, int):
            self.counts[str(answer)] += 1
        else:
            self.texts.append(str(answer))
            self.counts[str(answer)] += 1

    @property
    def mean(self) -> float | None:
        values = [int(k) * n for k, n in self.counts.items() if k in SCALE]
        answered = sum(n for k, n in self.counts.items() if k in SCALE)
        return sum(values) / answered if answered else None


@dataclass(frozen=True)
class QuestionResult:
    question: SurveyQuestion
    total: Tally
    by_role: dict[str, Tally]  # shown only when every group has MIN_GROUP answers; else empty

    @property
    def hidden(self) -> bool:
        return self.total.respondents < MIN_GROUP  # a hidden question's tally is empty: 0 answers


async def question_results(session: AsyncSession, cohort: Cohort, survey: Survey) -> list[QuestionResult]:
    """Each question's answers, totalled and, where no group is small, by role. A hidden question's
    tallies are emptied here, its count of answers too, so no caller can show what it must not: in a group
    of four, "1 answer" says how many wrote a comment."""
    rows = await session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.role, SurveyAnswer.answer).where(
            SurveyAnswer.cohort_id == cohort.id, SurveyAnswer.survey_id == survey.id
        )
    )
    totals: dict[str, Tally] = {q.id: Tally() for q in survey.questions}
    groups: dict[str, dict[str | None, Tally]] = {q.id: {} for q in survey.questions}
    for question_id, role, answer in rows:
        if question_id in totals:
            totals[question_id].add(answer)
            groups[question_id].setdefault(role, Tally()).add(answer)
    results = []
    for question in survey.questions:
        total, by_group = totals[question.id], groups[question.id]
        if total.respondents < MIN_GROUP:
            results.append(QuestionResult(question, Tally(), {}))
            continue
        # A role's figures are shown only if every group is large: a small group could otherwise be
        # worked out as the total minus the others.
        shown = len(by_group) > 1 and all(r is not None and t.respondents >= MIN_GROUP for r, t in by_group.items())
        by_role = {str(role): tally for role, tally in by_group.items()} if shown else {}
        results.append(QuestionResult(question, total, by_role))
    return results


def export_csv(results: list[QuestionResult], cohort: Cohort, survey: Survey) -> str:
    """The anonymous answers as CSV, one row per answer, questions under MIN_GROUP answers left out, rows
    sorted by their content so that no order carries over from how they were stored."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["cohort", "survey", "question_id", "question", "role", "answer"])
    for result in results:
        if result.hidden:
            continue
        groups = result.by_role.items() if result.by_role else [("", result.total)]
        for role, tally in groups:
            for answer in sorted(_answers_of(tally, result.question)):
                writer.writerow([cohort.name, survey.title, result.question.id, result.question.text, role, answer])
    return out.getvalue()


def _answers_of(tally: Tally, question: SurveyQuestion) -> list[str]:
    if question.kind == "text":
        return list(tally.texts)
    if question.kind == "multiple":
        return [option for option, n in tally.counts.items() for _unused in range(n)]  # one row per option chosen
    return [answer for answer, n in tally.counts.items() for _unused in range(n)]


def clean_text(typed: str) -> str | None:
    """A short text answer, trimmed; None if it is empty or too long."""
    text = " ".join(typed.split())
    return text if 0 < len(text) <= TEXT_LIMIT else None


async def export_file(
    session: AsyncSession, token: str, programs: ProgramCatalog, now: datetime
) -> tuple[str, str] | None:
    """The CSV an export link names: (file name, text), or None if the link is unknown, has expired or
    its coordinator no longer coordinates the cohort."""
    link = await session.get(ExportLink, token)
    if link is None or link.expires_at <= now:
        return None
    cohort = await session.get(Cohort, link.cohort_id)
    person = await session.get(Person, link.person_id)
    program = programs.get(cohort.program_id) if cohort else None
    survey = next((s for s in program.surveys if s.id == link.survey_id), None) if program else None
    if cohort is None or person is None or survey is None:
        return None
    if not (await load_roles(session, person, programs)).coordinates_cohort(cohort):
        return None
    text = export_csv(await question_results(session, cohort, survey), cohort, survey)
    return f"survey-{cohort.program_id}-{survey.id}-{now:%Y-%m-%d}.csv", text
