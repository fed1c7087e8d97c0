"""The coordinator network: `coordinators`, `appoint EMAIL REGION` and `graduate [EMAIL] successor EMAIL`.

`coordinators` shows each region with its current coordinators, the national ones, and the terms that
ended (graduations and their successors). A national coordinator appoints coordinators to a region or
nationally. A regional coordinator's term ends in graduation: after a confirmation the successor takes
the region over, the graduate becomes a mentor in the region's next cohort, and the graduate, the
successor and the national coordinators are told.
"""

from datetime import date

from sqlalchemy import select

from bot import network, outbox
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.dialog import Command, Registry, Turn, button
from bot.i18n import N_, _, program_words, role_word, speaking
from bot.identity import find_person_by_email
from bot.messages import Reply
from bot.network import NATIONAL, Handover, NetworkError
from bot.programs import Program
from bot.timezones import long_date, today_in
from storage.models import Cohort, CoordinatorTerm, Person

NAME = "graduate"
ENDED = N_("ended")  # a term's end, when its reason has no words of its own (bot/network.py END_WORDS)
APPOINT_USAGE = N_("`appoint EMAIL REGION` (a region's name, or `national`)")
GRADUATE_USAGE = N_("`graduate successor EMAIL` (your own term) or `graduate EMAIL successor EMAIL`")


def _networks(turn: Turn) -> list[Program]:
    """The programs with regions this person is in or coordinates."""
    mine = {entry.program_id for entry in turn.roles.in_cohorts} | turn.roles.coordinator_of
    return [p for p in turn.programs if p.regions and p.id in mine]


# `coordinators`: who coordinates which region


async def show_coordinators(turn: Turn, args: str) -> None:
    networks = _networks(turn)
    if not networks:
        names = ", ".join(p.short_name for p in turn.programs if p.regions) or _("no program")
        turn.say(
            _(
                "The coordinator list is for the members and coordinators of a program with regions ({programs})."
            ).format(programs=names)
        )
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
    lines = [_("National: {names}").format(names=", ".join(national) or _("none yet"))]
    for region in program.regions:
        here = [_standing(standing, email) for email in region.coordinators]
        here += [_since(person, term) for term, person in terms if term.region_id == region.id]
        nobody = _("no coordinator yet")
        lines.append(f"{region.name}: {', '.join(here) or nobody}")
    turn.say(
        _("National coordinators see every region; a regional coordinator sees their region's cohorts."),
        title=_("{program}: coordinators").format(program=program.short_name),
        lines=tuple(lines),
    )
    ended = await network.ended_terms(turn.session, program.id)
    if ended:
        turn.say(
            "",
            title=_("{program}: terms that ended").format(program=program.short_name),
            lines=tuple([await _ended(turn, program, t) for t in ended]),
        )


def _since(person: Person, term: CoordinatorTerm) -> str:
    return _("{name} (since {date})").format(name=person.display_name, date=long_date(term.started_on))


def _standing(known: dict[str, Person], email: str) -> str:
    person = known.get(email)
    return _("{name} (standing, in the program file)").format(name=person.display_name if person else email)


async def _people_by_email(turn: Turn, emails: list[str]) -> dict[str, Person]:
    if not emails:
        return {}
    query = select(Person).where(Person.email.in_(emails))
    return {person.email: person for person in (await turn.session.execute(query)).scalars()}


async def _ended(turn: Turn, program: Program, term: CoordinatorTerm) -> str:
    """One ended term, its parts (the term, who took over, where the graduate mentors) joined by "; "."""
    assert term.ended_on is not None
    person = await turn.session.get_one(Person, term.person_id)
    where = network.region_name(program, term.region_id)
    parts = [
        _("{name}, {region}: {start} to {end}, {how}").format(
            name=person.display_name,
            region=where,
            start=long_date(term.started_on),
            end=long_date(term.ended_on),
            how=_(network.END_WORDS.get(term.end_reason or "", ENDED)),
        )
    ]
    if term.successor_id is not None:
        successor = await turn.session.get_one(Person, term.successor_id)
        parts.append(_("{name} took over").format(name=successor.display_name))
    if term.end_reason == network.GRADUATED:
        role = role_word(program.guide_role)
        if term.mentor_cohort_id is not None:
            cohort = await turn.session.get_one(Cohort, term.mentor_cohort_id)
            parts.append(_("{role} in {cohort}").format(role=role, cohort=cohort_label(cohort, program)))
        else:
            parts.append(_("{role} in the next {region} cohort, once it is created").format(role=role, region=where))
    return "; ".join(parts) + "."


