"""The coordinator network: `coordinators`, `appoint EMAIL REGION` and `graduate [EMAIL] successor EMAIL`.

`coordinators` shows each region with its current coordinators, the national ones, and the terms that
ended (graduations and their successors). A national coordinator appoints coordinators to a region or
nationally. A regional coordinator's term ends in graduation: after a confirmation the successor takes
the region over, the graduate becomes a mentor in the region's next cohort, and the graduate, the
successor and the national coordinators are told.
"""

from sqlalchemy import select

from bot import network, outbox
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.dialog import Command, Registry, Turn, button
from bot.identity import find_person_by_email
from bot.messages import Reply
from bot.network import NATIONAL, Handover, NetworkError
from bot.programs import Program
from bot.timezones import long_date, today_in
from storage.models import Cohort, CoordinatorTerm, Person

NAME = "graduate"
APPOINT_USAGE = "`appoint EMAIL REGION` (a region's name, or `national`)"
GRADUATE_USAGE = "`graduate successor EMAIL` (your own term) or `graduate EMAIL successor EMAIL`"


def _networks(turn: Turn) -> list[Program]:
    """The programs with regions this person is in or coordinates."""
    mine = {entry.program_id for entry in turn.roles.in_cohorts} | turn.roles.coordinator_of
    return [p for p in turn.programs if p.regions and p.id in mine]


# `coordinators`: who coordinates which region


async def show_coordinators(turn: Turn, args: str) -> None:
    networks = _networks(turn)
    if not networks:
        names = ", ".join(p.short_name for p in turn.programs if p.regions) or "no program"
        turn.say(f"The coordinator list is for the members and coordinators of a program with regions ({names}).")
        return
    for program in networks:
        await _show_network(turn, program)


async def _show_network(turn: Turn, program: Program) -> None:
    terms = await network.current_terms(turn.session, program.id)
    standing = await _people_by_email(
        turn, [*program.coordinators, *(e for r in program.regions for e in r.coordinators)]
    )
    national = [_standing(standing, email) for email in program.coordinators]
    national += [_since(person, term) for term, person in terms if term.region_id is None]
    lines = [f"National: {', '.join(national) or 'none yet'}"]
    for region in program.regions:
        here = [_standing(standing, email) for email in region.coordinators]
        here += [_since(person, term) for term, person in terms if term.region_id == region.id]
        lines.append(f"{region.name}: {', '.join(here) or 'no coordinator yet'}")
    turn.say(
        "National coordinators see every region; a regional coordinator sees their region's cohorts.",
        title=f"{program.short_name}: coordinators",
        lines=tuple(lines),
    )
    ended = await network.ended_terms(turn.session, program.id)
    if ended:
        turn.say(
            "",
            title=f"{program.short_name}: terms that ended",
            lines=tuple([await _ended(turn, program, t) for t in ended]),
        )


def _since(person: Person, term: CoordinatorTerm) -> str:
    return f"{person.display_name} (since {long_date(term.started_on)})"


def _standing(known: dict[str, Person], email: str) -> str:
    person = known.get(email)
    return f"{person.display_name if person else email} (standing, in the program file)"


async def _people_by_email(turn: Turn, emails: list[str]) -> dict[str, Person]:
    if not emails:
        return {}
    query = select(Person).where(Person.email.in_(emails))
    return {person.email: person for person in (await turn.session.execute(query)).scalars()}


async def _ended(turn: Turn, program: Program, term: CoordinatorTerm) -> str:
    assert term.ended_on is not None
    person = await turn.session.get_one(Person, term.person_id)
    where = network.region_name(program, term.region_id)
    line = (
        f"{person.display_name}, {where}: {long_date(term.started_on)} to {long_date(term.ended_on)}, "
        f"{network.END_WORDS.get(term.end_reason or '', 'ended')}"
    )
    if term.successor_id is not None:
        successor = await turn.session.get_one(Person, term.successor_id)
        line += f"; {successor.display_name} took over"
    if term.end_reason == network.GRADUATED:
        if term.mentor_cohort_id is not None:
            cohort = await turn.session.get_one(Cohort, term.mentor_cohort_id)
            line += f"; {program.guide_role} in {cohort_label(cohort, program)}"
        else:
            line += f"; {program.guide_role} in the next {where} cohort, once it is created"
    return line + "."


# `appoint EMAIL REGION` (national coordinators)


