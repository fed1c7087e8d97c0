"""Teams cards that change after a click (issue 16 points 3 and 4): Adaptive Cards 1.5 with Action.Execute,
answered through the `adaptiveCard/action` invoke with the card replaced, a refresh per person that runs no
dialog and writes nothing, and older cards' Action.Submit clicks still answered, their card replaced with
update_activity. Activities posted to the real server; the fake Bot Connector records what the bot sends.
"""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from adapters.teams.card_state import CARD_KEY
from adapters.teams.inbound import ACTION_KEY
from bot.engine import STALE_BUTTON
from storage.models import Account, DialogState, Person
from tests import test_teams
from tests.adaptive_cards import card_problems
from tests.fakes.bot_connector import FakeBotConnector
from tests.server import RunningServer, running_server, settle
from tests.test_teams import MESSAGES_PATH, PAT, PAT_CHAT, activity, only_reply, person, post, without_timezone

connector = test_teams.connector  # the fake Bot Connector


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    """The server on SQLite and on PostgreSQL: a refresh reads the open question in a reading transaction."""
    async with running_server(database_url) as running:
        yield running


CARD_TYPE = "application/vnd.microsoft.card.adaptive"
ASKED_ID = "activity-1"  # the fake connector's id for the first message the bot sends


def execute(connector: FakeBotConnector, data: Any, *, verb: str = "coaching", **fields: Any) -> dict[str, Any]:
    """The invoke Teams posts for an Action.Execute of a card the bot sent (`replyToId`: that message)."""
    action = {"type": "Action.Execute", "verb": verb, "data": data}
    trigger = "automatic" if verb == "refresh" else "manual"
    value = {"action": action, "trigger": trigger}
    body = without_timezone(activity("personal_message", connector, id="f:invoke-1", replyToId=ASKED_ID))
    body.pop("text", None)
    return {**body, "type": "invoke", "name": "adaptiveCard/action", "value": value, **fields}


async def invoke(server: RunningServer, sent: dict[str, Any]) -> tuple[int, Any]:
    async with server.http.post(
        server.url + MESSAGES_PATH, data=json.dumps(sent), headers={"Content-Type": "application/json"}
    ) as response:
        return response.status, json.loads(await response.text() or "null")


def replaced_card(status: int, answer: Any) -> dict[str, Any]:
    """The card an invoke's answer puts in place of the clicked one."""
    assert status == 200, answer
    assert (answer["statusCode"], answer["type"]) == (200, CARD_TYPE), answer
    assert card_problems(answer["value"]) == []
    return answer["value"]


def texts(card: dict[str, Any]) -> list[str]:
    return [item["text"] for item in card["body"] if item["type"] == "TextBlock"]


async def asked(server: RunningServer, connector: FakeBotConnector) -> dict[str, Any]:
    """Pat types `timezone` (no zone of the chat's: six buttons); the card the bot answers with."""
    assert 200 <= await post(server, without_timezone(activity("personal_message", connector, text="timezone"))) < 300
    shown = only_reply(connector).card
    assert shown is not None and card_problems(shown) == []
    connector.sent.clear()
    return shown


def action_titled(card: dict[str, Any], title: str) -> dict[str, Any]:
    return next(action for action in card["actions"] if action["title"] == title)


