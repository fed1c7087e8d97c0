"""`review [program]` (coordinators): read applications and accept, waitlist or decline them.

The list shows each cohort's applications and seats. Opening one shows every answer and material;
a decision asks for an optional note to the applicant, then is saved together with the message that
tells the applicant. A program's seats cannot be exceeded: each accepted application holds a numbered
seat, and the database refuses a second holder. `review announce` sends the accepted names to the cohort
in programs that announce them.
"""

from collections import defaultdict

from sqlalchemy import exists, select

from bot import confirmation, ending, outbox, profiles
from bot.applications import (
    DECIDABLE,
    SelectionError,
    accept,
    answer_lines,
    release,
    role_names,
    seats_taken,
    status_name,
    waitlist_names,
)
from bot.cohorts import cohort_in_sentence, cohort_label, cohort_of_program
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.events import capitalised
from bot.i18n import N_, _, ngettext, role_word, speaking
from bot.languages import by_language, languages_of
from bot.messages import Button, Reply
from bot.privacy.retention import removed_words, texts_removed
from bot.programs import Program
from bot.roles import other_cohort_refusal
from bot.timezones import long_date, today_in
from dialogs import review_reopen
from storage.models import Application, Cohort, Membership, Person

NAME = "review"
MAX_NOTE_CHARACTERS = 1000
DECISIONS = {"accept": "accepted", "waitlist": "waitlisted", "decline": "declined"}
DECISION_VERBS = {"accept": N_("Accept"), "waitlist": N_("Waitlist"), "decline": N_("Decline")}
DECISION_ASKS = {"accept": N_("Accept {name}."), "waitlist": N_("Waitlist {name}."), "decline": N_("Decline {name}.")}
SUMMARY = N_("read applications and accept, waitlist or decline them")


async def start(turn: Turn, args: str) -> None:
    words = args.split(maxsplit=1)
    if words and words[0].lower() == "announce":
        await _announce_choice(turn, words[1] if len(words) > 1 else "")
        return
    if words and words[0].lower() == "reopen":
        await review_reopen.reopen(turn, words[1] if len(words) > 1 else "")
        return
    if words and words[0].lower() == "confirm-by":
        await _confirm_by(turn, words[1] if len(words) > 1 else "")
        return
    programs = _coordinated(turn, args)
    if programs is None:
        return
    shown = 0
    for cohort, applications in await _applications_by_cohort(turn, programs):
        program = turn.programs.get(cohort.program_id)
        assert program is not None
        if ending.has_ended(cohort, program, turn.now):
            continue  # an ended cohort is read-only
        await _show_cohort(turn, program, cohort, applications)
        shown += 1
    if shown == 0:
        turn.say(_("There are no applications to review in the cohorts you coordinate."))


def _coordinated(turn: Turn, args: str) -> list[Program] | None:
    programs = [p for p in turn.programs if turn.roles.coordinates(p.id)]
    if args.strip():
        program = turn.programs.find(args)
        if program is None or program not in programs:
            turn.say(
                _("You don't coordinate a program called `{name}`. Type `review` to see yours.").format(
                    name=args.strip()[:60]
                )
            )
            return None
        programs = [program]
    return programs


async def _applications_by_cohort(turn: Turn, programs: list[Program]) -> list[tuple[Cohort, list[tuple]]]:  # type: ignore[type-arg]
    query = (
        select(Cohort, Application, Person)
        .join(Application, Application.cohort_id == Cohort.id)
        .join(Person, Person.id == Application.person_id)
        .where(Cohort.program_id.in_([p.id for p in programs]), Application.status.in_(DECIDABLE))
        .where(turn.roles.coordinated_cohorts())
        .order_by(Cohort.program_id, Cohort.starts_on, Application.submitted_at, Application.id)
    )
    grouped: dict[int, list[tuple]] = defaultdict(list)  # type: ignore[type-arg]
    cohorts: dict[int, Cohort] = {}
    for cohort, application, person in (await turn.session.execute(query)).all():
        cohorts[cohort.id] = cohort
        grouped[cohort.id].append((application, person))
    return [(cohorts[cohort_id], grouped[cohort_id]) for cohort_id in grouped]


