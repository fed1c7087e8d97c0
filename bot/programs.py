"""Program definitions: one TOML file per program in PROGRAMS_DIR, read into the typed values of
bot/program_rules.py and validated with clear errors naming the file, the key and the problem.

A program is the rules; a cohort is one run of it with real dates. The calendar is one cycle of phases
placed from the cycle's start (bot/cycle.py), so one file serves every year; the application, the
sessions, the peer groups and each survey name the phase they happen in.
"""

import dataclasses
import re
import tomllib
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

from bot.i18n import learn_program_words
from bot.program_calendar import read_after_end, read_calendar, uses_of
from bot.program_names import in_sentence, tag
from bot.program_rules import (
    CADENCES,
    GUIDE_ROLES,
    GUIDED_ROLES,
    KINDS,
    MATERIAL_KINDS,
    QUESTION_KINDS,
    RETENTION_POINTS,
    ROLES,
    SURVEY_QUESTION_KINDS,
    Application,
    CheckIns,
    CoachHours,
    Confirmation,
    EligibilityQuestion,
    Material,
    Program,
    ProgramError,
    Question,
    Region,
    ResourceRules,
    Retention,
    SessionRules,
    Survey,
    SurveyQuestion,
)
from bot.program_table import Table
from bot.program_translations import take_translations

# The typed values are read from here too (bot.programs.Program, ...), as before they had a module of their own.
__all__ = [
    "Application",
    "CheckIns",
    "CoachHours",
    "Confirmation",
    "EligibilityQuestion",
    "Material",
    "Program",
    "ProgramCatalog",
    "ProgramError",
    "Question",
    "Region",
    "ResourceRules",
    "Retention",
    "SessionRules",
    "Survey",
    "SurveyQuestion",
    "asks_about_sessions",
    "load_program",
    "load_programs",
]


def _eligibility(t: Table, applicant_roles: tuple[str, ...]) -> EligibilityQuestion:
    kind = t.choice("kind", QUESTION_KINDS)
    choices = ("yes", "no") if kind == "yes_no" else t.texts("choices")
    accept = t.texts("accept")
    for answer in accept:
        if choices and answer not in choices:
            t.problem("accept", f"{answer!r} is not one of the choices {', '.join(choices)}")
    roles = t.texts("roles", required=False, allowed=applicant_roles)
    return EligibilityQuestion(t.identifier("id"), t.text("question"), kind, choices, accept, t.text("rule"), roles)


def _question(t: Table, applicant_roles: tuple[str, ...], objectives: tuple[str, ...]) -> Question:
    choices = t.texts("choices", required=False)
    source = t.text("choices_from", required=False)
    if source:
        if source != "objectives":
            t.problem("choices_from", f"must be 'objectives', got {source!r}")
        elif not objectives:
            t.problem("choices_from", "the program has no objectives to choose from")
        choices = objectives
    roles = t.texts("roles", required=False, allowed=applicant_roles)
    return Question(t.identifier("id"), t.text("question"), choices, roles)


def _material(t: Table, applicant_roles: tuple[str, ...]) -> Material:
    kind = t.choice("kind", MATERIAL_KINDS)
    max_words = t.number("max_words", minimum=1, required=False)
    if max_words is not None and kind != "text":
        t.problem("max_words", "only applies to materials of kind 'text'")
    max_count = t.number("max_count", minimum=1, required=False) or 1
    roles = t.texts("roles", required=False, allowed=applicant_roles)
    required = t.flag("required", default=True)
    return Material(t.identifier("id"), t.text("label"), kind, required, max_words, max_count, roles)


def _application(t: Table, roles: tuple[str, ...], objectives: tuple[str, ...]) -> Application:
    phase = t.identifier("phase")
    applicant_roles = t.texts("roles")
    for role in applicant_roles:
        if role not in roles:
            t.problem("roles", f"{role!r} is not one of this program's roles ({', '.join(roles)})")
    allow_both = t.flag("allow_both", default=False)
    if allow_both and len(applicant_roles) != 2:
        t.problem("allow_both", "needs exactly two applicant roles")
    eligibility = tuple(_eligibility(q, applicant_roles) for q in t.tables("eligibility"))
    questions = tuple(_question(q, applicant_roles, objectives) for q in t.tables("questions"))
    materials = tuple(_material(m, applicant_roles) for m in t.tables("materials"))
    t.unique_ids("eligibility", [q.id for q in eligibility] + [q.id for q in questions] + [m.id for m in materials])
    confirmation = _confirmation(t.table("confirmation", required=False))
    return Application(phase, applicant_roles, allow_both, eligibility, questions, materials, confirmation)


