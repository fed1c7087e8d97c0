"""Every message the assistant builds, checked against Slack's documented Block Kit limits
(tests/block_kit.py) and the Adaptive Cards 1.5 schema (tests/adaptive_cards.py).

No message is listed by hand (a list misses the next new one): a tour drives the engine as Slack people
would, every verb of the registry for every demo person with a few arguments made from the command's own
usage line, every button of every answer clicked one level deep, a typed answer where a question waits for
text; then the scheduler runs a few weeks ahead, and every outbox row's reply is checked too, with each
person's App Home. Each turn's replies are rendered as Slack renders them (the message, and the message
after a click) and as Teams does (each card, and the card after a click).

The tour runs on SQLite only: the rendering checked is the same whatever the database, and the tour's
thousand-odd turns on PostgreSQL too would double the test's time for no gain. The unit tests below prove
each checker catches what it is for.
"""

import importlib
import pkgutil
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import adapters.slack
from adapters.slack.clicks import without_buttons
from adapters.slack.home import home_view
from adapters.slack.render import render as slack_render
from adapters.teams.card_state import Asked, kept
from adapters.teams.form_card import form_card
from adapters.teams.render import answered_card
from adapters.teams.render import render as teams_render
from bot import home, jobs
from bot.demo import DEMO_PEOPLE, seed_demo
from bot.dialog import Command
from bot.engine import Engine, state_key
from bot.messages import Button, Form, Inbound, Profile, Reply
from bot.outbox import reply_of
from bot.programs import ProgramCatalog
from bot.scheduler import Scheduler
from storage.db import Database
from storage.models import DialogState, OutboxMessage
from tests import block_kit
from tests.adaptive_cards import card_problems, only_version
from tests.block_kit import TEXT_TYPES, Between, Count, TextType, problems
from tests.conftest import FIXED_NOW
from wiring import build_registry

TEAM = "T0TOUR"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
TEAMS_USER = "29:tour"  # whom a card's refresh is for
SCHEDULED_AHEAD = timedelta(days=45)  # the scheduler's clock at the end: check-ins, reminders, surveys come due
TYPED_ANSWER = "Next Tuesday at 10am; I would like to work on leading a small team."
SAMPLES = {  # a usage line's placeholders, filled so a command gets arguments it may accept
    "VERB": "book", "ZONE": "Europe/Paris", "PROGRAM": "aahsl", "EMAIL": "participant2@demo.example",
    "UNTIL": "next Friday", "DAYS": "7", "DATE": "next Friday", "ROLE": "coach", "NAME": "Dana", "COACH": "Lee",
    "TEXT": "libraries", "WHEN": "next Tuesday 3pm", "HOURS": "Mon 9-12", "TITLE": "Reading circle",
    "KIND": "webinar", "AUDIENCE": "all", "CAPACITY": "8", "AMOUNT": "2h", "CATEGORY": "resources",
    "DAY": "yesterday", "REGION": "west", "COHORT": "", "STAGE": "", "TOPIC": "",
}  # fmt: skip
VARIANTS_PER_VERB = 3  # besides the bare verb
# Clicks the tour leaves alone: forgetting a demo person would empty the rest of the tour (its confirmation
# card is still shown and checked; tests/test_forget.py clicks it).
NOT_CLICKED = frozenset({"forget:yes"})


@dataclass
class Shown:
    """One turn: who did what, the replies, and the question left open (for a card's refresh)."""

    who: str
    what: str
    replies: list[Reply]
    asked: Asked | None = None


@dataclass
class Failures:
    found: list[str] = field(default_factory=list)
    version_only: list[str] = field(default_factory=list)  # valid cards that say another version

    def slack(self, kind: str, payload: dict[str, Any], where: str) -> None:
        self.found.extend(f"slack {kind} | {problem} | {where}" for problem in problems(kind, payload))

    def card(self, made: dict[str, Any], where: str) -> None:
        found = card_problems(made)
        lines = [f"teams card | {problem} | {where}" for problem in found]
        (self.version_only if only_version(found) else self.found).extend(lines)


class Directory:
    def __init__(self) -> None:
        self.emails: dict[str, str] = {}

    def account_of(self, email: str) -> str:
        """The person's Slack account id: the same for every turn of theirs."""
        known = next((account for account, known in self.emails.items() if known == email), None)
        if known is not None:
            return known
        account = f"{TEAM}:U{len(self.emails) + 1:05d}"
        self.emails[account] = email
        return account

    async def lookup(self, account_id: str) -> Profile | None:
        return Profile(email=self.emails[account_id]) if account_id in self.emails else None


