"""What a program file says, as typed values: the program, its application, sessions, check-ins, surveys,
hours, regions and resources (bot/programs.py reads and checks the files into these)."""

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from bot.cycle import CalendarRules, YearDay
from bot.i18n import _, program_words

ROLES = ("coordinator", "coach", "mentor", "participant", "mentee", "partner")
GUIDE_ROLES = ("coach", "mentor")  # the guide of a pair
GUIDED_ROLES = ("participant", "mentee", "partner")  # the one guided
PAIR_ROLES = GUIDE_ROLES + GUIDED_ROLES  # either side of a pair
KINDS = ("coaching", "mentoring")
CADENCES = ("monthly", "quarterly")
QUESTION_KINDS = ("yes_no", "choice")
MATERIAL_KINDS = ("text", "file")
SURVEY_QUESTION_KINDS = ("scale", "single", "multiple", "text")
RETENTION_POINTS = ("cohort_end", "decision")


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
    """One-to-one sessions or peer groups: how long, when, and the program's numbers as it means them.

    A minimum is a floor people are helped towards (SIG-ALICE: at least six sessions), never a cap; a
    maximum is what is offered and the most that can be booked (AAHSL: up to six). Hours of contact count
    held sessions plus the hours people report at check-ins (ALCTS: at least two hours per pair)."""

    minutes: int
    phase: str | None  # when sessions may take place; None: the whole working period
    minimum: int | None = None  # sessions each pair (or person, for peer groups) is meant to have at least
    maximum: int | None = None  # sessions each may have at most
    minimum_hours: float | None = None  # contact the pair commits to over the term
    maximum_hours: float | None = None
    # Weeks without a session held or booked after which a pair counts as quiet; None: not watched.
    quiet_weeks: int | None = None

    @property
    def counts_hours(self) -> bool:
        """The program counts hours of contact, not sessions (ALCTS)."""
        return self.minimum is None and self.maximum is None

    def quota_words(self) -> str:
        """The numbers as the program means them: "at least 6", "up to 6", "6 to 8", or ""."""
        return _range_words(self.minimum, self.maximum)

    def hours_words(self) -> str:
        return _range_words(self.minimum_hours, self.maximum_hours)


def _range_words(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g}" if low == high else _("{low} to {high}").format(low=f"{low:g}", high=f"{high:g}")
    if low is not None:
        return _("at least {low}").format(low=f"{low:g}")
    return _("up to {high}").format(high=f"{high:g}") if high is not None else ""


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
    starts: YearDay | None = None  # the month-day its work begins, where its cycle differs from the program's


@dataclass(frozen=True)
class ResourceRules:
    """A program's shared resource library (`[resources]`): the kinds of resource and the career stages and
    topics they are filtered by."""

    kinds: tuple[str, ...]
    career_stages: tuple[str, ...]
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Retention:
    """`[retention]`: when the answers and materials of an application that ended without a place (withdrawn,
    declined, ineligible) are removed: `days` after the cohort's end, or after the decision
    (bot/privacy/retention.py removes them)."""

    application_texts_from: str = "cohort_end"  # or "decision"
    application_texts_days: int = 0


@dataclass(frozen=True)
class Program:
    id: str
    name: str
    filed_short_name: str  # `short_name` as the file gives it; people read `short_name`
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
    # `[matching] share_application`: a coach sees the application of each participant matched to them
    share_application: bool = False
    # `name_in_sentence`: the name as running text uses it, with its article ("the ALCTS Mentoring Program")
    in_sentence: str = ""
    # `tag`: the program before a cohort's name ("AAHSL" in "AAHSL 2026-27"), so two programs' cohorts differ
    tag: str = ""
    retention: Retention = Retention()
    # `KEY_km` beside a text setting: (language, the file's English, its translation) for program_words
    translations: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)

    @property
    def short_name(self) -> str:
        """ "SIG-ALICE coaching": in the reader's language where the file gives one (`short_name_km`)."""
        return program_words(self.filed_short_name)


def cycle_starts(program: Program) -> list[YearDay]:
    """The month-days on which the program's cycles begin: its own, and each region's that differs."""
    work = program.calendar.rule(program.calendar.work)
    assert work is not None, "a validated program names its work phase"
    return sorted({region.starts or work.opens for region in program.regions} or {work.opens}, key=str)
