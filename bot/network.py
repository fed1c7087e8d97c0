"""The coordinator network: who coordinates which region of a program, their terms, and graduation.

A program file names standing coordinators (`coordinators`: national; each region's `coordinators`);
every other coordinator holds a stored term (coordinator_terms), national or for one region, started
with `appoint` and ended by a graduation. A graduation ends a regional coordinator's term, starts the
successor's in the same region, and makes the graduate a mentor in the region's next cohort: at once
when that cohort exists, otherwise when it is created (`python app.py cohorts create`).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.cohorts import cohort_calendar, cohort_of_program, work_span
from bot.i18n import N_, _, role_word, speaking
from bot.messages import Reply
from bot.programs import Program, Region
from bot.timezones import long_date
from storage.models import Cohort, CoordinatorTerm, Membership, Person

NATIONAL = "national"  # what a person types for a national term
GRADUATED, STEPPED_DOWN = "graduated", "stepped_down"
END_WORDS = {GRADUATED: N_("graduated"), STEPPED_DOWN: N_("stepped down")}  # shown with _()


class NetworkError(Exception):
    """A change to the network or its cohorts that cannot be made, with the sentence that says why."""


# Regions


def find_region(program: Program, typed: str) -> Region | None:
    """A region of the program by its id or its name ("northeast", "Northeast")."""
    wanted = " ".join(typed.lower().split())
    return next((r for r in program.regions if wanted in (r.id, r.name.lower())), None)


def region_name(program: Program, region_id: str | None) -> str:
    """The region's name as people read it; "national" (in the reader's language) for a term over every region."""
    if region_id is None:
        return _("national")
    region = next((r for r in program.regions if r.id == region_id), None)
    return region.name if region else region_id


def region_names(program: Program) -> str:
    return ", ".join(region.name for region in program.regions)


# Who coordinates


async def current_terms(session: AsyncSession, program_id: str) -> list[tuple[CoordinatorTerm, Person]]:
    query = (
        select(CoordinatorTerm, Person)
        .join(Person, Person.id == CoordinatorTerm.person_id)
        .where(CoordinatorTerm.program_id == program_id, CoordinatorTerm.ended_on.is_(None))
        .order_by(CoordinatorTerm.started_on, Person.display_name)
    )
    return [(term, person) for term, person in (await session.execute(query)).all()]


async def ended_terms(session: AsyncSession, program_id: str) -> list[CoordinatorTerm]:
    query = (
        select(CoordinatorTerm)
        .where(CoordinatorTerm.program_id == program_id, CoordinatorTerm.ended_on.is_not(None))
        .order_by(CoordinatorTerm.ended_on.desc(), CoordinatorTerm.id.desc())
    )
    return list((await session.execute(query)).scalars())


async def current_term(session: AsyncSession, program_id: str, person_id: int) -> CoordinatorTerm | None:
    query = select(CoordinatorTerm).where(
        CoordinatorTerm.program_id == program_id,
        CoordinatorTerm.person_id == person_id,
        CoordinatorTerm.ended_on.is_(None),
    )
    return (await session.execute(query)).scalar_one_or_none()


def standing_region(program: Program, email: str) -> str | None:
    """The region id (or NATIONAL) where the program file lists this email as a coordinator."""
    if email in program.coordinators:
        return NATIONAL
    return next((region.id for region in program.regions if email in region.coordinators), None)


async def national_coordinators(session: AsyncSession, program: Program) -> list[Person]:
    """The program file's national coordinators known to the assistant, and current national terms."""
    return await _coordinators(session, program, None, program.coordinators)


async def region_coordinators(session: AsyncSession, program: Program, region_id: str) -> list[Person]:
    region = next((r for r in program.regions if r.id == region_id), None)
    return await _coordinators(session, program, region_id, region.coordinators if region else ())


async def _coordinators(
    session: AsyncSession, program: Program, region_id: str | None, emails: tuple[str, ...]
) -> list[Person]:
    terms = select(CoordinatorTerm.person_id).where(
        CoordinatorTerm.program_id == program.id,
        CoordinatorTerm.ended_on.is_(None),
        CoordinatorTerm.region_id.is_(None) if region_id is None else CoordinatorTerm.region_id == region_id,
    )
    condition = Person.id.in_(terms)
    if emails:
        condition = condition | Person.email.in_(list(emails))
    return list((await session.execute(select(Person).where(condition).order_by(Person.id))).scalars())