class Tour:
    """People talking to the engine as Slack accounts in their DMs with the assistant."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.directory, self.shown = engine, Directory(), list[Shown]()

    def inbound(self, email: str, text: str = "", action: str | None = None) -> Inbound:
        account = self.directory.account_of(email)
        return Inbound("slack", account, f"D{account[-5:]}", text=text, action=action)

    async def turn(self, email: str, what: str, *, text: str = "", action: str | None = None) -> Shown:
        inbound = self.inbound(email, text, action)
        replies = await self.engine.handle(inbound, self.directory)
        state = await self.open_question(inbound)
        asked = Asked(state.dialog, state.step, TEAMS_USER) if state is not None else None
        shown = Shown(email, what, replies, asked)
        self.shown.append(shown)
        return shown

    async def open_question(self, inbound: Inbound) -> DialogState | None:
        async with self.engine.db.transaction() as session:
            return await session.get(DialogState, state_key(inbound))

    async def command(self, email: str, text: str) -> None:
        """The command, a typed answer if it asks for text, and each of its buttons clicked (the command
        said again before each click, so every button answers the question it came with)."""
        first = await self.turn(email, text, text=text)
        buttons = [button for reply in first.replies for button in reply.buttons]
        if not buttons and first.asked is not None:
            state = await self.open_question(self.inbound(email))
            if state is not None and state.expects == "text":
                await self.turn(email, f"{text} -> typed answer", text=TYPED_ANSWER)
        for number, clicked in enumerate(b for b in buttons if b.value not in NOT_CLICKED):
            if number:
                await self.turn(email, text, text=text)
            await self.turn(email, f"{text} -> [{clicked.label}]", action=clicked.value)
        await self.turn(email, "cancel", text="cancel")


def variants(command: Command) -> list[str]:
    """The bare verb, then up to VARIANTS_PER_VERB commands made from its usage line's forms."""
    made = [command.verb]
    for form in _top_level(command.usage):
        for choice in range(VARIANTS_PER_VERB):
            text = re.sub(r"\[([^\]]*)\]", lambda group, choice=choice: _option(group.group(1), choice), form)
            text = re.sub(r"\b[A-Z]{1,}\b", lambda word: SAMPLES.get(word.group(0), "1"), text)
            text = " ".join(text.split())
            if text not in made and len(made) <= VARIANTS_PER_VERB:
                made.append(text)
    return made


def _top_level(usage: str) -> list[str]:
    """The usage line's forms ("a | b"), not splitting inside brackets."""
    forms, depth, current = [], 0, ""
    for character in usage:
        depth += {"[": 1, "]": -1}.get(character, 0)
        if character == "|" and depth == 0:
            forms.append(current)
            current = ""
        else:
            current += character
    return [form.strip() for form in [*forms, current] if form.strip()]


def _option(group: str, choice: int) -> str:
    options = [option.strip() for option in group.split("|")]
    return options[choice % len(options)]


def modal_builders() -> list[Callable[[Form], dict[str, Any]]]:
    """Any `modal_view(form)` an adapters/slack module exposes (as home.py exposes home_view): once the Slack
    adapter opens forms as modals, each form the tour met is checked as a modal with no change here."""
    found = []
    for module_info in pkgutil.iter_modules(adapters.slack.__path__):
        module = importlib.import_module(f"adapters.slack.{module_info.name}")
        if callable(builder := getattr(module, "modal_view", None)):
            found.append(builder)
    return found


def check_turn(shown: Shown, failures: Failures, modals: list[Callable[[Form], dict[str, Any]]]) -> None:
    where = f"{shown.who} | {shown.what}"
    if not shown.replies:
        return
    text, blocks = slack_render(shown.replies)
    failures.slack("message", {"text": text, "blocks": blocks}, where)
    for reply in shown.replies:
        for button in reply.buttons:  # the message as a click leaves it
            failures.slack("message", {"text": text, "blocks": without_buttons(blocks, button.label)}, where)
            failures.card(answered_card(kept(reply, shown.asked), button.label), f"{where} -> [{button.label}]")
        for attachment in teams_render(reply, shown.asked if reply.buttons else None).attachments or []:
            if attachment.content_type == ADAPTIVE_CARD:
                failures.card(attachment.content, where)
        if reply.form is not None:
            for builder in modals:
                failures.slack("modal", builder(reply.form), f"{where} (form {reply.form.title!r})")
            refused = {field.step: "A reason. " * 50 for field in reply.form.fields}  # as a refusal shows it
            for card in (form_card(reply.form), form_card(reply.form, errors=refused)):
                failures.card(card, f"{where} (Teams dialog {reply.form.title!r})")


