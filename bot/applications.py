"""Applications: which cohort takes them, the steps a program asks, and the decisions on them.

The steps come from the program file: the role (when the program has more than one applicant role),
eligibility questions, questions, then materials, each limited to the roles it names. An application
saves every answer as it is given; the next step is always the first one still unanswered.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cohorts import application_phase
from bot.cycle import DatedPhase, dated_phase
from bot.i18n import N_, _, ngettext, program_words, role_word
from bot.messages import each_of
from bot.places import CONTENDED, FULL, take_numbered_place
from bot.program_rules import cycle_starts
from bot.programs import EligibilityQuestion, Material, Program, Question
from storage.models import Application, Cohort, Membership, Pair, Person, Seat

BOTH = "both"
URL = re.compile(r"https?://[^\s<>|]+")
STATUS_WORDS = {
    "draft": N_("in progress, not submitted yet"),
    "ineligible": N_("ended: an eligibility rule was not met"),
    "submitted": N_("submitted, waiting for the coordinators' decision"),
    "accepted": N_("accepted"),
    "waitlisted": N_("on the waitlist"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
    "lapsed": N_("ended: the place was not confirmed in time, so it went to the next person waiting"),
}  # shown with _(): status_words()


# An application's status as one word ("Dana's application is accepted"): review, reopen, `my data`.
STATUS_NAMES = {
    "draft": N_("draft"),
    "ineligible": N_("ineligible"),
    "submitted": N_("submitted"),
    "accepted": N_("accepted"),
    "waitlisted": N_("waitlisted"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
    "lapsed": N_("lapsed"),
}


def status_name(status: str) -> str:
    """ "accepted", in the reader's language; a status not known here as it is stored."""
    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status


