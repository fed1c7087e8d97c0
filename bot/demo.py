"""`python app.py demo`: one demo cohort per program (per demo region in the coordinator network), with
example people in every role and the network's national and regional coordinators.

Each demo cohort is its program's own cycle shifted whole, so phases keep their order and lengths and
refuse what a real year refuses: this year's cohort is running today (one-to-one sessions and peer groups
open, pairs made), and next year's has its call open today, so a newcomer can apply. Running it again
changes nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import jobs
from bot.cohorts import cohort_label, work_span
from bot.cycle import dated_phase, with_phase
from bot.identity import get_or_create_person
from bot.programs import Program, ProgramCatalog
from storage.db import Database
from storage.models import Cohort, CoordinatorTerm, Membership, Pair, Person, Resource


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    timezone: str
    roles: dict[str, str]  # demo cohort (a program id, or "program id/region id") -> role
    terms: tuple[tuple[str, str | None], ...] = ()  # coordinator terms: (program id, region id or None: national)

    @property
    def role_names(self) -> list[str]:
        return sorted(set(self.roles.values()) | ({"coordinator"} if self.terms else set()))


AAHSL, IATUL, ALCTS, NETWORK = (
    "aahsl-coaching-pilot",
    "iatul-sig-alice",
    "alcts-mentoring",
    "mentorship-coordinator-network",
)
# A program with regions runs one cohort per region: the demo has two of the network's.
DEMO_REGIONS = {NETWORK: ("northeast", "west")}
NORTHEAST, WEST = f"{NETWORK}/northeast", f"{NETWORK}/west"

DEMO_PEOPLE = (
    DemoPerson(
        "coordinator@demo.example",
        "Casey Coordinator",
        "America/Chicago",
        {AAHSL: "coordinator", IATUL: "coordinator", ALCTS: "coordinator"},
        terms=((AAHSL, None), (IATUL, None), (ALCTS, None), (NETWORK, None)),  # national: every cohort
    ),
    DemoPerson(
        "coach@demo.example",
        "Cora Coach",
        "America/New_York",
        {AAHSL: "coach", IATUL: "coach", ALCTS: "mentor", NORTHEAST: "mentor"},
    ),
    DemoPerson("coach2@demo.example", "Lee Coach", "Europe/London", {AAHSL: "coach", IATUL: "coach"}),
    DemoPerson(
        "participant@demo.example",
        "Pat Participant",
        "America/Los_Angeles",
        {AAHSL: "participant", ALCTS: "mentee", NORTHEAST: "mentee"},
    ),
    DemoPerson("participant2@demo.example", "Dana Participant", "America/Denver", {AAHSL: "participant"}),
    DemoPerson("partner@demo.example", "Sokha Partner", "Asia/Phnom_Penh", {IATUL: "partner"}),
    DemoPerson("partner2@demo.example", "Dara Partner", "Asia/Phnom_Penh", {IATUL: "partner"}),
    DemoPerson("northeast@demo.example", "Nora Northeast", "America/New_York", {}, terms=((NETWORK, "northeast"),)),
    DemoPerson("west@demo.example", "Wes West", "America/Los_Angeles", {}, terms=((NETWORK, "west"),)),
    DemoPerson("mentor.west@demo.example", "Mia Mentor", "America/Los_Angeles", {WEST: "mentor"}),
    DemoPerson("mentee.west@demo.example", "Milo Mentee", "America/Denver", {WEST: "mentee"}),
)

# Next year's AAHSL cohort has its contracted coaches from the start (they do not apply): (program, email, role).
DEMO_NEXT_MEMBERS = ((AAHSL, "coach@demo.example", "coach"), (AAHSL, "coach2@demo.example", "coach"))

# (demo cohort, guide email, guided email); participant2 stays unpaired for matching.
DEMO_PAIRS = (
    (AAHSL, "coach@demo.example", "participant@demo.example"),
    (IATUL, "coach@demo.example", "partner@demo.example"),
    (IATUL, "coach2@demo.example", "partner2@demo.example"),
    (ALCTS, "coach@demo.example", "participant@demo.example"),
    (NORTHEAST, "coach@demo.example", "participant@demo.example"),
    (WEST, "mentor.west@demo.example", "mentee.west@demo.example"),
)


def running_start(program: Program, today: date) -> date:
    """Where a running demo cohort starts: two months before today, as long as today then falls inside its
    work, its one-to-one sessions and its peer groups; else where today is two months into all three (or
    halfway, where they overlap for less). The program's own cycle, shifted whole."""
    uses = [program.calendar.work]
    uses += [rules.phase for rules in (program.one_to_one, program.peer_groups) if rules is not None and rules.phase]
    usual = today - timedelta(days=60)
    spans = [dated_phase(program.calendar.place(usual), phase_id) for phase_id in uses]
    if all(span is not None and span.has_day(today) for span in spans):
        return usual
    nominal = program.calendar.place(_nominal_start(program, today.year))
    spans = [dated_phase(nominal, phase_id) for phase_id in uses]
    first = max(span.opens for span in spans if span)
    last = min(span.closes for span in spans if span)
    into = min(timedelta(days=60), (last - first) / 2)
    return _nominal_start(program, today.year) + (today - (first + into))


