"""A cohort's dated calendar: the program's cycle placed at the cohort's start (bot/cycle.py)."""

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cycle import DatedPhase, dated_phase, dated_phases
from bot.i18n import _, program_words
from bot.program_rules import GUIDED_ROLES
from bot.programs import Program, ProgramCatalog, Survey
from storage.models import Cohort, Membership


def cohort_label(cohort: Cohort, program: Program | None) -> str:
    """ "AAHSL 2026-27": a cohort named with its program's tag, so two programs' cohorts (their announcements,
    reports, calendars, buttons) can be told apart; the name alone when it already says the tag."""
    return label_of(cohort.name, program, cohort.program_id)


def label_of(cohort_name: str, program: Program | None, program_id: str) -> str:
    """cohort_label for a cohort known by its name (a role's, bot/roles.py); the program's id when the
    program is no longer in the catalog."""
    tag = (program.tag or program.short_name) if program is not None else program_id
    if re.search(rf"(?<![\w-]){re.escape(tag)}(?![\w-])", cohort_name, re.IGNORECASE):
        return cohort_name
    return f"{tag} {cohort_name}"


def cohort_in_sentence(cohort: Cohort, program: Program | None, *, opening: bool = False) -> str:
    """ "the AAHSL 2026-27 cohort": a cohort as running text names it ("your place in ___"); "The ..." when
    it `opening`s a sentence."""
    label = cohort_label(cohort, program)
    if re.search(r"\bcohort\b", label, re.IGNORECASE):  # "the AAHSL Demo cohort" names it already
        words = _("The {cohort}") if opening else _("the {cohort}")
    else:
        words = _("The {cohort} cohort") if opening else _("the {cohort} cohort")
    return words.format(cohort=label)


def cohort_of_program(cohort: Cohort, program: Program) -> str:
    """ "the 2026-27 cohort of the ALCTS Mentoring Program": for the letters that give the program's full name
    (an application begun, a place offered or given); the full name says the program, so the tag is left out."""
    if re.search(r"\bcohort\b", cohort.name, re.IGNORECASE):
        words = _("the {cohort} of {program}")
    else:
        words = _("the {cohort} cohort of {program}")
    return words.format(cohort=cohort.name, program=program_words(program.in_sentence))


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, 28)) if start.day > 28 else date(year, month, start.day)


def cohort_calendar(program: Program, starts_on: date) -> dict[str, Any]:
    """Every phase of the program as ISO dates, for a cohort whose work begins on `starts_on`."""
    return program.calendar.place(starts_on)


def work_span(calendar: dict[str, Any], program: Program) -> tuple[date, date]:
    """The working period's first and last day: a cohort's `starts_on` and `ends_on`."""
    work = dated_phase(calendar, program.calendar.work)
    assert work is not None, "a cohort calendar holds its program's work phase"
    return work.opens, work.closes


def calendar_span(calendar: dict[str, Any] | None, phase_id: str | None) -> tuple[date, date] | None:
    """A phase of a cohort's calendar as its first and last day, if it has that phase."""
    phase = dated_phase(calendar, phase_id)
    return (phase.opens, phase.closes) if phase else None


def application_phase(cohort: Cohort, program: Program) -> DatedPhase | None:
    return dated_phase(cohort.calendar, program.application.phase)


def sessions_phase(cohort: Cohort, program: Program) -> DatedPhase | None:
    """When one-to-one sessions may take place: their own phase, else the whole working period."""
    if program.one_to_one is None:
        return None
    return dated_phase(cohort.calendar, program.one_to_one.phase or program.calendar.work)


def peer_groups_phase(cohort: Cohort, program: Program) -> DatedPhase | None:
    if program.peer_groups is None:
        return None
    return dated_phase(cohort.calendar, program.peer_groups.phase)


def survey_phase(cohort: Cohort, survey: Survey) -> DatedPhase | None:
    return dated_phase(cohort.calendar, survey.phase)


def cycle_end(cohort: Cohort) -> date:
    """The last day of anything in the cohort's calendar (a final evaluation may follow the work)."""
    return max([cohort.ends_on, *(phase.closes for phase in dated_phases(cohort.calendar).values())])


async def upgrade_calendars(session: AsyncSession, programs: ProgramCatalog) -> int:
    """Cohorts written before calendars had phases get their program's cycle, placed at their start.
    Returns how many were upgraded."""
    upgraded = 0
    for cohort in (await session.execute(select(Cohort))).scalars():
        program = programs.get(cohort.program_id)
        if program is None or "phases" in (cohort.calendar or {}):
            continue
        cohort.calendar = program.calendar.place(cohort.starts_on)
        cohort.starts_on, cohort.ends_on = work_span(cohort.calendar, program)
        upgraded += 1
    return upgraded


def calendar_lines(cohort: Cohort, program: Program, reader_zone: str | None) -> list[str]:
    """The cohort's dated calendar, one phase a line in the order they open, with what happens in each."""
    uses = _what_happens(program)
    lines = []
    for phase in dated_phases(cohort.calendar).values():
        what = f" [{', '.join(uses[phase.id])}]" if phase.id in uses else ""
        lines.append(f"{program_words(phase.name)} (`{phase.id}`){what}: {phase.words(reader_zone)}")
    return lines


def _what_happens(program: Program) -> dict[str, list[str]]:
    """What happens in which phase, in words: {"sessions": ["one-to-one sessions"], ...}."""
    uses: dict[str, list[str]] = {}
    pairs = [
        (program.calendar.work, _("the working period: check-ins")),
        (program.application.phase, _("applications")),
    ]
    if program.one_to_one is not None:
        pairs.append((program.one_to_one.phase or program.calendar.work, _("one-to-one sessions")))
    if program.peer_groups is not None and program.peer_groups.phase:
        pairs.append((program.peer_groups.phase, _("peer groups")))
    pairs += [
        (survey.phase, _("survey: {title}").format(title=program_words(survey.title))) for survey in program.surveys
    ]
    for phase_id, use in pairs:
        uses.setdefault(phase_id, []).append(use)
    return uses


def running(cohort: Cohort, now: datetime) -> bool:
    """The cohort's calendar has not ended (its work, or a survey after it)."""
    return cycle_end(cohort) >= now.date()


def has_members() -> ColumnElement[bool]:
    """A condition on Cohort: it has participants, mentees or partners. Next year's cohort, still taking
    applications, has none yet: no one to announce to, report on or schedule a group for."""
    return exists().where(Membership.cohort_id == Cohort.id, Membership.role.in_(GUIDED_ROLES))