def status_words(status: str) -> str:
    """An application's status as a sentence says it ("on the waitlist"), in the reader's language."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


OPEN_STATUSES = ("draft", "submitted", "accepted", "waitlisted")  # ones a person can still withdraw
DECIDABLE = ("submitted", "waitlisted", "accepted")

StepKind = Literal["role", "eligibility", "question", "material"]


@dataclass(frozen=True)
class Step:
    kind: StepKind
    key: str  # "role", "eligibility:ID", "question:ID", "material:ID"
    item: EligibilityQuestion | Question | Material | None = None

    @property
    def item_id(self) -> str:
        return self.key.partition(":")[2] or self.key


def role_choices(program: Program) -> tuple[str, ...]:
    roles = program.application.roles
    return (*roles, BOTH) if program.application.allow_both else roles


def roles_for(choice: str, program: Program) -> list[str]:
    return list(program.application.roles) if choice == BOTH else [choice]


def choices_of(step: Step, program: Program) -> tuple[str, ...]:
    """The answers a step offers; empty when it takes free text or a material."""
    if step.kind == "role":
        return role_choices(program)
    return step.item.choices if isinstance(step.item, EligibilityQuestion | Question) else ()


def steps(program: Program, roles: list[str]) -> list[Step]:
    """Every step this program asks of an applicant for `roles` (all roles while none is chosen)."""
    application = program.application
    found: list[Step] = [Step("role", "role")] if len(role_choices(program)) > 1 else []

    def applies(item_roles: tuple[str, ...]) -> bool:
        return not item_roles or not roles or bool(set(item_roles) & set(roles))

    found += [Step("eligibility", f"eligibility:{q.id}", q) for q in application.eligibility if applies(q.roles)]
    found += [Step("question", f"question:{q.id}", q) for q in application.questions if applies(q.roles)]
    found += [Step("material", f"material:{m.id}", m) for m in application.materials if applies(m.roles)]
    return found


def is_answered(application: Application, step: Step) -> bool:
    if step.kind == "role":
        return bool(application.roles)
    if step.kind == "material":
        assert isinstance(step.item, Material)
        value = application.materials.get(step.item_id)
        if isinstance(value, dict):  # {"skipped": true} or {"draft": ...}: a draft is not an answer
            return bool(value.get("skipped")) or bool(value.get("done"))
        return bool(value)
    return step.item_id in application.answers


def next_step(application: Application, program: Program) -> Step | None:
    for step in steps(program, application.roles):
        if not is_answered(application, step):
            return step
    return None


def find_step(program: Program, roles: list[str], key: str) -> Step | None:
    return next((step for step in steps(program, roles) if step.key == key), None)


def word_count(text: str) -> int:
    return len(text.split())


def links_in(text: str) -> list[str]:
    return [url.rstrip(".,;)>") for url in URL.findall(text)]


def material_files(application: Application, material_id: str) -> list[dict[str, str]]:
    value = application.materials.get(material_id)
    return list(value.get("files", [])) if isinstance(value, dict) else []


def answer_lines(application: Application, program: Program) -> list[str]:
    """Every answer given, one line each, in the order the program asks them."""
    lines = []
    for step in steps(program, application.roles):
        lines.append(f"{step_label(step, program)}: {answer_text(application, step)}")
    return lines


def step_label(step: Step, program: Program) -> str:
    if step.kind == "role":
        return _("Applying as")
    if isinstance(step.item, EligibilityQuestion | Question):
        return _short(program_words(step.item.question), 70)
    assert isinstance(step.item, Material)
    return _short(program_words(step.item.label).split(":")[0], 70)


def role_names(roles: Sequence[str]) -> str:
    """ "coach", "coach and partner": the roles of an application, as a sentence says them."""
    return each_of([role_word(role) for role in roles])


def answer_text(application: Application, step: Step) -> str:
    if step.kind == "role":
        return role_names(application.roles) or _("(not answered)")
    if step.kind != "material":
        value = application.answers.get(step.item_id)
        if value is None:
            return _("(not answered)")
        # A choice is the program file's word (translated); a typed answer stays as the person wrote it.
        chosen = isinstance(step.item, EligibilityQuestion | Question) and value in step.item.choices
        return program_words(str(value)) if chosen else str(value)
    assert isinstance(step.item, Material)
    value = application.materials.get(step.item_id)
    if not isinstance(value, dict):
        return _("(not given)")
    if value.get("skipped"):
        return _("(skipped)")
    if step.item.kind == "text":
        if value.get("done"):
            count = word_count(value["text"])
            return ngettext("{text} ({count} word)", "{text} ({count} words)", count).format(
                text=value["text"], count=count
            )
        return _("(not given)")
    files = value.get("files", [])
    return ", ".join(f"{f['name']} <{f['url']}>" for f in files) if files else _("(not given)")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# Cohorts and their windows


async def open_cohort(
    session: AsyncSession, program: Program, now: datetime, region_id: str | None = None
) -> Cohort | None:
    """The cohort of `program` taking applications now (the one starting last, if several); in a
    program with regions, `region_id` asks for that region's."""
    cohorts = await open_cohorts(session, program, now)
    if region_id is not None:
        cohorts = [cohort for cohort in cohorts if cohort.region_id == region_id]
    return cohorts[0] if cohorts else None


async def open_cohorts(session: AsyncSession, program: Program, now: datetime) -> list[Cohort]:
    """Every cohort of `program` taking applications now, the one starting last first."""
    found = []
    for cohort in await _cohorts(session, program.id):
        call = application_phase(cohort, program)
        if call is not None and call.is_open(now):
            found.append(cohort)
    return found


async def next_call(session: AsyncSession, program: Program, now: datetime) -> DatedPhase:
    """The next call that is really coming: a cohort's that has not opened yet, else the program's own
    cycle placed in the coming years (this year's, when it is still ahead)."""
    upcoming = []
    for cohort in await _cohorts(session, program.id):
        call = application_phase(cohort, program)
        if call is not None and call.opening > now:
            upcoming.append(call)
    if upcoming:
        return min(upcoming, key=lambda call: call.opening)
    coming = []
    for starts in cycle_starts(program):  # each region's cycle, where they differ
        for year in range(now.year - 1, now.year + 3):
            call = dated_phase(program.calendar.place(starts.in_cycle(year)), program.application.phase)
            if call is not None and call.opening > now:
                coming.append(call)
                break
    return min(coming, key=lambda call: call.opening)


