"""A person's pairings, with their cohort, program and both people: one query for every dialog that asks."""

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.programs import Program, ProgramCatalog
from storage.models import Cohort, Pair, Person


@dataclass(frozen=True)
class PairInfo:
    pair: Pair
    cohort: Cohort
    program: Program
    guide: Person
    guided: Person

    def partner_of(self, person_id: int) -> Person:
        return self.guided if person_id == self.guide.id else self.guide

    @property
    def minutes(self) -> int:
        assert self.program.one_to_one is not None
        return self.program.one_to_one.minutes


def pairs_query(guide: type[Person], guided: type[Person]) -> Select[tuple[Pair, Cohort, Person, Person]]:
    """Pairs with their cohort and both people (`guide` and `guided` are aliases of Person to filter on)."""
    return (
        select(Pair, Cohort, guide, guided)
        .join(Cohort, Cohort.id == Pair.cohort_id)
        .join(guide, guide.id == Pair.guide_id)
        .join(guided, guided.id == Pair.guided_id)
    )


async def pair_infos(
    session: AsyncSession, programs: ProgramCatalog, query: Select[tuple[Pair, Cohort, Person, Person]]
) -> list[PairInfo]:
    """The rows of a pairs_query, in programs this installation still runs."""
    found = []
    for pair, cohort, guide_person, guided_person in (await session.execute(query)).all():
        program = programs.get(cohort.program_id)
        if program is not None:
            found.append(PairInfo(pair, cohort, program, guide_person, guided_person))
    return found


async def pairings_of(
    session: AsyncSession, person_id: int, programs: ProgramCatalog, *, active_only: bool = True
) -> list[PairInfo]:
    """The person's pairings (active ones first), in programs this installation still runs."""
    guide, guided = aliased(Person), aliased(Person)
    query = pairs_query(guide, guided).where((Pair.guide_id == person_id) | (Pair.guided_id == person_id))
    if active_only:
        query = query.where(Pair.status == "active")
    return await pair_infos(session, programs, query.order_by(Pair.status, Cohort.program_id, Pair.id))