# `appoint EMAIL REGION` (national coordinators)


async def appoint(turn: Turn, args: str) -> None:
    email, _unused, typed = args.strip().partition(" ")
    if not email or not typed.strip():
        turn.say(_("Write it as {usage}. Nothing was changed.").format(usage=_(APPOINT_USAGE)))
        return
    networks = [p for p in _networks(turn) if turn.roles.coordinates_all(p.id)]
    if not networks:
        turn.say(
            _("Only a national coordinator of a program with regions can appoint coordinators. Nothing was changed.")
        )
        return
    found = _region_typed(networks, typed.strip())
    if found is None:
        regions = "; ".join(f"{p.short_name}: {network.region_names(p)}" for p in networks)
        turn.say(
            _("There is no region `{region}` ({regions}; or `national`). Nothing was changed.").format(
                region=typed.strip()[:40], regions=regions
            )
        )
        return
    program, region_id = found
    person = await _known(turn, email)
    if person is None:
        return
    today = today_in(turn.now, turn.timezone)
    try:
        await network.appoint(turn.session, program, person, region_id, turn.person, today, turn.now)
    except NetworkError as error:
        turn.say(_("{error} Nothing was changed.").format(error=error))
        return
    if person.id != turn.person.id:
        with speaking(person.language):
            told = Reply(
                _appointed_words(turn.person.display_name, program, region_id, today),
                title=_("{program}: you are a coordinator").format(program=program.short_name),
            )
        outbox.queue(turn.session, person.id, told, kind="network", now=turn.now)
    if region_id is None:
        done = _("Done: {name} is a national coordinator of the {program} from {date}.")
    else:
        done = _("Done: {name} is a {region} coordinator of the {program} from {date}.")
    done = done.format(
        name=person.display_name,
        region=network.region_name(program, region_id),
        program=program.short_name,
        date=long_date(today),
    )
    turn.say(done + " " + _("I am telling them by direct message."))


def _appointed_words(appointer: str, program: Program, region_id: str | None, today: date) -> str:
    """What an appointed coordinator is told, in their language (the caller speaks it)."""
    if region_id is None:
        appointed = _("{appointer} appointed you a national coordinator of {program}, from {date}.")
    else:
        appointed = _("{appointer} appointed you a {region} coordinator of {program}, from {date}.")
    appointed = appointed.format(
        appointer=appointer,
        region=network.region_name(program, region_id),
        program=program_words(program.in_sentence),
        date=long_date(today),
    )
    region = None if region_id is None else network.region_name(program, region_id)
    return appointed + " " + _commands_words(region)


def _commands_words(region: str | None) -> str:
    """The commands a new coordinator has, and the cohorts they work for (region None: national)."""
    if region is None:
        return _("`coordinators` shows the network; `review`, `match`, `announce` and `cohort` work for every cohort.")
    return _(
        "`coordinators` shows the network; `review`, `match`, `announce` and `cohort` work for the {region} cohorts."
    ).format(region=region)


def _region_typed(networks: list[Program], typed: str) -> tuple[Program, str | None] | None:
    if typed.lower() == NATIONAL:
        return (networks[0], None) if len(networks) == 1 else None
    for program in networks:
        region = network.find_region(program, typed)
        if region is not None:
            return program, region.id
    return None


