"""What a person is in each program: from cohort memberships, coordinator terms and the program files.

Who coordinates which cohorts:
- a national coordinator (the program file's `coordinators`, or a current national term) every cohort
  of the program;
- a regional coordinator (a region's `coordinators` in the program file, or a current regional term)
  the cohorts of their region;
- a person with the role "coordinator" in a cohort that cohort.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cohorts import cohort_in_sentence
from bot.i18n import _
from bot.programs import Program, ProgramCatalog
from storage.models import Cohort, CoordinatorTerm, Membership, Person

Term = tuple[str, str | None]  # a current coordinator term: (program id, region id or None for national)


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


def other_cohort_refusal(program: Program, cohort: Cohort, may: str, outcome: str) -> str:
    """What a coordinator of some of a program's cohorts is told about one of the others. The caller marks
    `may` ("review its applications") and `outcome` with N_ (or gives them translated): they are said in the
    reader's language here."""
    refusal = _("You coordinate other cohorts, not {cohort}: only its coordinators can {action}.").format(
        cohort=cohort_in_sentence(cohort, program), action=_(may)
    )
    return f"{refusal} {_(outcome)}"


# A membership (program id, cohort id, cohort name, role) and a current term (program id, region id), or
# Nones, as joined_roles adds them to a query's rows.
ROLE_COLUMNS = (
    Cohort.program_id,
    Cohort.id,
    Cohort.name,
    Membership.role,
    CoordinatorTerm.program_id,
    CoordinatorTerm.region_id,
)


def joined_roles(query: Select[Any], person_id: ColumnElement[int]) -> Select[Any]:
    """`query`, of one person's row, with their memberships (and cohorts) and current coordinator terms
    joined: a row for each membership and term (most people have one to three), ROLE_COLUMNS last.

    So a turn reads who someone is and what they may do in one statement; roles_from_rows reads them back.
    """
    current = and_(CoordinatorTerm.person_id == person_id, CoordinatorTerm.ended_on.is_(None))
    return (
        query.add_columns(*ROLE_COLUMNS)
        .outerjoin(Membership, Membership.person_id == person_id)
        .outerjoin(Cohort, Cohort.id == Membership.cohort_id)
        .outerjoin(CoordinatorTerm, current)
        .order_by(Cohort.program_id, Cohort.name, Membership.role)
    )


def roles_from_rows(person: Person, rows: Sequence[Sequence[Any]], programs: ProgramCatalog) -> Roles:
    """The roles in the ROLE_COLUMNS that end each of `rows` (joined_roles' query)."""
    in_cohorts: dict[RoleInCohort, None] = {}  # in the query's order, each once
    current: dict[Term, None] = {}
    for program_id, cohort_id, cohort_name, role, term_program, term_region in (row[-6:] for row in rows):
        if cohort_id is not None:
            in_cohorts[RoleInCohort(program_id, cohort_id, cohort_name, role)] = None
        if term_program is not None and programs.get(term_program):
            current[(term_program, term_region)] = None
    return _roles(person, tuple(in_cohorts), list(current), programs)


# Built once: building a statement costs SQLAlchemy more than running this one on SQLite (about 0.7 ms).
ROLES_QUERY = joined_roles(select(Person.id).where(Person.id == bindparam("person_id")), Person.id)


async def load_roles(session: AsyncSession, person: Person, programs: ProgramCatalog) -> Roles:
    """The person's roles, read in one query: their cohort memberships and their current coordinator terms."""
    rows = (await session.execute(ROLES_QUERY, {"person_id": person.id})).all()
    return roles_from_rows(person, rows, programs)


def _roles(
    person: Person, in_cohorts: tuple[RoleInCohort, ...], current: list[Term], programs: ProgramCatalog
) -> Roles:
    """Roles from the memberships and current terms, with the coordinators the program files name."""
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
