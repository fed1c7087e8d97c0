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
from bot.messages import Reply
from bot.network import cohort_coordinators
from bot.pairs import pairings_of
from bot.programs import Program
from bot.timezones import local_time
from storage.models import Cohort, Membership, OutboxMessage, Person

NAME = "help-me"
KIND = "help-request"
ASKED_AGAIN_WITHIN = timedelta(minutes=30)  # a second click within this is the same request
TOPICS = {
    "sessions": "booking or sessions",
    "pairing": "my pairing",
    "program": "the program itself",
    "assistant": "using this assistant",
    "other": "something else",
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
            "You coordinate your programs: `help me` is for the people in them, and their requests come to you. "
            "Type `help` to see what you can do."
        )
        return
    if not places:
        turn.say(
            "You are not in a program yet, so there are no coordinators to tell. Type `programs` to see the "
            "programs and whom to contact, or `apply` to apply."
        )
        return
    topic = _topic_of(args)
    if len(places) > 1:
        buttons = tuple(
            button(NAME, cohort_label(p.cohort, p.program), f"cohort|{p.cohort.id}|{topic or ''}") for p in places
        )
        turn.ask(NAME, "cohort", "Which program would you like help with?", expects="choice", buttons=buttons)
        return
    await _ask_topic_or_send(turn, places[0], topic)


class HelpMeDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say("Please click one of the buttons above, or type `help me` to start again.")

    async def on_action(self, turn: Turn, value: str) -> None:
        step, _, rest = value.partition("|")
        if step == "start":
            await start(turn, "")
            return
        cohort_id, _, topic = rest.partition("|")
        place = await _place(turn, cohort_id)
        if place is None:
            turn.finish()
            turn.say("You are no longer in that program, so I did not tell anyone. Type `help me` to start again.")
            return
        if step == "cohort":
            await _ask_topic_or_send(turn, place, topic if topic in TOPICS else None)
        elif step == "send" and (topic in TOPICS or topic == NO_TOPIC):
            await _send(turn, place, topic if topic in TOPICS else None)
        else:
            turn.say("Please click one of the buttons above, or type `help me` to start again.")


# Asking what it is about (optional)


async def _ask_topic_or_send(turn: Turn, place: Place, topic: str | None) -> None:
    if topic is not None:
        await _send(turn, place, topic)
        return
    value = f"send|{place.cohort.id}"
    buttons = tuple(button(NAME, words.capitalize(), f"{value}|{topic_id}") for topic_id, words in TOPICS.items())
    buttons += (button(NAME, "Just tell them", f"{value}|{NO_TOPIC}", "primary"),)
    turn.ask(
        NAME,
        "topic",
        f"I will tell the coordinators of the {place.program.short_name} at once that you would like help. "
        "What is it about? (You don't have to say: the coordinators will ask you.)",
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
            f"You asked for help at {local_time(asked_at, turn.timezone)} and the coordinators of the "
            f"{program.short_name} have it; they will be in touch. I did not send it twice."
        )
        return
    coordinators = [c for c in await cohort_coordinators(turn.session, cohort, program) if c.id != turn.person.id]
    if not coordinators:
        turn.say(
            f"{cohort_in_sentence(cohort, program, opening=True)} has no coordinator I can reach yet. "
            f"Please write to {program.contact}."
        )
        return
    notice = await _notice(turn, place, topic)
    for coordinator in coordinators:
        outbox.queue(turn.session, coordinator.id, notice, kind=KIND, now=turn.now, ref=ref)
    names = ", ".join(c.display_name for c in coordinators)
    about = f" about {TOPICS[topic]}" if topic else ""
    turn.say(
        f"I have told the coordinators of {cohort_in_sentence(cohort, program)} ({names}) that you would like "
        f"help{about}. They will be in touch with you directly."
    )


async def _notice(turn: Turn, place: Place, topic: str | None) -> Reply:
    program, cohort, person = place.program, place.cohort, turn.person
    about = f", about {TOPICS[topic]}" if topic else ""
    return Reply(
        f"{person.display_name} ({person.email}), {place.role} in {cohort_in_sentence(cohort, program)}, "
        f"asks for help{about}. {await _pairing_words(turn, place)} Please get in touch with them.",
        title="Someone asks for help",
    )


async def _pairing_words(turn: Turn, place: Place) -> str:
    partners: list[Person] = [
        info.partner_of(turn.person.id)
        for info in await pairings_of(turn.session, turn.person.id, turn.programs)
        if info.cohort.id == place.cohort.id
    ]
    if not partners:
        return "They are not paired yet."
    return "They are paired with " + "; ".join(f"{p.display_name}, {p.email}" for p in partners) + "."


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
