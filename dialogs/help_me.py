"""`help me` (and the Need help button in `status`): reach the program's coordinators at once.

IATUL: "difficulties are reported as soon as possible". Help is not only a check-in button: at any time a
person picks the program (when they are in several) and, if they like, what it is about from a list; the
cohort's coordinators get their name, role and pairing at once. Nothing typed is asked for or kept.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot import ending, outbox
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.dialog import Registry, Turn, button, row_id
from bot.i18n import N_, _, role_word, speaking
from bot.messages import Reply
from bot.network import cohort_coordinators
from bot.pairs import pairings_of
from bot.programs import Program
from bot.timezones import local_time
from storage.models import Cohort, Membership, OutboxMessage, Person

NAME = "help-me"
KIND = "help-request"
ASKED_AGAIN_WITHIN = timedelta(minutes=30)  # a second click within this is the same request
TOPICS = {  # in the reader's language where they are shown
    "sessions": N_("booking or sessions"),
    "pairing": N_("my pairing"),
    "program": N_("the program itself"),
    "assistant": N_("using this assistant"),
    "other": N_("something else"),
}
NO_TOPIC = "none"


@dataclass(frozen=True)
class Place:
    """A cohort the person is in (not as its coordinator), with its program and their role there."""

    cohort: Cohort
    program: Program
    role: str


async def start(turn: Turn, args: str) -> None:
    places = await _places(turn)
    if not places and turn.roles.coordinator_of:
        turn.say(
            _(
                "You coordinate your programs: `help me` is for the people in them, and their requests come to you. "
                "Type `help` to see what you can do."
            )
        )
        return
    if not places:
        turn.say(
            _(
                "You are not in a program yet, so there are no coordinators to tell. Type `programs` to see the "
                "programs and whom to contact, or `apply` to apply."
            )
        )
        return
    topic = _topic_of(args)
    if len(places) > 1:
        buttons = tuple(
            button(NAME, cohort_label(p.cohort, p.program), f"cohort|{p.cohort.id}|{topic or ''}") for p in places
        )
        turn.ask(NAME, "cohort", _("Which program would you like help with?"), expects="choice", buttons=buttons)
        return
    await _ask_topic_or_send(turn, places[0], topic)


class HelpMeDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say(_("Please click one of the buttons above, or type `help me` to start again."))

    async def on_action(self, turn: Turn, value: str) -> None:
        step, _bar, rest = value.partition("|")
        if step == "start":
            await start(turn, "")
            return
        cohort_id, _bar, topic = rest.partition("|")
        place = await _place(turn, cohort_id)
        if place is None:
            turn.finish()
            turn.say(_("You are no longer in that program, so I did not tell anyone. Type `help me` to start again."))
            return
        if step == "cohort":
            await _ask_topic_or_send(turn, place, topic if topic in TOPICS else None)
        elif step == "send" and (topic in TOPICS or topic == NO_TOPIC):
            await _send(turn, place, topic if topic in TOPICS else None)
        else:
            turn.say(_("Please click one of the buttons above, or type `help me` to start again."))


# Asking what it is about (optional)


async def _ask_topic_or_send(turn: Turn, place: Place, topic: str | None) -> None:
    if topic is not None:
        await _send(turn, place, topic)
        return
    value = f"send|{place.cohort.id}"
    buttons = tuple(button(NAME, _(words).capitalize(), f"{value}|{topic_id}") for topic_id, words in TOPICS.items())
    buttons += (button(NAME, _("Just tell them"), f"{value}|{NO_TOPIC}", "primary"),)
    turn.ask(
        NAME,
        "topic",
        _(
            "I will tell the coordinators of the {program} at once that you would like help. "
            "What is it about? (You don't have to say: the coordinators will ask you.)"
        ).format(program=place.program.short_name),
        expects="choice",
        buttons=buttons,
    )


# Telling the coordinators


async def _send(turn: Turn, place: Place, topic: str | None) -> None:
    turn.finish()
    program, cohort = place.program, place.cohort
    ref = f"help:{turn.person.id}:{cohort.id}"
    asked_at = await _asked_recently(turn, ref)
    if asked_at is not None:
        turn.say(
            _(
                "You asked for help at {time} and the coordinators of the {program} have it; they will be in touch. "
                "I did not send it twice."
            ).format(time=local_time(asked_at, turn.timezone), program=program.short_name)
        )
        return
    coordinators = [c for c in await cohort_coordinators(turn.session, cohort, program) if c.id != turn.person.id]
    if not coordinators:
        turn.say(
            _("{cohort} has no coordinator I can reach yet. Please write to {contact}.").format(
                cohort=cohort_in_sentence(cohort, program, opening=True), contact=program.contact
            )
        )
        return
    partners = await _partners(turn, place)
    for coordinator in coordinators:
        with speaking(coordinator.language):
            notice = _notice(turn, place, topic, partners)
        outbox.queue(turn.session, coordinator.id, notice, kind=KIND, now=turn.now, ref=ref)
    names = ", ".join(c.display_name for c in coordinators)
    if topic:
        told = _(
            "I have told the coordinators of {cohort} ({names}) that you would like help about {topic}. "
            "They will be in touch with you directly."
        )
    else:
        told = _(
            "I have told the coordinators of {cohort} ({names}) that you would like help. "
            "They will be in touch with you directly."
        )
    topic_words = _(TOPICS[topic]) if topic else ""
    turn.say(told.format(cohort=cohort_in_sentence(cohort, program), names=names, topic=topic_words))


def _notice(turn: Turn, place: Place, topic: str | None, partners: list[Person]) -> Reply:
    """The coordinator's notice, in the language being spoken (the caller's `speaking`)."""
    program, cohort, person = place.program, place.cohort, turn.person
    if topic:
        asks = _("{name} ({email}), {role} in {cohort}, asks for help, about {topic}.")
    else:
        asks = _("{name} ({email}), {role} in {cohort}, asks for help.")
    words = asks.format(
        name=person.display_name,
        email=person.email,
        role=role_word(place.role),
        cohort=cohort_in_sentence(cohort, program),
        topic=_(TOPICS[topic]) if topic else "",
    )
    return Reply(
        " ".join((words, _pairing_words(partners), _("Please get in touch with them."))),
        title=_("Someone asks for help"),
    )


async def _partners(turn: Turn, place: Place) -> list[Person]:
    return [
        info.partner_of(turn.person.id)
        for info in await pairings_of(turn.session, turn.person.id, turn.programs)
        if info.cohort.id == place.cohort.id
    ]


def _pairing_words(partners: list[Person]) -> str:
    if not partners:
        return _("They are not paired yet.")
    return _("They are paired with {partners}.").format(
        partners="; ".join(f"{p.display_name}, {p.email}" for p in partners)
    )


async def _asked_recently(turn: Turn, ref: str) -> datetime | None:
    since = turn.now - ASKED_AGAIN_WITHIN
    query = select(func.max(OutboxMessage.created_at)).where(
        OutboxMessage.ref == ref, OutboxMessage.kind == KIND, OutboxMessage.created_at >= since
    )
    return await turn.session.scalar(query)


# Where the person is


async def _places(turn: Turn) -> list[Place]:
    query = (
        select(Cohort, Membership.role)
        .join(Membership, Membership.cohort_id == Cohort.id)
        .where(Membership.person_id == turn.person.id, Membership.role != "coordinator")
        .order_by(Cohort.program_id, Cohort.starts_on.desc(), Membership.id)
    )
    places: dict[int, Place] = {}
    for cohort, role in (await turn.session.execute(query)).all():
        program = turn.programs.get(cohort.program_id)
        if program is not None and cohort.id not in places and not ending.has_ended(cohort, program, turn.now):
            places[cohort.id] = Place(cohort, program, role)
    return list(places.values())


async def _place(turn: Turn, cohort_id: str) -> Place | None:
    wanted = row_id(cohort_id)
    return next((p for p in await _places(turn) if p.cohort.id == wanted), None)


def _topic_of(args: str) -> str | None:
    """`help me sessions`: a topic named after `me`, by its id or a word of its label."""
    words = args.lower().split()[1:]
    for topic_id, label in TOPICS.items():
        if any(word == topic_id or (len(word) > 3 and word in label.split()) for word in words):
            return topic_id
    return None


def register(registry: Registry) -> None:
    registry.add_dialog(HelpMeDialog())