async def tour_all(engine: Engine, *, leaving_out: frozenset[str] = frozenset()) -> Tour:
    """Every verb (but those `leaving_out`) for every demo person."""
    tour = Tour(engine)
    registry = engine.registry
    people = sorted((person.email for person in DEMO_PEOPLE), key=lambda email: email.startswith("coordinator"))
    for email in people:  # the coordinator last: ending pairs and the like would hide the others' answers
        for verb in (verb for verb in registry.verbs if verb not in leaving_out):
            command = registry.command(verb)
            assert command is not None
            for text in variants(command):
                await tour.command(email, text)
    return tour


async def scheduled_replies(db: Database, catalog: ProgramCatalog) -> list[tuple[str, Reply]]:
    """Every reply the outbox holds, after the scheduler ran weeks ahead: (kind, reply)."""
    later = FIXED_NOW + SCHEDULED_AHEAD
    await jobs.plan_all(db, catalog, FIXED_NOW)
    await Scheduler(db, catalog, jobs.ALL, lambda: later).run_due()
    async with db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
        return [(row.kind, reply_of(row.reply)) for row in rows]


@pytest.fixture
async def sqlite_engine(sqlite_url: str, catalog: ProgramCatalog) -> AsyncIterator[Engine]:
    db = Database(sqlite_url)
    await seed_demo(db, catalog, FIXED_NOW)
    yield Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW)
    await db.dispose()


async def test_every_message_the_tour_meets_is_within_the_platforms_limits(
    sqlite_engine: Engine, catalog: ProgramCatalog
) -> None:
    tour = await tour_all(sqlite_engine)
    failures, modals = Failures(), modal_builders()
    for shown in tour.shown:
        check_turn(shown, failures, modals)
    outbox = await scheduled_replies(sqlite_engine.db, catalog)
    for number, (kind, reply) in enumerate(outbox):
        check_turn(Shown(f"outbox row {number}", kind, [reply]), failures, modals)
    for account, email in tour.directory.emails.items():
        inbound = Inbound("slack", account, f"D{account[-5:]}")
        view = await home.open_home(sqlite_engine.db, catalog, inbound, tour.directory, FIXED_NOW)
        failures.slack("home", home_view(view), f"{email} | App Home")
    failures.slack("home", home_view(home.welcome()), "newcomer | App Home")

    cards = sum(1 for shown in tour.shown for reply in shown.replies if reply.buttons)
    assert len(tour.shown) > 1000 and cards > 200 and len(outbox) > 20, (len(tour.shown), cards, len(outbox))
    assert not failures.found and not failures.version_only, "\n".join(
        [
            f"{len(failures.found)} problems (rule | who | what):",
            *failures.found[:60],
            f"{len(failures.version_only)} cards valid but for their version:",
            *failures.version_only[:10],
        ]
    )


# The checkers catch what they are for: every row of the Block Kit table, then the structural rules.


def _text(size: int, kind: str = "plain_text") -> dict[str, Any]:
    return {"type": kind, "text": "x" * size}


TEXT_OBJECT_FIELDS = {
    "text",
    "label",
    "hint",
    "title",
    "placeholder",
    "description",
    "submit",
    "close",
    "confirm",
    "deny",
}


def _too_much(rule: block_kit.Rule) -> Any:
    if isinstance(rule, Count):
        return [{"type": "divider"} if rule.field == "blocks" else _text(1)] * (rule.limit + 1)
    if isinstance(rule, Between):
        return rule.high + 1
    if isinstance(rule, TextType):
        return _text(5, "markdown" if set(rule.types) == set(TEXT_TYPES) else "mrkdwn")
    is_object = rule.field in TEXT_OBJECT_FIELDS and rule.where != "message"
    return _text(rule.limit + 1) if is_object else "x" * (rule.limit + 1)