def next_start(program: Program, today: date) -> date:
    """Where next year's demo cohort starts so that its call opened a week ago."""
    nominal = program.calendar.place(_nominal_start(program, today.year))
    call = dated_phase(nominal, program.application.phase)
    assert call is not None
    return _nominal_start(program, today.year) + (today - (call.opens + timedelta(days=7)))


def _nominal_start(program: Program, year: int) -> date:
    work = program.calendar.rule(program.calendar.work)
    assert work is not None
    return work.opens.in_cycle(year)


def demo_calendar(program: Program, starts_on: date, today: date, *, open_survey: bool) -> dict[str, Any]:
    """The program's cycle placed at `starts_on`; with `open_survey` the AAHSL final evaluation is moved
    to have opened yesterday, as a coordinator could with `cohort dates`, for a newcomer to try."""
    calendar = program.calendar.place(starts_on)
    if open_survey and program.id == AAHSL and program.surveys:
        survey = dated_phase(calendar, program.surveys[0].phase)
        assert survey is not None
        calendar = with_phase(calendar, survey.moved(today - timedelta(days=1), today + timedelta(days=20)))
    return calendar


async def seed_demo(db: Database, programs: ProgramCatalog, now: datetime, *, open_survey: bool = False) -> list[str]:
    """Create what is missing of the demo; returns the names of the cohorts it created. `open_survey`:
    the AAHSL pilot's final evaluation has opened (the demo people see; tests ask for it when they need it)."""
    created: list[str] = []
    async with db.transaction() as session:
        people = {p.email: await get_or_create_person(session, p.email, p.name, p.timezone, now) for p in DEMO_PEOPLE}
        await session.flush()
        for program in programs:
            for key, region_id in _demo_cohorts_of(program):
                for running in (True, False):
                    cohort = await _demo_cohort(
                        session, program, region_id, now, running=running, open_survey=open_survey
                    )
                    if cohort is None:
                        continue
                    created.append(cohort_label(cohort, program))
                    if running:
                        await _fill(session, cohort, key, people, now)
                    else:
                        for program_id, email, role in DEMO_NEXT_MEMBERS:
                            if program_id == key:
                                person_id = people[email].id
                                session.add(
                                    Membership(cohort_id=cohort.id, person_id=person_id, role=role, created_at=now)
                                )
                    await jobs.plan_cohort(session, cohort, program, now)
            await _demo_terms(session, program, people, now)
        await _demo_resources(session, programs, people["coordinator@demo.example"].id, now)
    return created


def _demo_cohorts_of(program: Program) -> list[tuple[str, str | None]]:
    """(demo cohort key, region id): one cohort, or one per demo region in a program with regions."""
    if not program.regions:
        return [(program.id, None)]
    known = {region.id for region in program.regions}
    regions = [r for r in DEMO_REGIONS.get(program.id, ()) if r in known] or [program.regions[0].id]
    return [(f"{program.id}/{region}", region) for region in regions]


async def _fill(session: AsyncSession, cohort: Cohort, key: str, people: dict[str, Person], now: datetime) -> None:
    """The demo people's memberships and pairs in a new demo cohort."""
    for person in DEMO_PEOPLE:
        if key in person.roles:
            session.add(
                Membership(
                    cohort_id=cohort.id, person_id=people[person.email].id, role=person.roles[key], created_at=now
                )
            )
    for cohort_key, guide, guided in DEMO_PAIRS:
        if cohort_key == key:
            session.add(
                Pair(
                    cohort_id=cohort.id,
                    guide_id=people[guide].id,
                    guided_id=people[guided].id,
                    status="active",
                    created_at=now,
                )
            )