MOST_DAYS_TO_CONFIRM = 90
MOST_RETENTION_DAYS = 3650


def _confirmation(t: Table | None) -> Confirmation | None:
    """`[application.confirmation]`: what an accepted applicant confirms, and in how many days."""
    if t is None:
        return None
    t.unknown_keys({"asks", "within_days", "remind_after_days"})
    asks = t.text("asks")
    within = t.number("within_days", minimum=2, required=False) or 14
    if within > MOST_DAYS_TO_CONFIRM:
        t.problem("within_days", f"must be at most {MOST_DAYS_TO_CONFIRM} days, got {within!r}")
    remind = t.number("remind_after_days", minimum=1, required=False) or 7
    if remind >= within:
        t.problem("remind_after_days", f"must be fewer than within_days ({within}): the reminder comes before the end")
    return Confirmation(asks, within, remind)


def _sessions(t: Table | None, *, phase_required: bool) -> SessionRules | None:
    if t is None:
        return None
    if "count" in t.data:
        t.problem("count", "is ambiguous: say `minimum` (at least this many) or `maximum` (at most), or both")
    minutes = t.number("minutes", minimum=15) or 60
    low, high = t.number("minimum", minimum=1, required=False), t.number("maximum", minimum=1, required=False)
    low_hours = t.number("minimum_hours", minimum=0, required=False, whole=False)
    high_hours = t.number("maximum_hours", minimum=0, required=False, whole=False)
    if low is not None and high is not None and low > high:
        t.problem("minimum", f"({low}) is more than maximum ({high})")
    if low_hours is not None and high_hours is not None and low_hours > high_hours:
        t.problem("minimum_hours", f"({low_hours:g}) is more than maximum_hours ({high_hours:g})")
    if low is None and high is None and low_hours is None and high_hours is None:
        t.problem("minimum", "is missing: give minimum or maximum sessions, or minimum_hours or maximum_hours")
    quiet_weeks = t.number("quiet_weeks", minimum=1, required=False)
    phase = t.text("phase", required=phase_required) or None
    return SessionRules(minutes, phase, low, high, low_hours, high_hours, quiet_weeks)


# Words that ask what was said or worked on in coaching: a survey must never ask that (the programs
# promise it). Checked after dropping what a question rules out ("(not about ...)", "Please do not ...").
SESSION_CONTENT = re.compile(
    r"\b(topics?|discuss\w*|talk(?:ed|s)? about|conversations?|confidential\w*|session (?:content|details?|notes?)"
    r"|what (?:did|do|have) you (?:talk|discuss|share|bring|raise|work on)"
    r"|(?:did|do|have) you (?:work(?:ed)? on|bring up|raise|discuss)"
    r"|(?:issues?|problems?|challenges?|goals?) (?:you|they) (?:brought|raised|shared|discussed|worked on))\b",
    re.IGNORECASE,
)
RULED_OUT = re.compile(
    r"\((?:not|never|without)\b[^)]*\)|\b(?:please )?(?:do not|don't|never)\b[^.?!]*[.?!]?", re.IGNORECASE
)


def asks_about_sessions(question: str) -> str | None:
    """The words by which a survey question looks like it asks about coaching topics or sessions."""
    found = SESSION_CONTENT.search(RULED_OUT.sub(" ", question))
    return found.group(0) if found else None


def _survey(t: Table, roles: tuple[str, ...]) -> Survey:
    questions = []
    for q in t.tables("questions", required=True):
        kind = q.choice("kind", SURVEY_QUESTION_KINDS)
        options = q.texts("options", required=kind in ("single", "multiple"))
        text, optional = q.text("text"), q.flag("optional", default=False)
        if (words := asks_about_sessions(text)) is not None:
            q.problem(
                "text",
                f"looks like it asks about coaching topics or sessions ({words!r}); surveys never ask "
                "what was said or worked on. Reword it, or rule it out in the question, like '(not about ...)'",
            )
        if kind == "text" and not optional:
            q.problem("optional", "must be true for a text question: nobody has to write anything")
        questions.append(SurveyQuestion(q.identifier("id"), text, kind, options, optional))
    audience = t.texts("audience", allowed=roles)
    return Survey(
        t.identifier("id"),
        t.text("title"),
        audience,
        t.identifier("phase"),
        tuple(questions),
    )


PROGRAM_KEYS = {
    "id",
    "name",
    "name_in_sentence",
    "short_name",
    "tag",
    "organisation",
    "kind",
    "description",
    "contact",
    "roles",
    "pairing",
    "seats",
    "calendar",
    "application",
    "one_to_one",
    "peer_groups",
    "check_ins",
    "surveys",
    "coach_hours",
    "assessments",
    "objectives",
    "coordinators",
    "relay",
    "announce_accepted",
    "regions",
    "matching",
    "pair_change_by_consent",
    "resources",
    "retention",
}


