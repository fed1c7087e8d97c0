"""Forms as Teams dialogs (task modules, issue 16 points 1 and 4): a button that opens a form is an
Action.Submit with msteams task/fetch; the task/fetch invoke is answered with the form as a dialog (an
Adaptive Card 1.5 of inputs), and the task/submit invoke runs its answers through the same dialog as chat:
taken, the dialog closes and the answer arrives in the chat; refused, the dialog comes back with the
values kept and the reason under its field, and nothing changed.

Activities posted to the real server; the fake Bot Connector records what the bot sends to the chat.
"""

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from adapters.teams.form_card import form_card, form_in
from adapters.teams.inbound import ACTION_KEY
from bot.engine import STALE_BUTTON
from bot.messages import Button, Form, FormField
from storage.models import CoachingSession
from tests.adaptive_cards import card_problems
from tests.fakes.bot_connector import FakeBotConnector, Sent, message_activity
from tests.server import RunningServer, running_server
from tests.test_selection_platforms import TeamsUser, application_of, card_text, next_id
from tests.test_teams import MESSAGES_PATH, PAT

NIA = "29:1NiA5pQr9St3Uv7Wx1Yz5Ab9Cd3Ef7Gh1Ij5Kl9Mn3Op7Qr1St5Uv9Wx3Yz7Ab1Cd5"
NIA_EMAIL = "new.applicant@example.org"
AAHSL = "aahsl-coaching-pilot"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
STATEMENT = "I want to lead a team through a change of service model, and learn to delegate well. " * 5
INPUT_TYPES = ("Input.Text", "Input.ChoiceSet", "Input.Date", "Input.Time")


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(NIA, NIA_EMAIL, "Nia Applicant")
    fake.add_member(PAT, "participant@demo.example", "Pat Participant")
    yield fake
    await fake.stop()


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    """SQLite and PostgreSQL: a form's answers are written, or refused and rolled back, in one turn."""
    async with running_server(database_url) as running:
        yield running


@pytest.fixture
async def sqlite_server(sqlite_url: str) -> AsyncIterator[RunningServer]:
    async with running_server(sqlite_url) as running:
        yield running


# Invokes as Teams posts them


def task_invoke(user: TeamsUser, name: str, value: Any) -> dict[str, Any]:
    """A task/fetch or task/submit invoke from `user`'s personal chat."""
    sent = message_activity(
        user.connector.service_url,
        user.user_id,
        conversation_id=user.conversation_id,
        user_name=user.name,
        local_timezone=user.timezone,
        activity_id=next_id("f:invoke-"),
    )
    sent.pop("text", None)
    return {**sent, "type": "invoke", "name": name, "value": value}


async def invoke(server: RunningServer, sent: dict[str, Any]) -> tuple[int, Any]:
    async with server.http.post(
        server.url + MESSAGES_PATH, data=json.dumps(sent), headers={"Content-Type": "application/json"}
    ) as response:
        return response.status, json.loads(await response.text() or "null")


def with_data(data: Any) -> dict[str, Any]:
    """An invoke's value as Teams sends it: the action's data (inputs merged in) and the client's context."""
    return {"data": data, "context": {"theme": "default"}}


def dialog_card(status: int, body: Any) -> dict[str, Any]:
    """The card of a "continue" answer: the dialog Teams shows."""
    assert status == 200, body
    assert body["task"]["type"] == "continue", body
    task = body["task"]["value"]
    assert task["width"] == "medium" and task["title"]
    assert task["card"]["contentType"] == CARD_TYPE
    card = task["card"]["content"]
    assert card_problems(card) == []
    return card


def dialog_message(status: int, body: Any) -> str:
    assert status == 200, body
    assert body["task"]["type"] == "message", body
    return body["task"]["value"]


def inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in card["body"] if item["type"] in INPUT_TYPES]


