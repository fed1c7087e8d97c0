"""`python app.py demo`: one demo cohort per program, with example people in every role.

Demo cohorts have their application, one-to-one and peer-group windows open today, so a newcomer
can try everything at once. Running it again changes nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import jobs
from bot.cohorts import cohort_calendar
from bot.identity import get_or_create_person
from bot.programs import Program, ProgramCatalog
from storage.db import Database
from storage.models import Cohort, Membership, Pair


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    timezone: str
    roles: dict[str, str]  # program id -> role


AAHSL, IATUL, ALCTS, NETWORK = (
    "aahsl-coaching-pilot",
    "iatul-sig-alice",
    "alcts-mentoring",
    "mentorship-coordinator-network",
)

DEMO_PEOPLE = (
    DemoPerson(
        "coordinator@demo.example",
        "Casey Coordinator",
        "America/Chicago",
        {AAHSL: "coordinator", IATUL: "coordinator", ALCTS: "coordinator", NETWORK: "coordinator"},
    ),
    DemoPerson(
        "coach@demo.example",
        "Cora Coach",
        "America/New_York",
        {AAHSL: "coach", IATUL: "coach", ALCTS: "mentor", NETWORK: "mentor"},
    ),
    DemoPerson("coach2@demo.example", "Lee Coach", "Europe/London", {AAHSL: "coach", IATUL: "coach"}),
    DemoPerson(
        "participant@demo.example",
        "Pat Participant",
        "America/Los_Angeles",
        {AAHSL: "participant", ALCTS: "mentee", NETWORK: "mentee"},
    ),
    DemoPerson("participant2@demo.example", "Dana Participant", "America/Denver", {AAHSL: "participant"}),
    DemoPerson("partner@demo.example", "Sokha Partner", "Asia/Phnom_Penh", {IATUL: "partner"}),
    DemoPerson("partner2@demo.example", "Dara Partner", "Asia/Phnom_Penh", {IATUL: "partner"}),
)

# (program, guide email, guided email); participant2 stays unpaired for matching.
DEMO_PAIRS = (
    (AAHSL, "coach@demo.example", "participant@demo.example"),
    (IATUL, "coach@demo.example", "partner@demo.example"),
    (IATUL, "coach2@demo.example", "partner2@demo.example"),
    (ALCTS, "coach@demo.example", "participant@demo.example"),
    (NETWORK, "coach@demo.example", "participant@demo.example"),
)


def demo_calendar(program: Program, today: date) -> dict[str, object]:
    calendar = cohort_calendar(program, today - timedelta(days=60))
    calendar["application"] = [(today - timedelta(days=7)).isoformat(), (today + timedelta(days=30)).isoformat()]
    for key in ("one_to_one", "peer_groups"):
        if calendar[key] is not None:
            calendar[key] = [(today - timedelta(days=30)).isoformat(), (today + timedelta(days=150)).isoformat()]
    if program.surveys:  # the first survey has opened, so a newcomer can answer it and read its report
        first = program.surveys[0].id
        calendar["surveys"][first] = [(today - timedelta(days=1)).isoformat(), (today + timedelta(days=20)).isoformat()]
    return calendar


async def seed_demo(db: Database, programs: ProgramCatalog, now: datetime) -> list[str]:
    """Create what is missing of the demo; returns the names of the cohorts it created."""
    created: list[str] = []
    async with db.transaction() as session:
        people = {p.email: await get_or_create_person(session, p.email, p.name, p.timezone, now) for p in DEMO_PEOPLE}
        await session.flush()
        for program in programs:
            cohort = await _demo_cohort(session, program, now)
            if cohort is None:
                continue
            created.append(f"{program.short_name}: {cohort.name}")
            for person in DEMO_PEOPLE:
                if program.id in person.roles:
                    session.add(
                        Membership(
                            cohort_id=cohort.id,
                            person_id=people[person.email].id,
                            role=person.roles[program.id],
                            created_at=now,
                        )
                    )
            for program_id, guide, guided in DEMO_PAIRS:
                if program_id == program.id:
                    session.add(
                        Pair(
                            cohort_id=cohort.id,
                            guide_id=people[guide].id,
                            guided_id=people[guided].id,
                            status="active",
                            created_at=now,
                        )
                    )
            await jobs.plan_cohort(session, cohort, program, now)
    return created


async def _demo_cohort(session: AsyncSession, program: Program, now: datetime) -> Cohort | None:
    name = f"Demo {now.year}-{str(now.year + 1)[-2:]}"
    exists = await session.execute(select(Cohort.id).where(Cohort.program_id == program.id, Cohort.name == name))
    if exists.first() is not None:
        return None
    today = now.date()
    cohort = Cohort(
        program_id=program.id,
        name=name,
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=300),
        calendar=demo_calendar(program, today),
        is_demo=True,
        created_at=now,
    )
    session.add(cohort)
    await session.flush()
    return cohort