def _check_ins(t: Table) -> CheckIns:
    t.unknown_keys({"cadence", "send_at", "remind_after_days"})
    send_at = t.text("send_at", required=False, default="09:00")
    try:
        at = time.fromisoformat(send_at)
    except ValueError:
        t.problem("send_at", f'must be a time of day like "09:00", got {send_at!r}')
        at = time(9)
    if not 8 <= at.hour < 20:
        t.problem("send_at", f"must be in the daytime, from 08:00 to 19:59, got {send_at!r}")
    remind_after = t.number("remind_after_days", minimum=1, required=False) or 5
    return CheckIns(t.choice("cadence", CADENCES), at, remind_after)


RESOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 &'/-]{0,39}$")


def _resources(t: Table | None) -> ResourceRules | None:
    """`[resources]`: kinds, career stages and topics, each a list of short names typed to filter the library
    (`resources early career`), so a name may be used once across the stages and topics."""
    if t is None:
        return None
    t.unknown_keys({"kinds", "career_stages", "topics"})
    lists = {key: t.texts(key) for key in ("kinds", "career_stages", "topics")}
    filters: dict[str, str] = {}  # a stage's or topic's name, lower-case -> its list
    for key, names in lists.items():
        if not names and key in t.data:
            t.problem(key, "must list at least one name")
        if len({name.lower() for name in names}) < len(names):
            t.problem(key, "lists a name twice")
        for name in names:
            if not RESOURCE_NAME.match(name) or name.lower() == "all" or "  " in name:
                t.problem(key, f"{name!r} must be a short name (up to 40 letters, digits or spaces), not 'all'")
            elif key != "kinds" and filters.setdefault(name.lower(), key) != key:
                t.problem(key, f"{name!r} is also in {filters[name.lower()]}: a filter word must name one thing")
    return ResourceRules(lists["kinds"], lists["career_stages"], lists["topics"])


def _retention(t: Table | None) -> Retention:
    """`[retention]`: when an ended application's answers and materials are removed; the cohort's end by default."""
    if t is None:
        return Retention()
    t.unknown_keys({"application_texts_from", "application_texts_days"})
    start = t.choice("application_texts_from", RETENTION_POINTS, default="cohort_end")
    days = t.number("application_texts_days", minimum=0, required=False) or 0
    if days > MOST_RETENTION_DAYS:
        t.problem("application_texts_days", f"must be at most {MOST_RETENTION_DAYS} days, got {days!r}")
    return Retention(start, days)  # with a problem recorded, the file is refused anyway


def _region(t: Table) -> Region:
    """A region of the program; `starts` when its cycle begins on another month-day than the program's."""
    t.unknown_keys({"id", "name", "coordinators", "starts"})
    starts = t.year_day("starts") if "starts" in t.data else None
    if starts is not None and starts.years:
        t.problem("starts", "is the month-day the region's work begins, without 'next year' or 'previous year'")
    return Region(t.identifier("id"), t.text("name"), t.emails("coordinators"), starts)