def submitted(card: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """What Teams sends when the dialog's Send is pressed: the action's data with each input by its id."""
    [send] = card["actions"]
    assert send["type"] == "Action.Submit"
    return {**send["data"], **values}


def opener(cards: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """The button titled `title` on any of the cards."""
    found = [action for card in cards for action in card.get("actions", []) if action.get("title") == title]
    assert found, [action.get("title") for card in cards for action in card.get("actions", [])]
    return found[-1]


def answers(card: dict[str, Any], statement: str) -> dict[str, str]:
    """Yes to every eligibility question ("No" to the two whose right answer is no), the statement, and a
    link for each file."""
    given = {}
    for item in inputs(card):
        if item["type"] == "Input.ChoiceSet":
            wanted = "No" if any(word in item["label"] for word in ("dean, director", "completed the")) else "Yes"
            given[item["id"]] = next(choice["value"] for choice in item["choices"] if choice["title"] == wanted)
        elif item.get("isMultiline"):
            given[item["id"]] = statement
        else:
            given[item["id"]] = f"https://files.example.org/{item['id']}.pdf"
    return given


def statement_input(card: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in inputs(card) if item.get("isMultiline"))


def chat_since(connector: FakeBotConnector, since: int, user: TeamsUser) -> list[Sent]:
    return [sent for sent in connector.sent[since:] if sent.conversation_id == user.conversation_id]


async def application_form(server: RunningServer, connector: FakeBotConnector) -> tuple[TeamsUser, dict[str, Any]]:
    """Nia applies on Teams and opens the form from the card's button: the dialog's card."""
    nia = TeamsUser(server, connector, NIA, "Nia Applicant", "America/New_York")
    since = len(connector.sent)
    await nia.say("apply aahsl")
    cards = [sent.card for sent in chat_since(connector, since, nia) if sent.card is not None]
    button = opener(cards, "Answer in a form")
    assert button["type"] == "Action.Submit"
    assert button["data"]["msteams"] == {"type": "task/fetch"}
    assert button["data"][ACTION_KEY].startswith("apply:form|")
    question = cards[-1]  # the first question: its buttons stay Action.Execute
    assert {action["type"] for action in question["actions"]} == {"Action.Execute"}
    since = len(connector.sent)
    card = dialog_card(*await invoke(server, task_invoke(nia, "task/fetch", with_data(button["data"]))))
    assert chat_since(connector, since, nia) == []  # the form opens as the dialog, not in the chat
    return nia, card


# The application


async def test_the_application_opens_as_a_dialog_with_one_input_per_question(server, connector):
    _, card = await application_form(server, connector)
    fields = inputs(card)
    assert len(fields) == 12  # seven eligibility questions, one statement, four files
    assert [item["type"] for item in fields].count("Input.ChoiceSet") == 7
    for choice in (item for item in fields if item["type"] == "Input.ChoiceSet"):
        assert choice["style"] == "compact" and choice["isRequired"] is True
        assert [option["title"] for option in choice["choices"]] == ["Yes", "No"]
    statement = statement_input(card)
    assert statement["type"] == "Input.Text" and statement["maxLength"] == 3000
    links = [item for item in fields if item.get("style") == "url"]
    assert len(links) == 4 and all(item["isRequired"] is False for item in links)
    assert all(item["label"] and item["errorMessage"] for item in fields)
    assert len({item["id"] for item in fields}) == 12


async def test_a_sent_dialog_saves_the_application_and_the_summary_arrives_in_the_chat(server, connector):
    nia, card = await application_form(server, connector)
    since = len(connector.sent)
    sent = task_invoke(nia, "task/submit", with_data(submitted(card, answers(card, STATEMENT))))
    status, body = await invoke(server, sent)
    assert (status, body) == (200, None)  # the dialog closes
    application = await application_of(server, NIA_EMAIL, AAHSL)
    assert application.materials["goals_statement"]["text"] == STATEMENT.strip()
    assert application.materials["cv"]["files"][0]["url"].startswith("https://files.example.org/")
    assert len(application.answers) == 7 and application.status == "draft"
    shown = "\n".join(card_text(reply) for reply in chat_since(connector, since, nia))
    assert "That is everything" in shown
    assert all(reply.reply_to == sent["id"] for reply in chat_since(connector, since, nia))


async def test_a_statement_over_the_word_limit_comes_back_under_its_field_and_nothing_is_saved(server, connector):
    nia, card = await application_form(server, connector)
    given = answers(card, "word " * 501)
    since = len(connector.sent)
    again = dialog_card(*await invoke(server, task_invoke(nia, "task/submit", with_data(submitted(card, given)))))
    statement = statement_input(again)
    assert statement["value"] == given[statement["id"]]  # what was typed is kept
    kept = {item["id"]: item.get("value") for item in inputs(again)}
    assert kept == given
    after = again["body"][again["body"].index(statement) + 1 :]
    reasons = [item for item in after if item["type"] == "TextBlock" and item.get("color") == "attention"]
    assert "501 words; the limit is 500" in reasons[0]["text"]
    assert [item for item in again["body"] if item.get("color") == "attention"] == reasons[:1]
    assert after.index(reasons[0]) < next(i for i, item in enumerate(after) if item["type"] in INPUT_TYPES)
    assert chat_since(connector, since, nia) == []
    application = await application_of(server, NIA_EMAIL, AAHSL)
    assert (application.answers, application.materials) == ({}, {})


# Forged and malformed invokes


def forged_choice(card: dict[str, Any]) -> dict[str, Any]:
    data = submitted(card, answers(card, "Short goals."))
    first = inputs(card)[0]
    return {**data, first["id"]: "apply:answer|999|eligibility:degree|0"}


def text_for_a_choice(card: dict[str, Any]) -> dict[str, Any]:
    return {**submitted(card, answers(card, "Short goals.")), inputs(card)[0]["id"]: 7}


def form_not_a_form(card: dict[str, Any]) -> dict[str, Any]:
    return {**submitted(card, answers(card, "Short goals.")), "coaching_form": {"fields": "all of them"}}


def no_form(card: dict[str, Any]) -> dict[str, Any]:
    data = submitted(card, answers(card, "Short goals."))
    data.pop("coaching_form")
    return data


def repeated_step(card: dict[str, Any]) -> dict[str, Any]:
    data = submitted(card, answers(card, "Short goals."))
    fields = data["coaching_form"]["fields"]
    return {**data, "coaching_form": {**data["coaching_form"], "fields": [fields[0], fields[0]]}}


@pytest.mark.parametrize(
    "make_value",
    [
        lambda card: with_data(text_for_a_choice(card)),
        lambda card: with_data(form_not_a_form(card)),
        lambda card: with_data(no_form(card)),
        lambda card: with_data(repeated_step(card)),
        lambda card: with_data("not an object"),
        lambda card: "not an object",
        lambda card: None,
    ],
    ids=["input-not-text", "form-not-a-form", "no-form", "repeated-step", "data-text", "value-text", "no-value"],
)
async def test_a_submit_that_cannot_be_read_is_answered_in_the_dialog_and_saves_nothing(
    sqlite_server, connector, make_value
):
    nia, card = await application_form(sqlite_server, connector)
    since = len(connector.sent)
    said = dialog_message(*await invoke(sqlite_server, task_invoke(nia, "task/submit", make_value(card))))
    assert said.startswith("I couldn't read that form, so nothing was saved.")
    assert chat_since(connector, since, nia) == []
    application = await application_of(sqlite_server, NIA_EMAIL, AAHSL)
    assert (application.answers, application.materials) == ({}, {})


async def test_a_forged_choice_is_refused_by_the_dialog_beside_its_field(sqlite_server, connector):
    nia, card = await application_form(sqlite_server, connector)
    again = dialog_card(*await invoke(sqlite_server, task_invoke(nia, "task/submit", with_data(forged_choice(card)))))
    first = inputs(again)[0]
    assert "value" not in first  # a value the card does not offer is not shown as chosen
    reason = again["body"][again["body"].index(first) + 1]
    assert reason["color"] == "attention" and reason["text"].startswith("Please answer with one of: yes, no.")
    assert (await application_of(sqlite_server, NIA_EMAIL, AAHSL)).answers == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (with_data({ACTION_KEY: "retired-dialog:1", "msteams": {"type": "task/fetch"}}), STALE_BUTTON),
        (with_data({ACTION_KEY: 5}), STALE_BUTTON),
        (with_data({}), STALE_BUTTON),
        (with_data(["not", "an", "object"]), "I couldn't read that button, so nothing was changed."),
        (None, "I couldn't read that button, so nothing was changed."),
    ],
    ids=["stale", "action-not-text", "no-action", "data-a-list", "no-value"],
)
async def test_a_fetch_with_no_form_behind_it_is_answered_with_a_message(sqlite_server, connector, value, expected):
    nia = TeamsUser(sqlite_server, connector, NIA, "Nia Applicant", "America/New_York")
    assert "apply" in await nia.say("help")
    said = dialog_message(*await invoke(sqlite_server, task_invoke(nia, "task/fetch", value)))
    assert said.startswith(expected)