async def _show_cohort(turn: Turn, program: Program, cohort: Cohort, applications: list[tuple]) -> None:  # type: ignore[type-arg]
    by_status: dict[str, list[str]] = defaultdict(list)
    buttons: list[Button] = []
    for application, person in applications:
        roles = role_names(application.roles)
        if state := confirmation.state_words(application, turn.timezone, turn.now):
            roles += f", {state}"
        by_status[application.status].append(f"{person.display_name} ({roles})")
        label = f"{person.display_name}: {status_name(application.status)}"
        buttons.append(button(NAME, label, f"open|{application.id}"))
    text = _("Open an application to read it and decide.")
    if program.seats is not None:
        taken = await seats_taken(turn.session, cohort.id)
        text += " " + _("{taken} of {seats} seats taken.").format(taken=taken, seats=program.seats)
    lines = tuple(
        f"{status_name(status).capitalize()} ({len(names)}): {', '.join(names)}" for status, names in by_status.items()
    )
    if program.announce_accepted and by_status.get("accepted"):
        buttons.append(button(NAME, _("Announce the accepted names"), f"announce|{cohort.id}"))
    turn.say(
        text,
        title=cohort_label(cohort, program),
        lines=lines,
        buttons=tuple(buttons),
    )


class ReviewDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        assert turn.active is not None
        if turn.active.step != "note":
            turn.say(_("Please use the buttons above, or type `review` to start again."))
            return
        note = text.strip()
        if len(note) > MAX_NOTE_CHARACTERS:
            turn.say(
                _("Please keep the note under {most} characters (yours has {count}).").format(
                    most=MAX_NOTE_CHARACTERS, count=len(note)
                )
            )
            return
        data = turn.active.data
        await _decide(turn, str(data["application_id"]), str(data["decision"]), note)

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _sep, rest = value.partition("|")
        if action == "open":
            await _open(turn, rest)
        elif action == "decide":
            application_id, _sep, decision = rest.partition("|")
            await _ask_note(turn, application_id, decision)
        elif action == "send":
            application_id, _sep, decision = rest.partition("|")
            await _decide(turn, application_id, decision, "")
        elif action == "announce":
            await _announce_preview(turn, rest)
        elif action == "announce-send":
            await _announce_send(turn, rest)
        elif action == "reopen":
            await review_reopen.reopen_draft(turn, rest)
        elif action == "stop":
            turn.finish()
            turn.say(_("Fine: nothing was sent."))
        elif action == "confirm-by":
            cohort_id, _sep, until = rest.partition("|")
            await _move_confirm_by(turn, cohort_id, until)


async def _open(turn: Turn, application_id: str) -> None:
    found = await _coordinated_application(turn, application_id)
    if found is None:
        return
    application, program, cohort = found
    person = await turn.session.get_one(Person, application.person_id)
    submitted = application.submitted_at
    label, status = cohort_label(cohort, program), status_name(application.status)
    if submitted:
        text = _("{cohort}: {status} (submitted on {date}). Email: {email}.").format(
            cohort=label, status=status, date=long_date(today_in(submitted, turn.timezone)), email=person.email
        )
    else:
        text = _("{cohort}: {status}. Email: {email}.").format(cohort=label, status=status, email=person.email)
    buttons = tuple(
        button(NAME, _(verb), f"decide|{application.id}|{decision}", "danger" if decision == "decline" else "default")
        for decision, verb in DECISION_VERBS.items()
        if DECISIONS[decision] != application.status
    )
    turn.say(
        text,
        title=_("Application: {name} ({roles})").format(name=person.display_name, roles=role_names(application.roles)),
        lines=tuple(answer_lines(application, program)),
        buttons=buttons,
    )


async def _ask_note(turn: Turn, application_id: str, decision: str) -> None:
    found = await _coordinated_application(turn, application_id)
    if found is None or decision not in DECISIONS:
        return
    application, _program, _cohort = found
    person = await turn.session.get_one(Person, application.person_id)
    turn.ask(
        NAME,
        "note",
        _(DECISION_ASKS[decision]).format(name=person.display_name)
        + " "
        + _("I will tell them by direct message: type a note to add to that message, or send it without one."),
        buttons=(button(NAME, _("Send without a note"), f"send|{application.id}|{decision}", "primary"),),
        data={"application_id": application.id, "decision": decision},
    )


