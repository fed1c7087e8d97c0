"""What a person is in each program: from cohort memberships and the program files' coordinators."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.programs import ProgramCatalog
from storage.models import Cohort, Membership, Person


@dataclass(frozen=True)
class RoleInCohort:
    program_id: str
    cohort_id: int
    cohort_name: str
    role: str


@dataclass(frozen=True)
class Roles:
    in_cohorts: tuple[RoleInCohort, ...]
    coordinator_of: frozenset[str]  # program ids

    @property
    def names(self) -> frozenset[str]:
        names = {entry.role for entry in self.in_cohorts}
        return frozenset(names | ({"coordinator"} if self.coordinator_of else set()))

    def has_any(self, wanted: frozenset[str]) -> bool:
        return not wanted or bool(self.names & wanted)

    def coordinates(self, program_id: str) -> bool:
        return program_id in self.coordinator_of

    def coordinates_cohort(self, cohort: Cohort) -> bool:
        """Whether this person coordinates this cohort (reports, surveys' results, and the like)."""
        return self.coordinates(cohort.program_id)


async def load_roles(session: AsyncSession, person: Person, programs: ProgramCatalog) -> Roles:
    query = (
        select(Cohort.program_id, Cohort.id, Cohort.name, Membership.role)
        .join(Membership, Membership.cohort_id == Cohort.id)
        .where(Membership.person_id == person.id)
        .order_by(Cohort.program_id, Cohort.name, Membership.role)
    )
    in_cohorts = tuple(RoleInCohort(*row) for row in (await session.execute(query)).all())
    coordinator_of = {entry.program_id for entry in in_cohorts if entry.role == "coordinator"}
    coordinator_of |= {program.id for program in programs if person.email in program.coordinators}
    return Roles(in_cohorts, frozenset(coordinator_of))