async def table_rows(server: RunningServer) -> dict[str, Any]:
    """Every table's row count, and in full the rows a turn touches most (people, accounts, dialog states),
    once the scheduler and the outbox have caught up (they write on their own)."""
    await settle(server)
    async with server.db.transaction() as session:
        names = await session.run_sync(lambda sync: inspect(sync.connection()).get_table_names())
        counts = {name: (await session.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one() for name in names}
        touched = {
            table.name: sorted(tuple(row) for row in (await session.execute(select(table))).all())
            for table in (Person.__table__, Account.__table__, DialogState.__table__)
        }
    return {**{f"rows in {name}": count for name, count in counts.items()}, **touched}


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    keys = before.keys() | after.keys()
    return {key: (before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)}


async def test_a_card_asking_an_open_question_is_refreshed_for_the_person_it_asked(server, connector):
    shown = await asked(server, connector)
    assert shown["version"] == "1.5"
    assert shown["refresh"]["userIds"] == [PAT]
    assert (shown["refresh"]["action"]["type"], shown["refresh"]["action"]["verb"]) == ("Action.Execute", "refresh")


async def test_a_click_replaces_the_card_with_the_choice_and_the_answer_arrives(server, connector):
    shown = await asked(server, connector)
    london = action_titled(shown, "London")
    replaced = replaced_card(*await invoke(server, execute(connector, london["data"])))
    assert "actions" not in replaced and "refresh" not in replaced
    assert texts(replaced)[0] == texts(shown)[0]  # what it asked stays
    assert texts(replaced)[-1] == "✓ London"
    reply = only_reply(connector)
    assert reply.conversation_id == PAT_CHAT and "your time zone is now Europe/London" in reply.text
    assert (await person(server, "participant@demo.example")).timezone == "Europe/London"


async def test_a_choice_from_the_drop_down_is_named_on_the_replaced_card(server, connector):
    await post(server, activity("personal_message", connector, text="timezone"))  # seven choices
    shown = only_reply(connector).card
    assert shown is not None and card_problems(shown) == []
    connector.sent.clear()
    [send] = shown["actions"]
    data = {**send["data"], "coaching_choice": "timezone:Asia/Phnom_Penh"}  # Teams merges the input in
    replaced = replaced_card(*await invoke(server, execute(connector, data)))
    assert texts(replaced)[-1] == "✓ Phnom Penh" and "actions" not in replaced
    assert "Asia/Phnom_Penh" in only_reply(connector).text


async def test_a_refresh_shows_the_open_card_then_the_answered_one_and_writes_nothing(server, connector):
    shown = await asked(server, connector)
    refresh = execute(connector, shown["refresh"]["action"]["data"], verb="refresh")
    before = await table_rows(server)
    assert replaced_card(*await invoke(server, refresh)) == shown  # the question is still open
    assert changes(before, await table_rows(server)) == {}
    assert connector.sent == []

    assert 200 <= await post(server, activity("personal_message", connector, text="London", id="typed-1")) < 300
    assert "Europe/London" in only_reply(connector).text  # answered by typing, not by the card
    before = await table_rows(server)
    answered = replaced_card(*await invoke(server, refresh))
    assert "actions" not in answered and texts(answered)[-1] == "✓ Answered"
    assert changes(before, await table_rows(server)) == {}


async def test_a_refresh_for_someone_else_shows_the_card_without_its_buttons(server, connector):
    shown = await asked(server, connector)
    someone_else = execute(connector, shown["refresh"]["action"]["data"], verb="refresh")
    someone_else["from"] = {**someone_else["from"], "id": "29:someone-else"}
    answered = replaced_card(*await invoke(server, someone_else))
    assert "actions" not in answered and texts(answered)[0] == texts(shown)[0]


def stale(shown: dict[str, Any]) -> dict[str, Any]:
    """A button of a conversation that no longer exists, on a card of ours."""
    return {ACTION_KEY: "retired-dialog:1", CARD_KEY: action_titled(shown, "London")["data"][CARD_KEY]}


@pytest.mark.parametrize(
    "make_data",
    [
        stale,
        lambda shown: {ACTION_KEY: "timezone:nowhere/at-all", CARD_KEY: {"text": 5, "lines": "x", "buttons": {}}},
        lambda shown: {},
        lambda shown: "not an object",
    ],
    ids=["stale", "forged", "no-value", "data-not-an-object"],
)
async def test_a_stale_or_forged_click_is_answered_and_its_card_replaced(server, connector, make_data):
    shown = await asked(server, connector)
    replaced = replaced_card(*await invoke(server, execute(connector, make_data(shown))))
    assert "actions" not in replaced and texts(replaced)[-1] == "✓ Answered"
    answer = only_reply(connector).text
    assert answer == STALE_BUTTON or "Nothing was changed" in answer  # a forged value is refused by its dialog
    assert (await person(server, "participant@demo.example")).timezone == "America/Los_Angeles"


@pytest.mark.parametrize("value", [None, "text", {"action": "not an object"}], ids=["none", "text", "action-text"])
async def test_an_invoke_with_no_action_in_it_still_gets_a_card(server, connector, value):
    sent = execute(connector, {})
    sent["value"] = value
    replaced = replaced_card(*await invoke(server, sent))
    assert "actions" not in replaced
    assert only_reply(connector).text == STALE_BUTTON


async def test_an_older_cards_action_submit_click_still_works_and_its_card_is_replaced(server, connector):
    await asked(server, connector)
    click = activity("card_submit", connector, value={ACTION_KEY: "timezone:Europe/London"})  # a 1.4 card's data
    assert 200 <= await post(server, click) < 300
    assert "your time zone is now Europe/London" in only_reply(connector).text
    [updated] = connector.updated
    assert (updated.conversation_id, updated.reply_to) == (click["conversation"]["id"], click["replyToId"])
    assert updated.activity["id"] == click["replyToId"] and updated.card is not None
    assert "actions" not in updated.card and texts(updated.card) == ["✓ Answered"]
    assert card_problems(updated.card) == []


async def test_an_action_execute_sent_as_a_message_is_answered_and_names_the_choice(server, connector):
    """A client that sends a card's data as Action.Submit would (the fallback of older clients)."""
    shown = await asked(server, connector)
    click = activity("card_submit", connector, value=action_titled(shown, "London")["data"])
    assert 200 <= await post(server, click) < 300
    assert "Europe/London" in only_reply(connector).text
    [updated] = connector.updated
    assert texts(updated.card)[0] == texts(shown)[0] and texts(updated.card)[-1] == "✓ London"