async def _decide(turn: Turn, application_id: str, decision: str, note: str) -> None:
    turn.finish()
    found = await _coordinated_application(turn, application_id)
    if found is None or decision not in DECISIONS:
        return
    application, program, cohort = found
    person = await turn.session.get_one(Person, application.person_id)
    new_status = DECISIONS[decision]
    if application.status == new_status:
        turn.say(
            _("{name}'s application is already {status}. Nothing was changed.").format(
                name=person.display_name, status=status_name(new_status)
            )
        )
        return
    seat, freed = None, False
    if decision == "accept":
        try:
            seat = await accept(turn.session, application, program)
        except SelectionError as error:
            taken = await _accepted_names(turn, cohort.id)
            turn.say(
                _("{error} ({names}). Nothing was changed: decline or waitlist someone first.").format(
                    error=error, names=", ".join(taken)
                )
            )
            return
        await profiles.fill_from_application(turn.session, application, program, turn.now)
    elif application.status == "accepted":
        freed = await release(turn.session, application, turn.now, "coordinator")
    application.status, application.decided_at, application.decided_by_id = new_status, turn.now, turn.person.id
    application.updated_at = turn.now
    with speaking(person.language):  # the applicant's language
        message = _decision_message(program, cohort, application, note, turn)
    outbox.queue(turn.session, person.id, message, kind="decision", now=turn.now)
    until = None
    if decision == "accept":
        until = await confirmation.ask_to_confirm(turn.session, application, program, cohort, person, turn.now)
    if seat:
        done = _("Done: {name} is {status} (seat {seat} of {seats}). I am sending them a direct message.").format(
            name=person.display_name, status=status_name(new_status), seat=seat, seats=program.seats
        )
    else:
        done = _("Done: {name} is {status}. I am sending them a direct message.").format(
            name=person.display_name, status=status_name(new_status)
        )
    turn.say(done)
    if until is not None:
        turn.say(
            _("I asked them to confirm their place by {moment}.").format(
                moment=confirmation.moment_words(until, turn.timezone)
            )
        )
    if freed:
        waiting = await waitlist_names(turn.session, cohort.id)
        if waiting:
            turn.say(
                _("A seat is free. On the waitlist: {names}. Type `review` to accept one of them.").format(
                    names=", ".join(waiting)
                )
            )


def _decision_message(program: Program, cohort: Cohort, application: Application, note: str, turn: Turn) -> Reply:
    """The applicant's letter, in the language of the `speaking` block it is written in."""
    roles = role_names(application.roles)
    cohort_words = cohort_of_program(cohort, program)
    if application.status == "accepted":
        partner = program.guided_role if application.roles == [program.guide_role] else program.guide_role
        text = _(
            "Good news: you are accepted into {cohort} as {roles}. "
            "The coordinators will pair you with a {partner} and I will tell you who it is."
        ).format(cohort=cohort_words, roles=roles, partner=role_word(partner))
    elif application.status == "waitlisted":
        text = _(
            "Thank you for applying to {cohort}. Your application is on the waitlist "
            "for now; I will message you if a place frees up."
        ).format(cohort=cohort_words)
    else:
        text = _("Thank you for applying to {cohort}. I'm sorry: your application was not accepted this time.").format(
            cohort=cohort_words
        )
    lines = (_("Note from {name}: {note}").format(name=turn.person.display_name, note=note),) if note else ()
    title = _("Your application to the {program}").format(program=program.short_name)
    return Reply(text, title=title, lines=lines)


# Announcing the accepted names to the cohort


async def _announce_choice(turn: Turn, typed: str) -> None:
    programs = _coordinated(turn, typed)
    if programs is None:
        return
    announcing = [p for p in programs if p.announce_accepted]
    if not announcing:
        if programs:
            text = _("{programs}: the program files do not announce accepted names (announce_accepted is off).").format(
                programs=", ".join(p.short_name for p in programs)
            )
        else:
            text = _(
                "The programs you coordinate: the program files do not announce accepted names "
                "(announce_accepted is off)."
            )
        turn.say(text)
        return
    query = (
        select(Cohort)
        .where(Cohort.program_id.in_([p.id for p in announcing]), turn.roles.coordinated_cohorts())
        .where(exists().where(Application.cohort_id == Cohort.id, Application.status == "accepted"))
        .order_by(Cohort.starts_on.desc())
    )
    cohorts = list((await turn.session.execute(query)).scalars())
    if not cohorts:
        turn.say(_("No one has been accepted yet in the cohorts you coordinate: there are no names to announce."))
        return
    if len(cohorts) == 1:
        await _announce_preview(turn, str(cohorts[0].id))
        return
    buttons = tuple(button(NAME, _label(turn, c), f"announce|{c.id}") for c in cohorts)
    question = _("Which cohort's accepted names should I announce?")
    turn.ask(NAME, "announce", question, expects="choice", buttons=buttons)