# Booking: a date picker and a time picker


async def test_a_booking_dialog_has_a_date_and_a_time_picker_and_its_submit_books(server, connector):
    pat = TeamsUser(server, connector, PAT, "Pat Participant", "America/Los_Angeles")
    await pat.say("book")
    await pat.click("Cora Coach (AAHSL coaching pilot)")
    assert pat.shown is not None
    button = opener([pat.shown], "Pick a date and time")
    assert button["type"] == "Action.Submit" and button["data"]["msteams"] == {"type": "task/fetch"}
    card = dialog_card(*await invoke(server, task_invoke(pat, "task/fetch", with_data(button["data"]))))
    date, time = inputs(card)
    assert (date["type"], time["type"]) == ("Input.Date", "Input.Time")
    assert date["isRequired"] and time["isRequired"] and "Pacific Time" in time["label"]

    since = len(connector.sent)
    given = {date["id"]: "2026-11-25", time["id"]: "09:00"}
    status, body = await invoke(server, task_invoke(pat, "task/submit", with_data(submitted(card, given))))
    assert (status, body) == (200, None)
    assert "Booked: Wednesday 25 November, 09:00 Pacific Time" in card_text(chat_since(connector, since, pat)[0])
    async with server.db.transaction() as session:
        booked = (await session.execute(select(CoachingSession))).scalars().all()
    assert [s.starts_at.replace(tzinfo=None) for s in booked] == [datetime(2026, 11, 25, 17, 0)]