async def _demo_terms(session: AsyncSession, program: Program, people: dict[str, Person], now: datetime) -> None:
    """The demo coordinators' terms, started with the demo cohorts; none again once a person has had one
    in the program (a demo coordinator who graduated stays graduated)."""
    for person in DEMO_PEOPLE:
        for program_id, region_id in person.terms:
            if program_id != program.id:
                continue
            had = select(CoordinatorTerm.id).where(
                CoordinatorTerm.program_id == program.id, CoordinatorTerm.person_id == people[person.email].id
            )
            if (await session.execute(had)).first() is None:
                session.add(
                    CoordinatorTerm(
                        program_id=program.id,
                        region_id=region_id,
                        person_id=people[person.email].id,
                        started_on=now.date() - timedelta(days=60),
                        recorded_by_id=None,  # recorded by the demo
                        created_at=now,
                    )
                )


async def _demo_cohort(
    session: AsyncSession, program: Program, region_id: str | None, now: datetime, *, running: bool, open_survey: bool
) -> Cohort | None:
    """A demo cohort: this year's, running today (`running`), or next year's, whose call is open today."""
    year = now.year if running else now.year + 1
    name = f"Demo {year}-{str(year + 1)[-2:]}"
    if region_id is not None:
        name += f" {next(r.name for r in program.regions if r.id == region_id)}"
    exists = await session.execute(select(Cohort.id).where(Cohort.program_id == program.id, Cohort.name == name))
    if exists.first() is not None:
        return None
    today = now.date()
    starts_on = running_start(program, today) if running else next_start(program, today)
    calendar = demo_calendar(program, starts_on, today, open_survey=open_survey and running)
    cohort = Cohort(
        program_id=program.id,
        name=name,
        starts_on=starts_on,
        ends_on=work_span(calendar, program)[1],
        calendar=calendar,
        region_id=region_id,
        is_demo=True,
        created_at=now,
    )
    session.add(cohort)
    await session.flush()
    return cohort


# (title, link, kind, career stages, topics): example.org links, so no one mistakes them for real ones.
DEMO_RESOURCES = (
    (
        "Mentoring agreement template (demo)",
        "https://example.org/demo/mentoring-agreement",
        "toolkit",
        ["early career", "mid career"],
        ["mentoring practice"],
    ),
    (
        "Guide to a first year in academic libraries (demo)",
        "https://example.org/demo/first-year-guide",
        "guide",
        ["student", "early career"],
        ["job search", "public services"],
    ),
    (
        "Leading through change: training module (demo)",
        "https://example.org/demo/leading-change",
        "training",
        ["mid career", "senior"],
        ["leadership", "management"],
    ),
    (
        "Writing for publication in LIS (demo)",
        "https://example.org/demo/writing-for-publication",
        "link",
        [],
        ["research and publishing"],
    ),
)


async def _demo_resources(session: AsyncSession, programs: ProgramCatalog, coordinator_id: int, now: datetime) -> None:
    """A few demo links in the network's resource library, when the library is still empty."""
    network = programs.get(NETWORK)
    if network is None or network.resources is None:
        return
    if (await session.execute(select(Resource.id).where(Resource.program_id == NETWORK).limit(1))).first():
        return
    for number, (title, url, kind, stages, topics) in enumerate(DEMO_RESOURCES, 1):
        session.add(
            Resource(
                program_id=NETWORK,
                number=number,
                title=title,
                url=url,
                kind=kind,
                career_stages=stages,
                topics=topics,
                status="listed",
                featured=number == 1,
                added_by_id=coordinator_id,
                added_at=now - timedelta(days=len(DEMO_RESOURCES) - number),
                updated_by_id=coordinator_id,
                updated_at=now,
            )
        )


def running_cohort(program_id: str) -> Select[tuple[Cohort]]:
    """The program's running demo cohort, this year's (next year's, taking applications, starts later)."""
    return select(Cohort).where(Cohort.program_id == program_id).order_by(Cohort.starts_on, Cohort.id).limit(1)


def next_cohort(program_id: str) -> Select[tuple[Cohort]]:
    """The program's next demo cohort, whose call is open today."""
    return select(Cohort).where(Cohort.program_id == program_id).order_by(Cohort.starts_on.desc()).limit(1)