def _placed(where: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A payload holding `data` as a `where`: the surface itself, a block, an element or an object in one."""
    surfaces = {
        "message": {"text": "t", "blocks": []},
        "modal": {"type": "modal", "title": _text(5), "blocks": []},
        "home": {"type": "home", "blocks": []},
    }
    if where in surfaces:
        return where, {**surfaces[where], **data}
    if where in block_kit.BLOCK_TYPES:
        block = {"type": where, **data}
    elif where == "section.field":
        block = {"type": "section", "fields": [data]}
    elif where in ("option", "option_group", "confirm"):
        key = {"option": "options", "option_group": "option_groups", "confirm": "confirm"}[where]
        block = {"type": "actions", "elements": [{"type": "static_select", key: [data] if key != "confirm" else data}]}
    else:
        block = {"type": "actions", "elements": [{"type": where, **data}]}
    return "message", {"text": "t", "blocks": [block]}


TABLE_ROWS = [pytest.param(rule, id=f"{type(rule).__name__} {rule.where} {rule.field}") for rule in block_kit.TABLE]


@pytest.mark.parametrize("rule", TABLE_ROWS)
def test_each_row_of_the_table_catches_a_payload_past_it(rule: block_kit.Rule) -> None:
    kind, payload = _placed(rule.where, {rule.field: _too_much(rule)})
    found = problems(kind, payload)
    assert any(problem.startswith(f"{rule.where} {rule.field} ") for problem in found), found


def _message(*blocks: dict[str, Any], text: str = "t") -> dict[str, Any]:
    return {"text": text, "blocks": list(blocks)}


BUTTON = {"type": "button", "action_id": "a", "text": _text(5), "value": "v"}
STRUCTURAL_CASES = [
    ("message", _message(*[{"type": "divider"}] * 51), "message blocks <= 50: 51"),
    ("message", _message({"type": "actions", "elements": [{**BUTTON, "text": _text(76)}]}), "button text <= 75: 76"),
    ("message", _message({"type": "divider"}, text=""), "message text (fallback) present"),
    ("message", _message({"type": "actions", "elements": [BUTTON, BUTTON]}), "action_id unique: 'a'"),
    (
        "message",
        _message({"type": "divider", "block_id": "b"}, {"type": "divider", "block_id": "b"}),
        "block_id unique",
    ),
    ("message", _message({"type": "carousel"}), "block type known: 'carousel'"),
    ("message", _message({"type": "actions", "elements": [{"type": "plain_text_input"}]}), "actions element type"),
    ("message", _message({"type": "section", "text": _text(0, "mrkdwn")}), "text object not empty"),
    ("message", _message({"type": "actions", "elements": [{**BUTTON, "style": "blue"}]}), "button style"),
    ("modal", {"type": "modal", "title": _text(5), "blocks": [{"type": "input", "label": _text(3)}]}, "modal submit"),
    ("modal", {"type": "modal", "blocks": []}, "modal title present"),
    ("home", {"type": "modal", "blocks": []}, "home type is home"),
]


@pytest.mark.parametrize(("kind", "payload", "expected"), STRUCTURAL_CASES)
def test_the_structural_rules_catch_what_the_table_cannot(kind: str, payload: dict[str, Any], expected: str) -> None:
    found = problems(kind, payload)
    assert any(problem.startswith(expected) for problem in found), found


def test_a_message_as_the_renderer_makes_it_has_no_problems() -> None:
    replies = [Reply("A *long* answer " * 400, title="T" * 200, lines=("a", "b"), buttons=(Button("B" * 90, "v"),))]
    text, blocks = slack_render(replies)
    assert problems("message", {"text": text, "blocks": blocks}) == []


CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hello"}]}
CARD_CASES = [
    ({**CARD, "version": "1.4"}, "version: the card says '1.4'"),
    ({**CARD, "body": [{"type": "Input.Rating", "id": "r"}]}, "element type: 'Input.Rating'"),
    ({**CARD, "body": [{"type": "Input.Rating", "id": "r"}]}, "schema: no 1.5 definition fits this 'Input.Rating'"),
    ({**CARD, "body": [{"type": "TextBlock", "text": "x", "colour": "red"}]}, "schema: Additional properties"),
    ({**CARD, "actions": [{"type": "Action.Execute", "title": "Go"}]}, "execute verb"),
    ({**CARD, "body": [{"type": "Input.Text", "id": "a"}, {"type": "Input.Date", "id": "a"}]}, "input ids: 'a'"),
    ({**CARD, "body": [{"type": "Input.ChoiceSet", "id": "c", "choices": [{"title": "x"}]}]}, "schema: 'value' is a"),
]


@pytest.mark.parametrize(("made", "expected"), CARD_CASES)
def test_the_card_checker_catches_each_kind_of_problem(made: dict[str, Any], expected: str) -> None:
    found = card_problems(made)
    assert any(problem.startswith(expected) for problem in found), found
    assert only_version(found) == expected.startswith("version:")


def test_a_card_as_the_renderer_makes_it_has_no_problems() -> None:
    reply = Reply("Pick one", buttons=tuple(Button(f"Option {n}", f"d:{n}") for n in range(9)))
    made = teams_render(reply, Asked("d", "pick", TEAMS_USER)).attachments[0].content
    assert card_problems(made) == [] and card_problems(CARD) == []