async def test_a_picked_time_the_coach_cannot_meet_comes_back_beside_the_time(sqlite_server, connector):
    pat = TeamsUser(sqlite_server, connector, PAT, "Pat Participant", "America/Los_Angeles")
    await pat.say("book")
    await pat.click("Cora Coach (AAHSL coaching pilot)")
    assert pat.shown is not None
    button = opener([pat.shown], "Pick a date and time")
    card = dialog_card(*await invoke(sqlite_server, task_invoke(pat, "task/fetch", with_data(button["data"]))))
    date, time = inputs(card)
    given = {date["id"]: "2026-11-25", time["id"]: "03:00"}
    again = dialog_card(
        *await invoke(sqlite_server, task_invoke(pat, "task/submit", with_data(submitted(card, given))))
    )
    assert [(item.get("value")) for item in inputs(again)] == ["2026-11-25", "03:00"]
    reason = again["body"][again["body"].index(inputs(again)[1]) + 1]
    assert reason["color"] == "attention" and "is outside Cora" in reason["text"]
    async with sqlite_server.db.transaction() as session:
        assert (await session.execute(select(CoachingSession))).scalars().all() == []


async def test_a_refreshed_booking_card_still_opens_the_dialog(sqlite_server, connector):
    """The card asking for a time is refreshed as Teams shows it: its form button stays a task/fetch."""
    pat = TeamsUser(sqlite_server, connector, PAT, "Pat Participant", "America/Los_Angeles")
    await pat.say("book")
    await pat.click("Cora Coach (AAHSL coaching pilot)")
    assert pat.shown is not None and "refresh" in pat.shown
    refresh = task_invoke(
        pat, "adaptiveCard/action", {"action": pat.shown["refresh"]["action"], "trigger": "automatic"}
    )
    status, body = await invoke(sqlite_server, refresh)
    assert status == 200 and card_problems(body["value"]) == []
    assert body["value"]["actions"] == pat.shown["actions"]
    button = opener([body["value"]], "Pick a date and time")
    assert button["type"] == "Action.Submit" and button["data"]["msteams"] == {"type": "task/fetch"}