async def appoint(turn: Turn, args: str) -> None:
    email, _, typed = args.strip().partition(" ")
    if not email or not typed.strip():
        turn.say(f"Write it as {APPOINT_USAGE}. Nothing was changed.")
        return
    networks = [p for p in _networks(turn) if turn.roles.coordinates_all(p.id)]
    if not networks:
        turn.say("Only a national coordinator of a program with regions can appoint coordinators. Nothing was changed.")
        return
    found = _region_typed(networks, typed.strip())
    if found is None:
        regions = "; ".join(f"{p.short_name}: {network.region_names(p)}" for p in networks)
        turn.say(f"There is no region `{typed.strip()[:40]}` ({regions}; or `national`). Nothing was changed.")
        return
    program, region_id = found
    person = await _known(turn, email)
    if person is None:
        return
    today = today_in(turn.now, turn.timezone)
    try:
        await network.appoint(turn.session, program, person, region_id, turn.person, today, turn.now)
    except NetworkError as error:
        turn.say(f"{error} Nothing was changed.")
        return
    where = _where(program, region_id)
    if person.id != turn.person.id:
        told = Reply(
            f"{turn.person.display_name} appointed you {where} coordinator of {program.in_sentence}, from "
            f"{long_date(today)}. `coordinators` shows the network; `review`, `match`, `announce` and `cohort` "
            f"work for {_scope(program, region_id)}.",
            title=f"{program.short_name}: you are a coordinator",
        )
        outbox.queue(turn.session, person.id, told, kind="network", now=turn.now)
    turn.say(
        f"Done: {person.display_name} is {where} coordinator of the {program.short_name} from {long_date(today)}. "
        "I am telling them by direct message."
    )


def _region_typed(networks: list[Program], typed: str) -> tuple[Program, str | None] | None:
    if typed.lower() == NATIONAL:
        return (networks[0], None) if len(networks) == 1 else None
    for program in networks:
        region = network.find_region(program, typed)
        if region is not None:
            return program, region.id
    return None


def _where(program: Program, region_id: str | None) -> str:
    """ "a Northeast" or "a national" (coordinator)."""
    return f"a {network.region_name(program, region_id)}"


def _scope(program: Program, region_id: str | None) -> str:
    return "every cohort" if region_id is None else f"the {network.region_name(program, region_id)} cohorts"


async def _known(turn: Turn, email: str) -> Person | None:
    person = await find_person_by_email(turn.session, email) if "@" in email else None
    if person is None:
        turn.say(
            f"I don't know anyone with the email `{email[:80]}`: they need to have written to me once "
            "(in Slack, Teams or the terminal) first. Nothing was changed."
        )
    return person


# `graduate [EMAIL] successor EMAIL`: the hand-over, after a confirmation


async def graduate(turn: Turn, args: str) -> None:
    words = args.split()
    if len(words) == 2 and words[0].lower() == "successor":
        graduate_email, successor_email = turn.person.email, words[1]
    elif len(words) == 3 and words[1].lower() == "successor":
        graduate_email, successor_email = words[0], words[2]
    else:
        turn.say(f"Write it as {GRADUATE_USAGE}. Nothing was changed.")
        return
    if not any(turn.roles.coordinates(p.id) for p in _networks(turn)):
        turn.say("Only the coordinators of a program with regions can record a graduation. Nothing was changed.")
        return
    graduate = await _known(turn, graduate_email)
    if graduate is None:
        return
    found = await _term_of(turn, graduate)
    if found is None:
        return
    program, term = found
    if not (turn.roles.coordinates_all(program.id) or graduate.id == turn.person.id):
        turn.say(
            f"Only a national coordinator of the {program.short_name}, or {graduate.display_name} themself, can "
            f"graduate {graduate.display_name}. Nothing was changed."
        )
        return
    successor = await _known(turn, successor_email)
    if successor is None:
        return
    try:
        await network.check_graduation(turn.session, program, term, successor)
    except NetworkError as error:
        turn.say(f"{error} Nothing was changed.")
        return
    region = network.region_name(program, term.region_id)
    cohort = await network.next_cohort(turn.session, program.id, term.region_id, today_in(turn.now, turn.timezone))
    mentor = f"the next {region} cohort, once it is created" if cohort is None else cohort_in_sentence(cohort, program)
    turn.ask(
        NAME,
        "confirm",
        f"Graduate {graduate.display_name} from coordinating the {region}? {successor.display_name} takes the "
        f"{region} over from today, and {graduate.display_name} becomes a {program.guide_role} in {mentor}.",
        expects="choice",
        buttons=(
            button(NAME, "Yes, graduate", f"confirm|{term.id}|{successor.id}", "primary"),
            button(NAME, "No, not now", "stop"),
        ),
        data={"term_id": term.id, "successor_id": successor.id},
    )


