"""`cohort` (coordinators): who is in the cohorts you coordinate (all of a program's, or a region's), by role;
`cohort calendar`, `cohort dates` and `cohort new` for their dated calendars (dialogs/cohort_calendar.py,
dialogs/cohort_new.py)."""

from collections import defaultdict

from sqlalchemy import select

from bot.cohorts import label_of
from bot.dialog import Command, Registry, Turn
from bot.i18n import N_, _, role_word
from dialogs import cohort_calendar, cohort_new
from storage.models import Cohort, Membership, Person

USAGE = "cohort | cohort calendar [COHORT] | cohort dates PHASE FROM TO [COHORT] | cohort new PROGRAM [STARTS]"
SUMMARY = N_(
    "the members of the cohorts you coordinate; `cohort calendar [COHORT]` shows a cohort's dates, "
    "`cohort dates PHASE FROM TO [COHORT]` moves a phase, `cohort new PROGRAM [STARTS]` creates the next "
    "cohort"
)
VERBS = {
    "calendar": cohort_calendar.show_calendar,
    "dates": cohort_calendar.move_phase,
    "new": cohort_new.new_cohort,
}


async def cohort(turn: Turn, args: str) -> None:
    verb, _sep, rest = args.strip().partition(" ")
    run = VERBS.get(verb.lower())
    if run is not None:
        await run(turn, rest)
    elif verb:
        commands = ", ".join(f"`{u}`" for u in USAGE.split(" | "))
        turn.say(_("I don't know `cohort {verb}`. Type one of: {commands}").format(verb=verb[:30], commands=commands))
    else:
        await show_cohorts(turn, "")


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
        turn.say(_("The cohorts you coordinate have no members yet."))
        return
    for (program_id, cohort_name), by_role in people.items():
        title = label_of(cohort_name, turn.programs.get(program_id), program_id)
        lines = tuple(f"{role_word(role)} ({len(names)}): {', '.join(names)}" for role, names in by_role.items())
        turn.say("", title=title, lines=lines)


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            "cohort",
            SUMMARY,
            "cohort",
            cohort,
            roles=frozenset({"coordinator"}),
            keeps_dialog=True,
        )
    )
