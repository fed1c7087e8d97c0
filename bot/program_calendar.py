"""A program file's `[calendar]`: its phases read and checked against each other and against what the
program does in them (the application, sessions, peer groups, surveys)."""

from datetime import time

from bot.cycle import CalendarRules, PhaseRule, PhaseUses, YearDay, contradictions, dated_phases
from bot.program_rules import Application, Program, SessionRules, Survey
from bot.program_table import Table
from bot.timezones import is_valid_timezone

PLACED_IN = 2025  # a year to place a program's cycle in while checking it (any year does)


def _phase(t: Table) -> PhaseRule:
    t.unknown_keys({"id", "name", "opens", "closes", "closes_at", "zone"})
    phase_id, name = t.identifier("id"), t.text("name")
    opens, closes = t.year_day("opens"), t.year_day("closes")
    closes_at, zone = t.text("closes_at", required=False), t.text("zone", required=False)
    hour = None
    if closes_at:
        try:
            hour = time.fromisoformat(closes_at)
        except ValueError:
            t.problem("closes_at", f'must be a time of day like "23:59", got {closes_at!r}')
        if not zone:
            t.problem("closes_at", f'phase {phase_id!r} gives a deadline hour without a zone: add zone = "..."')
    if zone and not is_valid_timezone(zone):
        t.problem("zone", f"{zone!r} is not a time zone name like 'America/Los_Angeles'")
    nowhere = YearDay(1, 1)
    return PhaseRule(phase_id, name, opens or nowhere, closes or nowhere, hour, zone or None)


def read_calendar(t: Table | None, uses: PhaseUses) -> CalendarRules:
    """`[calendar]`: the phases of one cycle and its working period, checked against each other."""
    if t is None:
        return CalendarRules((), "")
    t.unknown_keys({"work", "phases", "after_end"})
    phases = tuple(_phase(p) for p in t.tables("phases", required=True))
    t.unique_ids("phases", [p.id for p in phases])
    rules = CalendarRules(phases, t.identifier("work"))
    known = {p.id for p in phases}
    links = [("calendar.work", uses.work), ("application.phase", uses.application)]
    links += [("one_to_one.phase", uses.one_to_one), ("peer_groups.phase", uses.peer_groups)]
    links += [(f"surveys '{survey}'.phase", phase) for survey, phase in uses.surveys]
    missing = [(key, phase) for key, phase in links if phase and phase not in known]
    for key, phase in missing:
        t.problems.append(f"key '{key}': {phase!r} is not one of the phases ({', '.join(sorted(known))})")
    work = rules.rule(rules.work)
    if work is not None and not missing:
        for problem in contradictions(dated_phases(rules.place(work.opens.in_cycle(PLACED_IN))), uses):
            t.problem("phases", problem)
    return rules


def read_after_end(t: Table) -> str | None:
    """`[calendar] after_end`: what pairs may do once the working period is over (ALCTS: go on informally,
    on their own), told to them the day after it ends (bot/ending.py)."""
    calendar = t.data.get("calendar")
    if not isinstance(calendar, dict):
        return None
    return Table(calendar, "calendar", t.problems).text("after_end", required=False) or None


def uses_of(
    work: str,
    application: Application,
    one_to_one: SessionRules | None,
    peer_groups: SessionRules | None,
    surveys: tuple[Survey, ...],
) -> PhaseUses:
    return PhaseUses(
        work=work,
        application=application.phase,
        one_to_one=one_to_one.phase if one_to_one else None,
        peer_groups=peer_groups.phase if peer_groups else None,
        surveys=tuple((survey.id, survey.phase) for survey in surveys),
    )


def phase_uses(program: Program) -> PhaseUses:
    """What the program does in which phase, as bot/cycle.py checks a calendar against it."""
    return uses_of(program.calendar.work, program.application, program.one_to_one, program.peer_groups, program.surveys)