def submittable_until(application: Application, call: DatedPhase | None) -> datetime | None:
    """Until when a draft may be submitted: the call's deadline, or later where a coordinator reopened it."""
    deadlines = [moment for moment in (call.deadline if call else None, application.reopened_until) if moment]
    return max(deadlines) if deadlines else None


async def _cohorts(session: AsyncSession, program_id: str) -> list[Cohort]:
    query = select(Cohort).where(Cohort.program_id == program_id).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    return list((await session.execute(query)).scalars())


# Decisions


class SelectionError(Exception):
    """A decision that cannot be made, with the sentence that tells the coordinator why."""


async def accept(session: AsyncSession, application: Application, program: Program) -> int | None:
    """Give the application a seat (when the program has seats) and its cohort roles; the seat number."""
    seat = None
    if program.seats is not None and await _seat_of(session, application.id) is None:
        seat = await _take_seat(session, application, program.seats)
    for role in application.roles:
        await _add_membership(session, application, role)
    return seat


async def _take_seat(session: AsyncSession, application: Application, seats: int) -> int:
    taken = await take_numbered_place(
        session,
        select(Seat.number).where(Seat.cohort_id == application.cohort_id),
        seats,
        lambda number: Seat(cohort_id=application.cohort_id, number=number, application_id=application.id),
    )
    if taken == FULL:
        raise SelectionError(
            ngettext("The {count} seat is taken.", "All {count} seats are taken.", seats).format(count=seats)
        )
    if taken == CONTENDED:
        raise SelectionError(_("Another coordinator is deciding at the same moment; please try again."))
    assert isinstance(taken, int)
    return taken


async def _seat_of(session: AsyncSession, application_id: int) -> int | None:
    query = select(Seat.number).where(Seat.application_id == application_id)
    return (await session.execute(query)).scalar_one_or_none()


async def seats_taken(session: AsyncSession, cohort_id: int) -> int:
    query = select(func.count()).select_from(Seat).where(Seat.cohort_id == cohort_id)
    return (await session.execute(query)).scalar_one()


async def _add_membership(session: AsyncSession, application: Application, role: str) -> None:
    exists = await session.execute(
        select(Membership.id).where(
            Membership.cohort_id == application.cohort_id,
            Membership.person_id == application.person_id,
            Membership.role == role,
        )
    )
    if exists.first() is None:
        session.add(
            Membership(
                cohort_id=application.cohort_id,
                person_id=application.person_id,
                role=role,
                created_at=application.updated_at,
            )
        )


async def release(session: AsyncSession, application: Application, now: datetime, reason: str) -> bool:
    """Undo an acceptance: the seat, the cohort roles and any active pairing. True if a seat was freed."""
    freed = (await session.execute(delete(Seat).where(Seat.application_id == application.id))).rowcount > 0
    await session.execute(
        delete(Membership).where(
            Membership.cohort_id == application.cohort_id,
            Membership.person_id == application.person_id,
            Membership.role.in_(application.roles),
        )
    )
    person = application.person_id
    await session.execute(
        update(Pair)
        .where(Pair.cohort_id == application.cohort_id, Pair.status == "active")
        .where((Pair.guide_id == person) | (Pair.guided_id == person))
        .values(status="ended", ended_at=now, end_reason=reason)
    )
    return freed


async def waitlist_names(session: AsyncSession, cohort_id: int) -> list[str]:
    query = (
        select(Person.display_name)
        .join(Application, Application.person_id == Person.id)
        .where(Application.cohort_id == cohort_id, Application.status == "waitlisted")
        .order_by(Application.decided_at, Application.id)
    )
    return list((await session.execute(query)).scalars())