async def _term_of(turn: Turn, graduate: Person) -> tuple[Program, CoordinatorTerm] | None:
    """The graduate's current term in a program with regions the asker is part of."""
    for program in _networks(turn):
        term = await network.current_term(turn.session, program.id, graduate.id)
        if term is not None:
            return program, term
    for program in _networks(turn):
        standing = network.standing_region(program, graduate.email)
        if standing is not None:
            turn.say(
                f"{graduate.display_name} is a standing coordinator in the program file {program.source.name}; "
                "the operator changes that file. Nothing was changed."
            )
            return None
    turn.say(f"{graduate.display_name} has no current coordinator term to graduate from. Nothing was changed.")
    return None


class GraduateDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say("Please use the buttons above, or type `graduate` to start again.")

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _, rest = value.partition("|")
        data = turn.active.data if turn.active and turn.active.dialog == NAME else {}
        turn.finish()
        if action == "stop":
            turn.say("Fine: nothing was changed.")
            return
        if action != "confirm" or rest != f"{data.get('term_id')}|{data.get('successor_id')}":
            turn.say("That graduation is no longer waiting for an answer. Nothing was changed.")
            return
        await _confirm(turn, int(data["term_id"]), int(data["successor_id"]))


async def _confirm(turn: Turn, term_id: int, successor_id: int) -> None:
    term = await turn.session.get(CoordinatorTerm, term_id)
    successor = await turn.session.get(Person, successor_id)
    program = turn.programs.get(term.program_id) if term else None
    if term is None or successor is None or program is None:
        turn.say("I can't find that term any more. Nothing was changed.")
        return
    if not (turn.roles.coordinates_all(program.id) or term.person_id == turn.person.id):
        turn.say(f"Only a national coordinator of the {program.short_name} can do that. Nothing was changed.")
        return
    today = today_in(turn.now, turn.timezone)
    try:
        handover = await network.graduate(turn.session, program, term, successor, turn.person, today, turn.now)
    except NetworkError as error:
        turn.say(f"{error} Nothing was changed.")
        return
    others = await _tell(turn, program, handover)
    turn.say(
        f"Done: {handover.graduate.display_name} graduated and {handover.successor.display_name} coordinates the "
        f"{handover.region} from {long_date(today)}. {handover.graduate.display_name} becomes a {program.guide_role} "
        f"{_mentor_place(handover, program)}. "
        f"I am telling {'them and the other national coordinators' if others else 'them'}."
    )


def _mentor_place(handover: Handover, program: Program) -> str:
    if handover.mentor_cohort is None:
        return f"in the next {handover.region} cohort as soon as it is created"
    return f"in {cohort_in_sentence(handover.mentor_cohort, program)}"


async def _tell(turn: Turn, program: Program, handover: Handover) -> bool:
    """Queue the hand-over for the graduate, the successor and the national coordinators, but not for
    the person who confirmed it (they read the answer); True if another national coordinator is told."""
    graduate, successor, region = handover.graduate, handover.successor, handover.region
    title = f"{program.short_name}: a coordinator hand-over"
    messages = {
        graduate.id: Reply(
            f"Congratulations on your graduation as {region} coordinator of {program.in_sentence}! "
            f"{successor.display_name} takes the {region} over. You become a {program.guide_role} "
            f"{_mentor_place(handover, program)}; I will tell you who you are paired with.",
            title=title,
        ),
        successor.id: Reply(
            f"You now coordinate the {region} in {program.in_sentence}, taking over from "
            f"{graduate.display_name}. `coordinators` shows the network; `review`, `match`, `announce` and "
            f"`cohort` work for the {region} cohorts.",
            title=title,
        ),
    }
    national = Reply(
        f"{graduate.display_name} graduated as {region} coordinator of {program.in_sentence}; "
        f"{successor.display_name} takes over. {graduate.display_name} is a {program.guide_role} "
        f"{_mentor_place(handover, program)}.",
        title=title,
    )
    others = False
    for person in await network.national_coordinators(turn.session, program):
        others = others or person.id not in (turn.person.id, graduate.id, successor.id)
        messages.setdefault(person.id, national)
    for person_id, reply in messages.items():
        if person_id != turn.person.id:
            outbox.queue(turn.session, person_id, reply, kind="network", now=turn.now)
    return others


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            "coordinators",
            "the coordinator network: each region's coordinators, the national ones, and past terms",
            "coordinators",
            show_coordinators,
            roles=frozenset({"coordinator", "mentor", "mentee"}),
            keeps_dialog=True,
        )
    )
    registry.add_command(
        Command(
            "appoint",
            "appoint a regional or national coordinator (national coordinators)",
            "appoint EMAIL REGION",
            appoint,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_command(
        Command(
            NAME,
            "end a coordinator's term in graduation: a successor takes over, the graduate becomes a mentor",
            "graduate [EMAIL] successor EMAIL",
            graduate,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_dialog(GraduateDialog())
