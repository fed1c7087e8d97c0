"""Program definitions: one TOML file per program in PROGRAMS_DIR, validated with clear errors.

A program is the rules; a cohort is one run of it with real dates. The calendar is one cycle of phases
placed from the cycle's start (bot/cycle.py), so one file serves every year; the application, the
sessions, the peer groups and each survey name the phase they happen in.
"""

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from bot.cycle import (
    CalendarRules,
    PhaseRule,
    PhaseUses,
    YearDay,
    contradictions,
    dated_phases,
    parse_year_day,
)
from bot.timezones import is_valid_timezone

ROLES = ("coordinator", "coach", "mentor", "participant", "mentee", "partner")
KINDS = ("coaching", "mentoring")
CADENCES = ("monthly", "quarterly")
QUESTION_KINDS = ("yes_no", "choice")
MATERIAL_KINDS = ("text", "file")
SURVEY_QUESTION_KINDS = ("scale", "single", "multiple", "text")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PLACED_IN = 2025  # a year to place a program's cycle in while checking it (any year does)


class ProgramError(Exception):
    """One or more problems in program files, each naming the file, the key and the problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class EligibilityQuestion:
    id: str
    question: str
    kind: str
    choices: tuple[str, ...]
    accept: tuple[str, ...]  # answers that keep the application going
    rule: str  # the rule, told to the applicant when an answer is not accepted
    roles: tuple[str, ...] = ()  # the applicant roles it is asked of; empty: everyone


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    choices: tuple[str, ...]  # empty: a short free answer
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Material:
    id: str
    label: str
    kind: str
    required: bool
    max_words: int | None
    max_count: int
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Confirmation:
    """`[application.confirmation]`: an accepted applicant confirms the commitment in the program's words
    within `within_days` (a coordinator may change it), with one reminder after `remind_after_days`."""

    asks: str  # the commitment, as the program words it
    within_days: int
    remind_after_days: int


@dataclass(frozen=True)
class Application:
    phase: str  # the call: when applications are taken
    roles: tuple[str, ...]
    allow_both: bool  # one person may apply for every applicant role at once (ALCTS: mentor and mentee)
    eligibility: tuple[EligibilityQuestion, ...]
    questions: tuple[Question, ...]
    materials: tuple[Material, ...]
    confirmation: Confirmation | None = None  # None: an acceptance needs no confirmation


@dataclass(frozen=True)
class SessionRules:
    count: int | None  # None: no quota (ALCTS expects hours of contact instead)
    minutes: int
    phase: str | None  # when sessions may take place; None: the whole working period
    minimum_hours: float | None  # contact the pair commits to over the term


@dataclass(frozen=True)
class SurveyQuestion:
    id: str
    text: str
    kind: str
    options: tuple[str, ...]
    optional: bool


@dataclass(frozen=True)
class Survey:
    id: str
    title: str
    audience: tuple[str, ...]
    phase: str  # when it is open
    questions: tuple[SurveyQuestion, ...]


@dataclass(frozen=True)
class CheckIns:
    """How often pairs are asked how it is going, at what local time, and when one reminder follows."""

    cadence: str  # monthly or quarterly, counted from the cohort's start
    send_at: time  # in each person's own zone
    remind_after_days: int

    @property
    def months(self) -> int:
        return 3 if self.cadence == "quarterly" else 1


@dataclass(frozen=True)
class CoachHours:
    min_per_month: float
    max_per_month: float
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    coordinators: tuple[str, ...]


@dataclass(frozen=True)
class ResourceRules:
    """A program's shared resource library (`[resources]`): the kinds of resource and the career stages and
    topics they are filtered by."""

    kinds: tuple[str, ...]
    career_stages: tuple[str, ...]
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Program:
    id: str
    name: str
    short_name: str
    organisation: str
    kind: str
    description: str
    contact: str
    roles: tuple[str, ...]
    guide_role: str  # coach or mentor
    guided_role: str  # participant, mentee or partner
    seats: int | None
    guide_capacity: int  # how many people one coach or mentor takes, unless they said otherwise
    calendar: CalendarRules
    application: Application
    one_to_one: SessionRules | None
    peer_groups: SessionRules | None
    check_ins: CheckIns
    surveys: tuple[Survey, ...]
    coach_hours: CoachHours | None
    assessments: tuple[str, ...]
    objectives: tuple[str, ...]
    coordinators: tuple[str, ...]
    relay: bool
    announce_accepted: bool
    pair_change_by_consent: bool  # either side may ask to end a pairing; it ends when the other agrees
    regions: tuple[Region, ...]
    resources: ResourceRules | None  # None: the program has no resource library
    source: Path
    # `[calendar] after_end`: what pairs may do once the working period is over, in the program's words
    after_end: str | None = None


class _Table:
    """Typed access to one TOML table that records problems instead of stopping at the first."""

    def __init__(self, data: dict[str, Any], where: str, problems: list[str]) -> None:
        self.data, self.where, self.problems = data, where, problems

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def problem(self, key: str, text: str) -> None:
        self.problems.append(f"key '{self._key(key)}': {text}")

    def _value(self, key: str, required: bool) -> Any:
        if key not in self.data:
            if required:
                self.problem(key, "is missing")
            return None
        return self.data[key]

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        value = self._value(key, required)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            self.problem(key, f"must be non-empty text, got {value!r}")
            return default
        return value.strip()

    def identifier(self, key: str) -> str:
        value = self.text(key)
        if value and not ID_PATTERN.match(value):
            self.problem(key, f"must be lower-case letters, digits, '-' or '_', got {value!r}")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], *, default: str | None = None) -> str:
        value = self.text(key, required=default is None, default=default or "")
        if value and value not in allowed:
            self.problem(key, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def number(self, key: str, *, minimum: float, required: bool = True, whole: bool = True) -> Any:
        value = self._value(key, required)
        if value is None:
            return None
        kinds = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
            kind = "a whole number" if whole else "a number"
            self.problem(key, f"must be {kind} of at least {minimum:g}, got {value!r}")
            return None
        return value

    def flag(self, key: str, *, default: bool) -> bool:
        value = self._value(key, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"must be true or false, got {value!r}")
            return default
        return value

    def texts(self, key: str, *, required: bool = True, allowed: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._value(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(key, f"must be a list of non-empty texts, got {value!r}")
            return ()
        for item in value:
            if allowed and item not in allowed:
                self.problem(key, f"{item!r} is not one of {', '.join(allowed)}")
        return tuple(v.strip() for v in value)

    def emails(self, key: str) -> tuple[str, ...]:
        found = self.texts(key, required=False)
        for email in found:
            if not EMAIL_PATTERN.match(email):
                self.problem(key, f"{email!r} is not an email address")
        return tuple(email.lower() for email in found)

    def year_day(self, key: str) -> Any:
        value = self.text(key)
        found = parse_year_day(value) if value else None
        if value and found is None:
            self.problem(key, f"must be a month-day like '10-01' or '04-30 next year', got {value!r}")
        return found

    def table(self, key: str, *, required: bool = True) -> "_Table | None":
        value = self._value(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(key, f"must be a table, got {value!r}")
            return None
        return _Table(value, self._key(key), self.problems)

    def tables(self, key: str, *, required: bool = False) -> list["_Table"]:
        value = self._value(key, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(key, "must be a list of tables ([[...]] in TOML)")
            return []
        return [_Table(item, f"{self._key(key)}[{i}]", self.problems) for i, item in enumerate(value)]

    def unknown_keys(self, known: set[str]) -> None:
        for key in sorted(set(self.data) - known):
            self.problem(key, "is not a known setting (check the spelling)")


def _eligibility(t: _Table, applicant_roles: tuple[str, ...]) -> EligibilityQuestion:
    kind = t.choice("kind", QUESTION_KINDS)
    choices = ("yes", "no") if kind == "yes_no" else t.texts("choices")
    accept = t.texts("accept")
    for answer in accept:
        if choices and answer not in choices:
            t.problem("accept", f"{answer!r} is not one of the choices {', '.join(choices)}")
    roles = t.texts("roles", required=False, allowed=applicant_roles)
    return EligibilityQuestion(t.identifier("id"), t.text("question"), kind, choices, accept, t.text("rule"), roles)


def _question(t: _Table, applicant_roles: tuple[str, ...], objectives: tuple[str, ...]) -> Question:
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


def _material(t: _Table, applicant_roles: tuple[str, ...]) -> Material:
    kind = t.choice("kind", MATERIAL_KINDS)
    max_words = t.number("max_words", minimum=1, required=False)
    if max_words is not None and kind != "text":
        t.problem("max_words", "only applies to materials of kind 'text'")
    max_count = t.number("max_count", minimum=1, required=False) or 1
    roles = t.texts("roles", required=False, allowed=applicant_roles)
    required = t.flag("required", default=True)
    return Material(t.identifier("id"), t.text("label"), kind, required, max_words, max_count, roles)


def _application(t: _Table, roles: tuple[str, ...], objectives: tuple[str, ...]) -> Application:
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
    _unique_ids(t, "eligibility", [q.id for q in eligibility] + [q.id for q in questions] + [m.id for m in materials])
    confirmation = _confirmation(t.table("confirmation", required=False))
    return Application(phase, applicant_roles, allow_both, eligibility, questions, materials, confirmation)


MOST_DAYS_TO_CONFIRM = 90


def _confirmation(t: _Table | None) -> Confirmation | None:
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


def _sessions(t: _Table | None, *, phase_required: bool) -> SessionRules | None:
    if t is None:
        return None
    count = t.number("count", minimum=1, required=False)
    minutes = t.number("minutes", minimum=15) or 60
    minimum_hours = t.number("minimum_hours", minimum=0, required=False, whole=False)
    if count is None and minimum_hours is None:
        t.problem("count", "is missing (or give minimum_hours for programs without a session quota)")
    phase = t.text("phase", required=phase_required) or None
    return SessionRules(count, minutes, phase, minimum_hours)


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


def _survey(t: _Table, roles: tuple[str, ...]) -> Survey:
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


def _unique_ids(t: _Table, key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            t.problem(key, f"the id {item!r} is used twice")
        seen.add(item)


PROGRAM_KEYS = {
    "id",
    "name",
    "short_name",
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
}


def _check_ins(t: _Table) -> CheckIns:
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


def _phase(t: _Table) -> PhaseRule:
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


def _calendar(t: _Table | None, uses: PhaseUses) -> CalendarRules:
    """`[calendar]`: the phases of one cycle and its working period, checked against each other."""
    if t is None:
        return CalendarRules((), "")
    t.unknown_keys({"work", "phases", "after_end"})
    phases = tuple(_phase(p) for p in t.tables("phases", required=True))
    _unique_ids(t, "phases", [p.id for p in phases])
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


def _after_end(t: _Table) -> str | None:
    """`[calendar] after_end`: what pairs may do once the working period is over (ALCTS: go on informally,
    on their own), told to them the day after it ends (bot/ending.py)."""
    calendar = t.data.get("calendar")
    if not isinstance(calendar, dict):
        return None
    return _Table(calendar, "calendar", t.problems).text("after_end", required=False) or None


RESOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 &'/-]{0,39}$")


def _resources(t: _Table | None) -> ResourceRules | None:
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


def _program(data: dict[str, Any], source: Path, problems: list[str]) -> Program:
    t = _Table(data, "", problems)
    t.unknown_keys(PROGRAM_KEYS)
    roles = t.texts("roles", allowed=ROLES)
    if roles and "coordinator" not in roles:
        t.problem("roles", "must include 'coordinator': someone has to run the program")
    pairing = t.table("pairing") or _Table({}, "pairing", [])
    guide, guided = (
        pairing.choice("guide", ("coach", "mentor")),
        pairing.choice("guided", ("participant", "mentee", "partner")),
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
    _unique_ids(t, "surveys", [s.id for s in surveys])
    regions = tuple(Region(r.identifier("id"), r.text("name"), r.emails("coordinators")) for r in t.tables("regions"))
    matching = t.table("matching", required=False)
    guide_capacity = (matching.number("capacity", minimum=1) if matching else None) or 2
    objectives = t.texts("objectives", required=False)
    _unique_ids(t, "regions", [r.id for r in regions])
    application = _application(t.table("application") or _Table({}, "application", []), roles, objectives)
    one_to_one = _sessions(t.table("one_to_one", required=False), phase_required=False)
    peer_groups = _sessions(t.table("peer_groups", required=False), phase_required=True)
    work = (t.table("calendar") or _Table({}, "calendar", [])).data.get("work", "")
    uses = _uses(work, application, one_to_one, peer_groups, surveys)
    calendar = _calendar(t.table("calendar"), uses)
    return Program(
        id=t.identifier("id"),
        name=t.text("name"),
        short_name=t.text("short_name"),
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
        check_ins=_check_ins(check_ins or _Table({}, "check_ins", [])),
        surveys=surveys,
        coach_hours=coach_hours,
        assessments=t.texts("assessments", required=False),
        objectives=objectives,
        coordinators=t.emails("coordinators"),
        relay=t.flag("relay", default=False),
        announce_accepted=t.flag("announce_accepted", default=False),
        pair_change_by_consent=t.flag("pair_change_by_consent", default=False),
        regions=regions,
        resources=_resources(t.table("resources", required=False)),
        source=source,
        after_end=_after_end(t),
    )


def _uses(
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
    return _uses(program.calendar.work, program.application, program.one_to_one, program.peer_groups, program.surveys)


def load_program(path: Path) -> Program:
    """Read and validate one program file; ProgramError lists every problem found in it."""
    problems: list[str] = []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError([f"{path}: not valid TOML: {exc}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgramError([f"{path}: cannot be read: {exc}"]) from None
    program = _program(data, path, problems)
    if problems:
        raise ProgramError([f"{path}: {problem}" for problem in problems])
    return program


class ProgramCatalog:
    """The programs this installation runs, by id."""

    def __init__(self, programs: list[Program]) -> None:
        self._by_id = {program.id: program for program in programs}

    def __iter__(self) -> Iterator[Program]:
        return iter(sorted(self._by_id.values(), key=lambda p: p.name))

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, program_id: str) -> Program | None:
        return self._by_id.get(program_id)

    def find(self, typed: str) -> Program | None:
        """A program by id, short name or name, or by a word unique to one of them ("alcts")."""
        wanted = " ".join(typed.lower().split())
        if not wanted:
            return None
        for program in self:
            if wanted in (program.id, program.short_name.lower(), program.name.lower()):
                return program
        found = [p for p in self if wanted in f"{p.id} {p.short_name} {p.name}".lower()]
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
    if problems:
        raise ProgramError(problems)
    return ProgramCatalog(programs)