# The dialog's card from a form, without a server


FORM = Form(
    title="Every kind",
    start="demo:start|1",
    fields=(
        FormField("name", "Name", "text", initial="Nia", max_length=80),
        FormField("story", "Story", "long_text", hint="At most 500 words.", optional=True),
        FormField("pick", "Pick", "choice", choices=(Button("One", "demo:pick|1"), Button("Two", "demo:pick|2"))),
        FormField("day", "Day", "date", initial="next week"),
        FormField("at", "Time", "time", initial="09:30"),
        FormField("cv", "CV", "link", optional=True, then="done"),
    ),
    submit="Save",
)


def test_every_kind_of_field_has_its_input_and_the_form_comes_back_as_it_was_kept():
    card = form_card(FORM)
    assert card_problems(card) == []
    kinds = [(item["type"], item.get("isMultiline", False), item.get("style")) for item in inputs(card)]
    assert kinds == [
        ("Input.Text", False, None),
        ("Input.Text", True, None),
        ("Input.ChoiceSet", False, "compact"),
        ("Input.Date", False, None),
        ("Input.Time", False, None),
        ("Input.Text", False, "url"),
    ]
    values = [item.get("value") for item in inputs(card)]
    assert values == ["Nia", None, None, None, "09:30", None]  # "next week" is no date a picker can show
    assert [item["isRequired"] for item in inputs(card)] == [True, False, True, True, True, False]
    assert form_in(submitted(card, {})) == dataclasses.replace(
        FORM, fields=tuple(dataclasses.replace(field, initial=None) for field in FORM.fields)
    )


def test_a_reason_for_the_whole_form_is_shown_above_the_fields():
    card = form_card(FORM, {"pick": "demo:pick|2"}, {"": "That pairing has ended.", "at": "Too early."})
    assert card["body"][0] == {
        "type": "TextBlock",
        "text": "That pairing has ended.",
        "color": "attention",
        "wrap": True,
    }
    at = next(item for item in inputs(card) if item["type"] == "Input.Time")
    assert card["body"][card["body"].index(at) + 1]["text"] == "Too early."
    assert next(item for item in inputs(card) if item["type"] == "Input.ChoiceSet")["value"] == "demo:pick|2"
    assert card_problems(card) == []


async def test_a_form_that_reaches_the_chat_opens_from_its_own_button(sqlite_server, connector):
    """A client that sends the button's click as a message (Action.Submit without task/fetch): the form's
    answer comes to the chat with a button that opens it as the dialog."""
    nia = TeamsUser(sqlite_server, connector, NIA, "Nia Applicant", "America/New_York")
    since = len(connector.sent)
    await nia.say("apply aahsl")
    cards = [sent.card for sent in chat_since(connector, since, nia) if sent.card is not None]
    click = {ACTION_KEY: opener(cards, "Answer in a form")["data"][ACTION_KEY]}
    assert "The questions left are in the form" in await nia.say(value=click)
    assert nia.shown is not None and card_problems(nia.shown) == []
    button = opener([nia.shown], "Open the form")
    assert button["type"] == "Action.Submit" and button["data"]["msteams"] == {"type": "task/fetch"}
    card = dialog_card(*await invoke(sqlite_server, task_invoke(nia, "task/fetch", with_data(button["data"]))))
    assert len(inputs(card)) == 12
    status, body = await invoke(
        sqlite_server, task_invoke(nia, "task/submit", with_data(submitted(card, answers(card, STATEMENT))))
    )
    assert (status, body) == (200, None)
    assert (await application_of(sqlite_server, NIA_EMAIL, AAHSL)).materials["goals_statement"]["text"]
