"""What a person is in each program: from cohort memberships, coordinator terms and the program files.

Who coordinates which cohorts:
- a national coordinator (the program file's `coordinators`, or a current national term) every cohort
  of the program;
- a regional coordinator (a region's `coordinators` in the program file, or a current regional term)
  the cohorts of their region;
- a person with the role "coordinator" in a cohort that cohort.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.programs import ProgramCatalog
from storage.models import Cohort, CoordinatorTerm, Membership, Person


@dataclass(frozen=True)
class RoleInCohort:
    program_id: str
    cohort_id: int
    cohort_name: str
    role: str


@dataclass(frozen=True)
class Roles:
    in_cohorts: tuple[RoleInCohort, ...]
    coordinator_of: frozenset[str]  # program ids where the person coordinates some or all cohorts
    national_of: frozenset[str] = frozenset()  # program ids where the person coordinates every cohort
    regions_of: frozenset[tuple[str, str]] = frozenset()  # (program id, region id) of their regions

    @property
    def names(self) -> frozenset[str]:
        names = {entry.role for entry in self.in_cohorts}
        return frozenset(names | ({"coordinator"} if self.coordinator_of else set()))

    def has_any(self, wanted: frozenset[str]) -> bool:
        return not wanted or bool(self.names & wanted)

    def coordinates(self, program_id: str) -> bool:
        """Whether this person coordinates any cohort of the program (all, a region's, or one)."""
        return program_id in self.coordinator_of

    def coordinates_all(self, program_id: str) -> bool:
        """A national coordinator: every cohort of the program, in every region."""
        return program_id in self.national_of

    def regions_in(self, program_id: str) -> frozenset[str]:
        """The region ids of the program this person coordinates as a regional coordinator."""
        return frozenset(region for program, region in self.regions_of if program == program_id)

    @property
    def cohorts_coordinated_by_membership(self) -> frozenset[int]:
        return frozenset(entry.cohort_id for entry in self.in_cohorts if entry.role == "coordinator")

    def coordinates_cohort(self, cohort: Cohort) -> bool:
        """Whether this person coordinates this cohort (reviews, matches, announces, sees its members)."""
        return (
            cohort.program_id in self.national_of
            or (cohort.region_id is not None and (cohort.program_id, cohort.region_id) in self.regions_of)
            or cohort.id in self.cohorts_coordinated_by_membership
        )

    def coordinated_cohorts(self) -> ColumnElement[bool]:
        """The same rule as coordinates_cohort, as a condition on Cohort for a query."""
        conditions: list[ColumnElement[bool]] = []
        if self.national_of:
            conditions.append(Cohort.program_id.in_(sorted(self.national_of)))
        for program, region in sorted(self.regions_of):
            conditions.append(and_(Cohort.program_id == program, Cohort.region_id == region))
        if self.cohorts_coordinated_by_membership:
            conditions.append(Cohort.id.in_(sorted(self.cohorts_coordinated_by_membership)))
        return or_(*conditions) if conditions else false()


def other_cohort_refusal(program_name: str, cohort: Cohort, may: str, outcome: str) -> str:
    """What a coordinator of some of a program's cohorts is told about one of the others."""
    return (
        f"You coordinate other cohorts of the {program_name}, not {cohort.name}: only its coordinators can {may}. "
        f"{outcome}"
    )


async def load_roles(session: AsyncSession, person: Person, programs: ProgramCatalog) -> Roles:
    query = (
        select(Cohort.program_id, Cohort.id, Cohort.name, Membership.role)
        .join(Membership, Membership.cohort_id == Cohort.id)
        .where(Membership.person_id == person.id)
        .order_by(Cohort.program_id, Cohort.name, Membership.role)
    )
    in_cohorts = tuple(RoleInCohort(*row) for row in (await session.execute(query)).all())
    terms = select(CoordinatorTerm.program_id, CoordinatorTerm.region_id).where(
        CoordinatorTerm.person_id == person.id, CoordinatorTerm.ended_on.is_(None)
    )
    current = [(program, region) for program, region in (await session.execute(terms)).all() if programs.get(program)]
    national = {program.id for program in programs if person.email in program.coordinators}
    national |= {program for program, region in current if region is None}
    regional = {
        (program.id, region.id)
        for program in programs
        for region in program.regions
        if person.email in region.coordinators
    }
    regional |= {(program, region) for program, region in current if region is not None}
    coordinator_of = {entry.program_id for entry in in_cohorts if entry.role == "coordinator"}
    coordinator_of |= national | {program for program, _region in regional}
    return Roles(in_cohorts, frozenset(coordinator_of), frozenset(national), frozenset(regional))