def _program(data: dict[str, Any], source: Path, problems: list[str]) -> Program:
    t = Table(data, "", problems)
    t.unknown_keys(PROGRAM_KEYS)
    roles = t.texts("roles", allowed=ROLES)
    if roles and "coordinator" not in roles:
        t.problem("roles", "must include 'coordinator': someone has to run the program")
    pairing = t.table("pairing") or Table({}, "pairing", [])
    guide, guided = (
        pairing.choice("guide", GUIDE_ROLES),
        pairing.choice("guided", GUIDED_ROLES),
    )
    for role in (guide, guided):
        if role and roles and role not in roles:
            pairing.problem("guide" if role == guide else "guided", f"{role!r} is not one of the program's roles")
    check_ins = t.table("check_ins")
    hours = t.table("coach_hours", required=False)
    coach_hours = None
    if hours is not None:
        low = hours.number("min_per_month", minimum=0, whole=False) or 0
        high = hours.number("max_per_month", minimum=0, whole=False) or 0
        if high < low:
            hours.problem("max_per_month", f"must not be below min_per_month ({low:g})")
        coach_hours = CoachHours(low, high, hours.texts("categories"))
    surveys = tuple(_survey(s, roles) for s in t.tables("surveys"))
    t.unique_ids("surveys", [s.id for s in surveys])
    regions = tuple(_region(r) for r in t.tables("regions"))
    matching = t.table("matching", required=False)
    guide_capacity = (matching.number("capacity", minimum=1) if matching else None) or 2
    share_application = matching.flag("share_application", default=False) if matching else False
    objectives = t.texts("objectives", required=False)
    t.unique_ids("regions", [r.id for r in regions])
    application = _application(t.table("application") or Table({}, "application", []), roles, objectives)
    one_to_one = _sessions(t.table("one_to_one", required=False), phase_required=False)
    peer_groups = _sessions(t.table("peer_groups", required=False), phase_required=True)
    work = (t.table("calendar") or Table({}, "calendar", [])).data.get("work", "")
    uses = uses_of(work, application, one_to_one, peer_groups, surveys)
    calendar = read_calendar(t.table("calendar"), uses)
    return Program(
        id=t.identifier("id"),
        name=t.text("name"),
        filed_short_name=t.text("short_name"),
        in_sentence=in_sentence(t),
        tag=tag(t),
        organisation=t.text("organisation"),
        kind=t.choice("kind", KINDS),
        description=t.text("description"),
        contact=t.text("contact", required=False),
        roles=roles,
        guide_role=guide,
        guided_role=guided,
        seats=t.number("seats", minimum=1, required=False),
        guide_capacity=guide_capacity,
        calendar=calendar,
        application=application,
        one_to_one=one_to_one,
        peer_groups=peer_groups,
        check_ins=_check_ins(check_ins or Table({}, "check_ins", [])),
        surveys=surveys,
        coach_hours=coach_hours,
        assessments=t.texts("assessments", required=False),
        objectives=objectives,
        coordinators=t.emails("coordinators"),
        relay=t.flag("relay", default=False),
        announce_accepted=t.flag("announce_accepted", default=False),
        pair_change_by_consent=t.flag("pair_change_by_consent", default=False),
        share_application=share_application,
        regions=regions,
        resources=_resources(t.table("resources", required=False)),
        source=source,
        after_end=read_after_end(t),
        retention=_retention(t.table("retention", required=False)),
    )


def load_program(path: Path) -> Program:
    """Read and validate one program file; ProgramError lists every problem found in it."""
    problems: list[str] = []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError([f"{path}: not valid TOML: {exc}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgramError([f"{path}: cannot be read: {exc}"]) from None
    words, problems = take_translations(data)
    program = _program(data, path, problems)
    translations = tuple((language, en, tr) for language, found in words.items() for en, tr in found.items())
    program = dataclasses.replace(program, translations=translations)
    if problems:
        raise ProgramError([f"{path}: {problem}" for problem in problems])
    return program


class ProgramCatalog:
    """The programs this installation runs, by id."""

    def __init__(self, programs: list[Program]) -> None:
        self._by_id = {program.id: program for program in programs}
        for program in programs:  # their Khmer words, for program_words
            for language, english, translation in program.translations:
                learn_program_words(language, {english: translation})

    def __iter__(self) -> Iterator[Program]:
        return iter(sorted(self._by_id.values(), key=lambda p: p.name))

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, program_id: str) -> Program | None:
        return self._by_id.get(program_id)

    def find(self, typed: str) -> Program | None:
        """A program by id, tag, short name or name, or by a word unique to one of them ("alcts")."""
        wanted = " ".join(typed.lower().split())
        if not wanted:
            return None
        for program in self:
            if wanted in (program.id, program.tag.lower(), program.short_name.lower(), program.name.lower()):
                return program
        found = [p for p in self if wanted in f"{p.id} {p.tag} {p.short_name} {p.name}".lower()]
        return found[0] if len(found) == 1 else None


def load_programs(folder: Path) -> ProgramCatalog:
    """Load every *.toml in `folder`; ProgramError lists the problems of all files together."""
    problems: list[str] = []
    programs: list[Program] = []
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ProgramError([f"{folder}: holds no program files (*.toml)"])
    for path in files:
        try:
            programs.append(load_program(path))
        except ProgramError as error:
            problems.extend(error.problems)
    seen: dict[str, Path] = {}
    for program in programs:
        if program.id in seen:
            problems.append(f"{program.source}: key 'id': {program.id!r} is already used by {seen[program.id]}")
        seen[program.id] = program.source
    tags: dict[str, Path] = {}
    for program in programs:  # two programs with one tag would name their cohorts alike
        key = program.tag.lower()
        if key in tags:
            problems.append(f"{program.source}: key 'tag': {program.tag!r} is already used by {tags[key]}")
        tags[key] = program.source
    if problems:
        raise ProgramError(problems)
    return ProgramCatalog(programs)
