"""`cohort` (coordinators): who is in the cohorts you coordinate (all of a program's, or a region's), by role."""

from collections import defaultdict

from sqlalchemy import select

from bot.dialog import Command, Registry, Turn
from storage.models import Cohort, Membership, Person


async def show_cohorts(turn: Turn, args: str) -> None:
    query = (
        select(Cohort.id, Cohort.name, Cohort.program_id, Membership.role, Person.display_name)
        .join(Membership, Membership.cohort_id == Cohort.id)
        .join(Person, Person.id == Membership.person_id)
        .where(turn.roles.coordinated_cohorts())
        .order_by(Cohort.program_id, Cohort.name, Membership.role, Person.display_name)
    )
    people: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for _id, name, program_id, role, person_name in (await turn.session.execute(query)).all():
        people[(program_id, name)][role].append(person_name)
    if not people:
        turn.say("The cohorts you coordinate have no members yet.")
        return
    for (program_id, cohort_name), by_role in people.items():
        program = turn.programs.get(program_id)
        title = f"{program.short_name if program else program_id}: {cohort_name}"
        lines = tuple(f"{role} ({len(names)}): {', '.join(names)}" for role, names in by_role.items())
        turn.say("", title=title, lines=lines)


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            "cohort",
            "the members of the cohorts you coordinate",
            "cohort",
            show_cohorts,
            roles=frozenset({"coordinator"}),
            keeps_dialog=True,
        )
    )