async def _announce_preview(turn: Turn, cohort_id: str) -> None:
    found = await _coordinated_cohort(turn, cohort_id)
    if found is None:
        return
    program, cohort = found
    names = await _accepted_names(turn, cohort.id)
    if not names:
        turn.say(
            _("No one is accepted into {cohort} yet, so there are no names to announce.").format(
                cohort=cohort_in_sentence(cohort, program)
            )
        )
        return
    recipients = await _cohort_members(turn, cohort.id)
    count = len(recipients)
    buttons = (
        button(
            NAME,
            ngettext("Send to {count} person", "Send to {count} people", count).format(count=count),
            f"announce-send|{cohort.id}",
            "primary",
        ),
        button(NAME, _("Don't send"), f"stop|{cohort.id}"),
    )
    announcement = _announcement(program, cohort, names)
    turn.say(announcement.text, title=_("Preview: {title}").format(title=announcement.title), lines=announcement.lines)
    turn.ask(
        NAME,
        "announce",
        ngettext(
            "Send this to the {count} member of {cohort}?", "Send this to the {count} members of {cohort}?", count
        ).format(count=count, cohort=cohort_in_sentence(cohort, program)),
        expects="choice",
        buttons=buttons,
    )


async def _announce_send(turn: Turn, cohort_id: str) -> None:
    turn.finish()
    found = await _coordinated_cohort(turn, cohort_id)
    if found is None:
        return
    program, cohort = found
    names = await _accepted_names(turn, cohort.id)
    if not names:
        turn.say(
            _("No one is accepted into {cohort} any more, so nothing was sent.").format(
                cohort=cohort_in_sentence(cohort, program)
            )
        )
        return
    recipients = await _cohort_members(turn, cohort.id)
    for language, people in by_language(await languages_of(turn.session, recipients)).items():
        with speaking(language):
            announcement = _announcement(program, cohort, names)
        await outbox.queue_many(turn.session, people, announcement, kind="announcement", now=turn.now)
    turn.say(
        _("Sent: the {count} accepted names are on their way to {people} people.").format(
            count=len(names), people=len(recipients)
        )
    )


def _announcement(program: Program, cohort: Cohort, names: list[str]) -> Reply:
    return Reply(
        _("Please welcome the participants of {cohort}:").format(cohort=cohort_of_program(cohort, program)),
        title=_("{cohort}: welcome to the new cohort").format(cohort=cohort_label(cohort, program)),
        lines=tuple(names),
    )


# The time accepted applicants have to confirm their place (bot/confirmation.py)


async def _confirm_by(turn: Turn, typed: str) -> None:
    """`review confirm-by DAYS|DATE`: a new time to confirm for the places still waiting in a cohort."""
    until = confirmation.read_confirm_by(typed, turn.timezone, turn.now)
    if isinstance(until, str):
        turn.say(until)
        return
    asking = [p.id for p in turn.programs if p.application.confirmation and turn.roles.coordinates(p.id)]
    query = (
        select(Cohort)
        .where(Cohort.program_id.in_(asking), turn.roles.coordinated_cohorts())
        .where(Cohort.id.in_(confirmation.cohorts_waiting(turn.now)))
        .order_by(Cohort.program_id, Cohort.starts_on)
    )
    cohorts = list((await turn.session.execute(query)).scalars())
    if not cohorts:
        turn.say(
            _("No one is waiting to confirm a place in the cohorts you coordinate, so there is nothing to change.")
        )
    elif len(cohorts) == 1:
        await _move_confirm_by(turn, str(cohorts[0].id), until.isoformat())
    else:
        buttons = tuple(button(NAME, _label(turn, c), f"confirm-by|{c.id}|{until.isoformat()}") for c in cohorts)
        question = _("Which cohort's places should wait until then?")
        turn.ask(NAME, "confirm-by", question, expects="choice", buttons=buttons)


