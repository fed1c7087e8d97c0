"""Hostile input through the engine: every demo person types generated text and clicks shown, forged and
malformed buttons, and every turn gets a specific answer, never the apology meant for real faults.

The endpoints' fuzz tests (test_fuzz_slack.py, test_fuzz_teams.py) cover payload shapes; this one covers
what a well-formed message can say, on both databases (PostgreSQL refuses what SQLite lets through: a
NUL character in text, an integer past 2**31).
"""

import logging
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from adapters.console import ConsoleDirectory
from bot.demo import DEMO_PEOPLE
from bot.engine import SORRY, Engine
from bot.i18n import KHMER, _, speaking
from bot.messages import FormAnswers, Inbound, Reply
from storage.models import DialogState
from storage.models import Person as StoredPerson

EMAILS = tuple(person.email for person in DEMO_PEOPLE)
VERBS = (
    "help", "status", "book", "cancel", "sessions", "timezone", "hours", "checkin", "apply", "review",
    "match", "announce", "report", "partner", "relay", "group", "event", "survey", "assessment", "resources",
    "cohort", "enrol", "profile", "materials", "pair", "pause", "back", "confirm", "programs", "me", "network",
    "availability", "help me", "coach", "mentor", "yes", "no", "skip", "1", "2", "language", "language km",
)  # fmt: skip
HOSTILE_WORDS = (
    "../../..", "/etc/passwd", "Europe/../../etc", "99999999999999999999", "-1", "0", "2147483648", "1e309",
    "NaN", "inf", "\x00", "\u202e", "\U0001f600", "ថ្ងៃច័ន្ទ", "'; DROP TABLE persons; --", "%s%s%n", "{}",
    "[[[[", "next Tuesday 3pm", "yesterday", "31/02/2027", "25:99", "tomorrow at 25pm", "Mars/Olympus",
    "UTC+99", "a" * 5000, "@everyone", "<script>", "📅" * 300, "ថ្ងៃអង្គារក្រោយ ម៉ោង៣រសៀល", "ម៉ោង ៩៩ យប់",
    "ខែ" * 400, "km", "ខ្មែរ", "០០០០០០០០០០០០០០០០០០០០០",
)  # fmt: skip
ARG = st.one_of(st.sampled_from(HOSTILE_WORDS), st.text(max_size=60), st.integers().map(str))
TYPED = st.one_of(
    st.builds(lambda verb, args: f"{verb} {' '.join(args)}".strip(), st.sampled_from(VERBS), st.lists(ARG, max_size=3)),
    st.text(max_size=200),
    st.sampled_from(HOSTILE_WORDS),
)


@dataclass
class Person:
    email: str
    buttons: list[str] = field(default_factory=list)  # the values of the buttons shown last


@dataclass(frozen=True)
class Step:
    who: int
    kind: str  # "type", "click" a shown button, "forge" a value for a shown button's dialog, "junk" value,
    # "form": a form sent with a shown button (or a forged value) as its start and hostile answers
    typed: str
    pick: int


STEP = st.builds(
    Step,
    who=st.integers(0, len(EMAILS) - 1),
    kind=st.sampled_from(("type", "type", "click", "click", "forge", "junk", "form")),
    typed=TYPED,
    pick=st.integers(0, 50),
)


FORM_STEPS = (
    "date", "time", "audience", "message", "title", "url", "kind", "stages", "topics", "role", "whom",
    "eligibility:degree", "material:goals_statement", "material:cv", "question:why", "",
)  # fmt: skip


def _form(shown: str, step: Step) -> FormAnswers:
    start = shown if step.pick % 2 else f"{shown.partition(':')[0]}:{step.typed}"
    values = (step.typed, *HOSTILE_WORDS[step.pick % 7 :: 7])
    answers = tuple((FORM_STEPS[(step.pick + i) % len(FORM_STEPS)], value) for i, value in enumerate(values))
    return FormAnswers(start, answers, then=((FORM_STEPS[step.pick % len(FORM_STEPS)], step.typed),))


def _inbound(person: Person, step: Step) -> Inbound:
    if step.kind == "type" or not person.buttons:
        return Inbound("console", person.email, "console", text=step.typed)
    shown = person.buttons[step.pick % len(person.buttons)]
    if step.kind == "click":
        return Inbound("console", person.email, "console", action=shown)
    if step.kind == "form":
        return Inbound("console", person.email, "console", form=_form(shown, step))
    if step.kind == "forge":  # the dialog a real button named, with a value of the attacker's choosing
        dialog = shown.partition(":")[0]
        return Inbound("console", person.email, "console", action=f"{dialog}:{step.typed}")
    return Inbound("console", person.email, "console", action=step.typed)


def _text_of(replies: list[Reply]) -> str:
    return "\n".join(" ".join((r.title or "", r.text, *r.lines)) for r in replies)


@settings(max_examples=60, stateful_step_count=1)
@given(steps=st.lists(STEP, min_size=1, max_size=8))
async def test_no_input_ends_in_an_apology_or_silence(
    engine: Engine, caplog: pytest.LogCaptureFixture, steps: list[Step]
) -> None:
    await _every_step_answered(engine, caplog, steps, SORRY)


@settings(max_examples=40, stateful_step_count=1)
@given(steps=st.lists(STEP, min_size=1, max_size=8))
async def test_no_input_ends_in_an_apology_or_silence_for_people_who_read_khmer(
    engine: Engine, caplog: pytest.LogCaptureFixture, steps: list[Step]
) -> None:
    async with engine.db.transaction() as session:
        await session.execute(update(StoredPerson).values(language=KHMER))
    with speaking(KHMER):
        sorry = _(SORRY)
    await _every_step_answered(engine, caplog, steps, sorry)


async def _every_step_answered(engine: Engine, caplog: pytest.LogCaptureFixture, steps: list[Step], sorry: str) -> None:
    people = [Person(email) for email in EMAILS]
    for step in steps:
        person = people[step.who]
        inbound = _inbound(person, step)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            replies = await engine.handle(inbound, ConsoleDirectory(person.email))
        answered = _text_of(replies)
        assert sorry not in answered, (inbound.text, inbound.action)
        assert replies and answered.strip(), ("no answer to", inbound.text, inbound.action)
        gaps = [r.getMessage() for r in caplog.records if "unanswered" in r.getMessage() or r.levelno >= logging.ERROR]
        assert not gaps, (gaps, inbound.text, inbound.action)
        shown = [button.value for reply in replies for button in reply.buttons]
        person.buttons = shown or person.buttons


async def test_the_fuzzed_engine_still_answers_and_keeps_valid_state(engine: Engine) -> None:
    """After junk clicks and text the next real command still works and no state was left half-made."""
    directory = ConsoleDirectory("participant@demo.example")
    for junk in ("review:accept:99999999999999", "apply:\x00", "book:slot:-1", ":", "::::", "nope"):
        replies = await engine.handle(Inbound("console", "participant@demo.example", "console", action=junk), directory)
        assert replies and SORRY not in _text_of(replies)
    replies = await engine.handle(Inbound("console", "participant@demo.example", "console", text="help"), directory)
    assert "book" in _text_of(replies)
    async with engine.db.transaction() as session:
        states = (await session.execute(DialogState.__table__.select())).all()
    assert all(state.dialog for state in states)