async def cohort_coordinators(session: AsyncSession, cohort: Cohort, program: Program) -> list[Person]:
    """Everyone who coordinates the cohort: its own coordinators, its region's and the national ones."""
    found = {p.id: p for p in await national_coordinators(session, program)}
    if cohort.region_id is not None:
        found |= {p.id: p for p in await region_coordinators(session, program, cohort.region_id)}
    by_membership = select(Membership.person_id).where(
        Membership.cohort_id == cohort.id, Membership.role == "coordinator"
    )
    found |= {p.id: p for p in (await session.execute(select(Person).where(Person.id.in_(by_membership)))).scalars()}
    return [found[person_id] for person_id in sorted(found)]


# Appointing


async def appoint(
    session: AsyncSession,
    program: Program,
    person: Person,
    region_id: str | None,
    by: Person,
    today: date,
    now: datetime,
) -> CoordinatorTerm:
    """Start a term (region None: national) from today; NetworkError if the person coordinates already."""
    await _check_free(session, program, person)
    term = CoordinatorTerm(
        program_id=program.id,
        region_id=region_id,
        person_id=person.id,
        started_on=today,
        recorded_by_id=by.id,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(term)
    except IntegrityError:  # appointed elsewhere at the same moment
        raise NetworkError(_("{name} was just appointed by someone else.").format(name=person.display_name)) from None
    return term


async def _check_free(session: AsyncSession, program: Program, person: Person) -> None:
    """NetworkError unless the person can start a term: one current term per person and program."""
    term = await current_term(session, program.id, person.id)
    if term is not None:
        if term.region_id is None:
            sentence = _("{name} already coordinates nationally in the {program} (since {date}).")
        else:
            sentence = _("{name} already coordinates {region} in the {program} (since {date}).")
        raise NetworkError(
            sentence.format(
                name=person.display_name,
                region=region_name(program, term.region_id),
                program=program.short_name,
                date=long_date(term.started_on),
            )
        )
    standing = standing_region(program, person.email)
    if standing is not None:
        if standing == NATIONAL:
            sentence = _("{name} is a standing coordinator (nationally) in the program file {file}.")
        else:
            sentence = _("{name} is a standing coordinator ({region}) in the program file {file}.")
        raise NetworkError(
            sentence.format(name=person.display_name, region=region_name(program, standing), file=program.source.name)
        )


# Graduating


@dataclass(frozen=True)
class Handover:
    graduate: Person
    successor: Person
    region: str  # the region's name
    mentor_cohort: Cohort | None  # None: the graduate becomes a mentor when the region's next cohort is created


async def check_graduation(session: AsyncSession, program: Program, term: CoordinatorTerm, successor: Person) -> None:
    """NetworkError unless the term can be handed over to `successor` now."""
    graduate = await session.get_one(Person, term.person_id)
    if term.ended_on is not None:
        raise NetworkError(
            _("{name}'s term ended on {date} already.").format(
                name=graduate.display_name, date=long_date(term.ended_on)
            )
        )
    if term.region_id is None:
        raise NetworkError(
            _("{name} coordinates nationally; a graduation hands one region over to a successor.").format(
                name=graduate.display_name
            )
        )
    if successor.id == graduate.id:
        raise NetworkError(_("The successor must be someone else than the graduate."))
    await _check_free(session, program, successor)


async def graduate(
    session: AsyncSession,
    program: Program,
    term: CoordinatorTerm,
    successor: Person,
    by: Person,
    today: date,
    now: datetime,
) -> Handover:
    """End the term as graduated, start the successor's in the same region, record the hand-over, and
    make the graduate a mentor in the region's next cohort (or remember to, for when it is created)."""
    await check_graduation(session, program, term, successor)
    try:
        async with session.begin_nested():
            ended = await session.execute(
                update(CoordinatorTerm)
                .where(CoordinatorTerm.id == term.id, CoordinatorTerm.ended_on.is_(None))
                .values(
                    ended_on=today,
                    end_reason=GRADUATED,
                    successor_id=successor.id,
                    ended_by_id=by.id,
                    ended_at=now,
                )
            )
            if ended.rowcount != 1:
                raise NetworkError(_("This term was handed over a moment ago by someone else."))
            session.add(
                CoordinatorTerm(
                    program_id=program.id,
                    region_id=term.region_id,
                    person_id=successor.id,
                    started_on=today,
                    recorded_by_id=by.id,
                    created_at=now,
                )
            )
    except IntegrityError:  # the successor was appointed elsewhere at the same moment
        raise NetworkError(_("{name} was just appointed elsewhere.").format(name=successor.display_name)) from None
    await session.refresh(term)
    graduate_person = await session.get_one(Person, term.person_id)
    cohort = await next_cohort(session, program.id, term.region_id, today)
    if cohort is not None:
        await _make_mentor(session, term, cohort, program, now)
    return Handover(graduate_person, successor, region_name(program, term.region_id), cohort)


async def next_cohort(session: AsyncSession, program_id: str, region_id: str | None, today: date) -> Cohort | None:
    """The region's cohort starting soonest after today."""
    query = (
        select(Cohort)
        .where(Cohort.program_id == program_id, Cohort.region_id == region_id, Cohort.starts_on > today)
        .order_by(Cohort.starts_on, Cohort.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def _make_mentor(
    session: AsyncSession, term: CoordinatorTerm, cohort: Cohort, program: Program, now: datetime
) -> None:
    exists = await session.execute(
        select(Membership.id).where(
            Membership.cohort_id == cohort.id,
            Membership.person_id == term.person_id,
            Membership.role == program.guide_role,
        )
    )
    if exists.first() is None:
        session.add(Membership(cohort_id=cohort.id, person_id=term.person_id, role=program.guide_role, created_at=now))
    term.mentor_cohort_id = cohort.id


async def place_graduates(session: AsyncSession, cohort: Cohort, program: Program, now: datetime) -> list[Person]:
    """A new cohort takes the mentors its region's graduations promised; each graduate is told."""
    if cohort.region_id is None:
        return []
    query = select(CoordinatorTerm).where(
        CoordinatorTerm.program_id == program.id,
        CoordinatorTerm.region_id == cohort.region_id,
        CoordinatorTerm.end_reason == GRADUATED,
        CoordinatorTerm.mentor_cohort_id.is_(None),
        CoordinatorTerm.ended_on < cohort.starts_on,
    )
    placed = []
    for term in (await session.execute(query.order_by(CoordinatorTerm.id))).scalars():
        await _make_mentor(session, term, cohort, program, now)
        person = await session.get_one(Person, term.person_id)
        placed.append(person)
        with speaking(person.language):
            told = Reply(
                _(
                    "As planned at your graduation, you are a {role} in {cohort}, which starts on {date}. "
                    "The coordinators will pair you with a {other_role} and I will tell you who it is."
                ).format(
                    role=role_word(program.guide_role),
                    cohort=cohort_of_program(cohort, program),
                    date=long_date(cohort.starts_on),
                    other_role=role_word(program.guided_role),
                ),
                title=_("{program}: you are a {role}").format(
                    program=program.short_name, role=role_word(program.guide_role)
                ),
            )
        outbox.queue(session, person.id, told, kind="graduation", now=now)
    return placed


# Creating a cohort (python app.py cohorts create)


async def create_cohort(
    session: AsyncSession,
    program: Program,
    starts_on: date,
    now: datetime,
    *,
    region_typed: str | None = None,
    name: str | None = None,
) -> Cohort:
    """A new cohort of the program from `starts_on`, its windows from the program file; NetworkError
    for a region the program does not have (or lacks), or a name the program has already."""
    region = _region_for_cohort(program, region_typed)
    if starts_on < now.date():
        raise NetworkError(
            _("{date} has passed: a new cohort starts on a day to come (the day its work begins).").format(
                date=long_date(starts_on)
            )
        )
    calendar = cohort_calendar(program, starts_on)
    ends_on = work_span(calendar, program)[1]
    name = " ".join((name or default_cohort_name(starts_on, ends_on, region)).split())
    if not name or len(name) > 200:
        raise NetworkError(_("A cohort's name must have from 1 to 200 characters."))
    cohort = Cohort(
        program_id=program.id,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        calendar=calendar,
        region_id=region.id if region else None,
        is_demo=False,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(cohort)
    except IntegrityError:
        raise NetworkError(
            _("The {program} has a cohort named '{name}' already.").format(program=program.short_name, name=name)
        ) from None
    return cohort


def _region_for_cohort(program: Program, typed: str | None) -> Region | None:
    if not program.regions:
        if typed:
            raise NetworkError(f"The {program.short_name} has no regions: leave out --region.")
        return None
    if not typed:
        raise NetworkError(
            f"The {program.short_name} runs one cohort per region: give --region (one of: {region_names(program)})."
        )
    region = find_region(program, typed)
    if region is None:
        raise NetworkError(
            f"The {program.short_name} has no region '{typed}'. Its regions are: {region_names(program)}."
        )
    return region


def default_cohort_name(starts_on: date, ends_on: date, region: Region | None) -> str:
    """ "2027-28 Northeast": the years the cohort runs, and its region."""
    years = str(starts_on.year) if ends_on.year == starts_on.year else f"{starts_on.year}-{str(ends_on.year)[-2:]}"
    return f"{years} {region.name}" if region else years