async def _move_confirm_by(turn: Turn, cohort_id: str, until_text: str) -> None:
    turn.finish()
    found = await _coordinated_cohort(turn, cohort_id)
    until = confirmation.parse_instant(until_text)
    if found is None or until is None:
        if until is None:
            turn.say(_("That button is broken, so nothing was changed. Type `review confirm-by` again."))
        return
    program, cohort = found
    if program.application.confirmation is None or until <= turn.now:
        turn.say(
            _("The {program} asks no confirmation, or that time has passed. Nothing was changed.").format(
                program=program.short_name
            )
        )
        return
    moved = await confirmation.move_confirm_by(turn.session, cohort, program, until, turn.now)
    if not moved:
        turn.say(
            _("No one in {cohort} is waiting to confirm a place any more. Nothing was changed.").format(
                cohort=cohort_in_sentence(cohort, program)
            )
        )
        return
    names = ", ".join(person.display_name for person in moved)
    turn.say(
        _("Done: {names}, {cohort}, now have until {moment} to confirm. I am telling them by direct message.").format(
            names=names, cohort=cohort_label(cohort, program), moment=confirmation.moment_words(until, turn.timezone)
        )
    )


# Loading, with the permission check in one place


async def _coordinated_application(turn: Turn, application_id: str) -> tuple[Application, Program, Cohort] | None:
    given_id = row_id(application_id)
    application = await turn.session.get(Application, given_id) if given_id is not None else None
    found = await _coordinated_cohort(turn, str(application.cohort_id)) if application else None
    if application is None or found is None:
        if application is None:
            turn.say(_("I can't find that application any more. Type `review` to see the current list."))
        return None
    program, cohort = found
    if application.status not in DECIDABLE:
        removed = texts_removed(application, cohort, program, turn.now)
        texts = f" {capitalised(removed_words(program))}." if removed else ""
        nothing = _("That application is {status}, so there is nothing to decide.").format(
            status=status_name(application.status)
        )
        unchanged = _("Nothing was changed.")
        turn.say(f"{nothing}{texts} {unchanged}")
        return None
    return application, program, cohort


async def _coordinated_cohort(turn: Turn, cohort_id: str) -> tuple[Program, Cohort] | None:
    given_id = row_id(cohort_id)
    cohort = await turn.session.get(Cohort, given_id) if given_id is not None else None
    program = turn.programs.get(cohort.program_id) if cohort else None
    if cohort is None or program is None:
        turn.say(_("I can't find that cohort any more. Type `review` to start again."))
        return None
    if not turn.roles.coordinates(program.id):
        turn.say(
            _("Only coordinators of the {program} can review its applications. Nothing was changed.").format(
                program=program.short_name
            )
        )
        return None
    if not turn.roles.coordinates_cohort(cohort):
        turn.say(other_cohort_refusal(program, cohort, _("review its applications"), _("Nothing was changed.")))
        return None
    if ending.has_ended(cohort, program, turn.now):
        what = _("its applications are no longer decided")
        turn.say(ending.refusal([(cohort, program)], what, _("Nothing was changed.")))
        return None
    return program, cohort


async def _accepted_names(turn: Turn, cohort_id: int) -> list[str]:
    query = (
        select(Person.display_name)
        .join(Application, Application.person_id == Person.id)
        .where(Application.cohort_id == cohort_id, Application.status == "accepted")
        .order_by(Person.display_name)
    )
    return list((await turn.session.execute(query)).scalars())


async def _cohort_members(turn: Turn, cohort_id: int) -> list[int]:
    query = select(Membership.person_id).where(Membership.cohort_id == cohort_id).distinct()
    return sorted((await turn.session.execute(query)).scalars())


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            SUMMARY,
            "review [PROGRAM] | review announce | review reopen EMAIL [UNTIL] | review confirm-by DAYS|DATE",
            start,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_dialog(ReviewDialog())


def _label(turn: Turn, cohort: Cohort) -> str:
    return cohort_label(cohort, turn.programs.get(cohort.program_id))