async def _known(turn: Turn, email: str) -> Person | None:
    person = await find_person_by_email(turn.session, email) if "@" in email else None
    if person is None:
        turn.say(
            _(
                "I don't know anyone with the email `{email}`: they need to have written to me once "
                "(in Slack, Teams or the terminal) first. Nothing was changed."
            ).format(email=email[:80])
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
        turn.say(_("Write it as {usage}. Nothing was changed.").format(usage=_(GRADUATE_USAGE)))
        return
    if not any(turn.roles.coordinates(p.id) for p in _networks(turn)):
        turn.say(_("Only the coordinators of a program with regions can record a graduation. Nothing was changed."))
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
            _(
                "Only a national coordinator of the {program}, or {name} themself, can graduate {name}. "
                "Nothing was changed."
            ).format(program=program.short_name, name=graduate.display_name)
        )
        return
    successor = await _known(turn, successor_email)
    if successor is None:
        return
    try:
        await network.check_graduation(turn.session, program, term, successor)
    except NetworkError as error:
        turn.say(_("{error} Nothing was changed.").format(error=error))
        return
    region = network.region_name(program, term.region_id)
    cohort = await network.next_cohort(turn.session, program.id, term.region_id, today_in(turn.now, turn.timezone))
    if cohort is None:
        question = _(
            "Graduate {graduate} from coordinating the {region}? {successor} takes the {region} over from today, "
            "and {graduate} becomes a {role} in the next {region} cohort, once it is created."
        )
    else:
        question = _(
            "Graduate {graduate} from coordinating the {region}? {successor} takes the {region} over from today, "
            "and {graduate} becomes a {role} in {cohort}."
        )
    turn.ask(
        NAME,
        "confirm",
        question.format(
            graduate=graduate.display_name,
            region=region,
            successor=successor.display_name,
            role=role_word(program.guide_role),
            cohort=cohort_in_sentence(cohort, program) if cohort is not None else "",
        ),
        expects="choice",
        buttons=(
            button(NAME, _("Yes, graduate"), f"confirm|{term.id}|{successor.id}", "primary"),
            button(NAME, _("No, not now"), "stop"),
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
                _(
                    "{name} is a standing coordinator in the program file {file}; the operator changes that file. "
                    "Nothing was changed."
                ).format(name=graduate.display_name, file=program.source.name)
            )
            return None
    turn.say(
        _("{name} has no current coordinator term to graduate from. Nothing was changed.").format(
            name=graduate.display_name
        )
    )
    return None


class GraduateDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say(_("Please use the buttons above, or type `graduate` to start again."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _unused, rest = value.partition("|")
        data = turn.active.data if turn.active and turn.active.dialog == NAME else {}
        turn.finish()
        if action == "stop":
            turn.say(_("Fine: nothing was changed."))
            return
        if action != "confirm" or rest != f"{data.get('term_id')}|{data.get('successor_id')}":
            turn.say(_("That graduation is no longer waiting for an answer. Nothing was changed."))
            return
        await _confirm(turn, int(data["term_id"]), int(data["successor_id"]))


async def _confirm(turn: Turn, term_id: int, successor_id: int) -> None:
    term = await turn.session.get(CoordinatorTerm, term_id)
    successor = await turn.session.get(Person, successor_id)
    program = turn.programs.get(term.program_id) if term else None
    if term is None or successor is None or program is None:
        turn.say(_("I can't find that term any more. Nothing was changed."))
        return
    if not (turn.roles.coordinates_all(program.id) or term.person_id == turn.person.id):
        turn.say(
            _("Only a national coordinator of the {program} can do that. Nothing was changed.").format(
                program=program.short_name
            )
        )
        return
    today = today_in(turn.now, turn.timezone)
    try:
        handover = await network.graduate(turn.session, program, term, successor, turn.person, today, turn.now)
    except NetworkError as error:
        turn.say(_("{error} Nothing was changed.").format(error=error))
        return
    others = await _tell(turn, program, handover)
    done = _("Done: {graduate} graduated and {successor} coordinates the {region} from {date}.").format(
        graduate=handover.graduate.display_name,
        successor=handover.successor.display_name,
        region=handover.region,
        date=long_date(today),
    )
    if handover.mentor_cohort is None:
        becomes = _("{graduate} becomes a {role} in the next {region} cohort as soon as it is created.")
    else:
        becomes = _("{graduate} becomes a {role} in {cohort}.")
    telling = _("I am telling them and the other national coordinators.") if others else _("I am telling them.")
    turn.say(" ".join([done, _mentor_words(becomes, handover, program), telling]))


def _mentor_words(sentence: str, handover: Handover, program: Program) -> str:
    """`sentence` ("{graduate} becomes a {role} in {cohort}.") with the graduate's place as a mentor."""
    cohort = handover.mentor_cohort
    return sentence.format(
        graduate=handover.graduate.display_name,
        role=role_word(program.guide_role),
        region=handover.region,
        cohort=cohort_in_sentence(cohort, program) if cohort is not None else "",
    )


def _handover_words(person: Person, program: Program, handover: Handover) -> str:
    """What the graduate, the successor or a national coordinator is told, in their language (the caller
    speaks it)."""
    graduate, successor, region = handover.graduate, handover.successor, handover.region
    later = handover.mentor_cohort is None
    if person.id == graduate.id:
        sentences = [
            _("Congratulations on your graduation as {region} coordinator of {program}!"),
            _("{successor} takes the {region} over."),
            _(
                "You become a {role} in the next {region} cohort as soon as it is created; "
                "I will tell you who you are paired with."
            )
            if later
            else _("You become a {role} in {cohort}; I will tell you who you are paired with."),
        ]
    elif person.id == successor.id:
        return (
            _("You now coordinate the {region} in {program}, taking over from {graduate}.").format(
                region=region, program=program_words(program.in_sentence), graduate=graduate.display_name
            )
            + " "
            + _commands_words(region)
        )
    else:
        sentences = [
            _("{graduate} graduated as {region} coordinator of {program}; {successor} takes over."),
            _("{graduate} is a {role} in the next {region} cohort as soon as it is created.")
            if later
            else _("{graduate} is a {role} in {cohort}."),
        ]
    cohort = handover.mentor_cohort
    return " ".join(
        sentence.format(
            graduate=graduate.display_name,
            successor=successor.display_name,
            region=region,
            program=program_words(program.in_sentence),
            role=role_word(program.guide_role),
            cohort=cohort_in_sentence(cohort, program) if cohort is not None else "",
        )
        for sentence in sentences
    )


async def _tell(turn: Turn, program: Program, handover: Handover) -> bool:
    """Queue the hand-over for the graduate, the successor and the national coordinators, each in their
    language, but not for the person who confirmed it (they read the answer); True if another national
    coordinator is told."""
    graduate, successor = handover.graduate, handover.successor
    told = {graduate.id: graduate, successor.id: successor}
    others = False
    for person in await network.national_coordinators(turn.session, program):
        others = others or person.id not in (turn.person.id, graduate.id, successor.id)
        told.setdefault(person.id, person)
    for person in told.values():
        if person.id == turn.person.id:
            continue
        with speaking(person.language):
            reply = Reply(
                _handover_words(person, program, handover),
                title=_("{program}: a coordinator hand-over").format(program=program.short_name),
            )
        outbox.queue(turn.session, person.id, reply, kind="network", now=turn.now)
    return others


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            "coordinators",
            N_("the coordinator network: each region's coordinators, the national ones, and past terms"),
            "coordinators",
            show_coordinators,
            roles=frozenset({"coordinator", "mentor", "mentee"}),
            keeps_dialog=True,
        )
    )
    registry.add_command(
        Command(
            "appoint",
            N_("appoint a regional or national coordinator (national coordinators)"),
            "appoint EMAIL REGION",
            appoint,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_command(
        Command(
            NAME,
            N_("end a coordinator's term in graduation: a successor takes over, the graduate becomes a mentor"),
            "graduate [EMAIL] successor EMAIL",
            graduate,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_dialog(GraduateDialog())
