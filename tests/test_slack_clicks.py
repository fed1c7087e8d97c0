"""After a click in Slack, the clicked message shows the choice made and loses its buttons (issue 16 point 3):
chat.update for our message in the bot's DM, replace_original at the response_url for a slash command's
ephemeral answer; then the answer, as before. Signed payloads to the real server, the fake Slack API
recording the calls.
"""

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters.slack.clicks import escape_mrkdwn, without_buttons
from bot.engine import STALE_BUTTON
from tests.fakes.slack_api import BOT_TOKEN
from tests.test_selection_platforms import eventually
from tests.test_slack import (  # noqa: F401 (fixtures)
    DM,
    button_named,
    dm_event,
    fake,
    load_payload,
    person,
    post,
    server,
    slash,
)


def blocks_of(args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = args["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def dm_click(button: dict[str, Any], message: dict[str, Any], response_url: str) -> str:
    """A click on our message in the bot's DM, as Slack sends it: the message itself comes along."""
    payload = load_payload("block_actions.json")
    payload["container"].update(channel_id=DM, is_ephemeral=False, message_ts=message["ts"])
    payload["channel"]["id"] = DM
    payload["message"] = message
    payload["response_url"] = response_url
    payload["actions"][0].update(action_id=button["action_id"], value=button["value"], text=button["text"])
    return urlencode({"payload": json.dumps(payload)})


def ephemeral_click(button: dict[str, Any], response_url: str) -> str:
    """A click on a slash command's answer: Slack sends no copy of an ephemeral message."""
    payload = load_payload("block_actions.json")
    payload["response_url"] = response_url
    payload["actions"][0].update(action_id=button["action_id"], value=button["value"], text=button["text"])
    return urlencode({"payload": json.dumps(payload)})


def chosen(label: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"✓ {label}"}]}


async def asked_in_dm(server, fake) -> dict[str, Any]:  # noqa: F811
    """The bot's question (`timezone`) in the DM, as a message of the channel: its ts, text and blocks."""
    assert (await post(server, dm_event("timezone", "Ev0ASKCLICK")))[0] == 200
    [asked] = fake.calls_to("chat.postMessage")
    return {"type": "message", "ts": "1795446002.000300", "text": asked.args["text"], "blocks": blocks_of(asked.args)}


async def test_a_click_in_the_dm_changes_the_message_to_the_choice_then_answers(server, fake):  # noqa: F811
    message = await asked_in_dm(server, fake)
    status, _ = await post(server, dm_click(button_named(message, "Phnom Penh"), message, fake.response_url))
    assert status == 200
    [update] = await eventually(lambda: fake.calls_to("chat.update"), "the clicked message changed")
    assert (update.args["channel"], update.args["ts"], update.token) == (DM, message["ts"], BOT_TOKEN)
    changed = blocks_of(update.args)
    assert [block["type"] for block in changed if block["type"] == "actions"] == []
    assert chosen("Phnom Penh") in changed
    assert [b for b in changed if b["type"] != "context"] == [b for b in message["blocks"] if b["type"] != "actions"]
    answered = await eventually(lambda: fake.calls_to("chat.postMessage")[1:], "the answer")
    assert "now Asia/Phnom_Penh" in answered[0].args["text"]
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    assert fake.calls_to("response_url") == fake.calls_to("response_url.replace") == []


async def test_a_click_on_a_slash_commands_answer_replaces_it_and_answers_beside_it(server, fake):  # noqa: F811
    button = button_named(await slash(server, fake, "timezone"), "Phnom Penh")
    status, _ = await post(server, ephemeral_click(button, fake.response_url))
    assert status == 200
    [answer] = await eventually(lambda: fake.calls_to("response_url"), "the answer")
    [replaced] = fake.calls_to("response_url.replace")
    assert replaced.args["replace_original"] is True and blocks_of(replaced.args) == [chosen("Phnom Penh")]
    assert answer.args["replace_original"] is False and "now Asia/Phnom_Penh" in answer.args["text"]
    assert fake.calls.index(replaced) < fake.calls.index(answer)  # the choice shows, then the answer under it
    assert fake.calls_to("chat.update") == []


async def test_an_old_button_is_answered_as_stale_and_its_message_loses_its_buttons(server, fake):  # noqa: F811
    message = await asked_in_dm(server, fake)
    old = {**button_named(message, "Phnom Penh"), "value": "retired-dialog:1"}
    assert (await post(server, dm_click(old, message, fake.response_url)))[0] == 200
    [update] = await eventually(lambda: fake.calls_to("chat.update"), "the clicked message changed")
    assert not [block for block in blocks_of(update.args) if block["type"] == "actions"]
    answered = await eventually(lambda: fake.calls_to("chat.postMessage")[1:], "the answer")
    assert answered[0].args["text"] == STALE_BUTTON
    assert (await person(server)).timezone != "Asia/Phnom_Penh"


async def test_a_failed_change_is_logged_by_type_and_the_answer_still_goes(server, fake, caplog):  # noqa: F811
    message = await asked_in_dm(server, fake)
    fake.fail_next("chat.update", 200, {"ok": False, "error": "message_not_found"})
    with caplog.at_level(logging.WARNING, logger="adapters.slack.clicks"):
        assert (await post(server, dm_click(button_named(message, "Phnom Penh"), message, fake.response_url)))[0] == 200
        answered = await eventually(lambda: fake.calls_to("chat.postMessage")[1:], "the answer")
    assert "now Asia/Phnom_Penh" in answered[0].args["text"]
    logged = [record.getMessage() for record in caplog.records if record.name == "adapters.slack.clicks"]
    assert logged == ["slack clicked message not changed error=SlackApiError code=message_not_found"]


def test_a_message_of_several_questions_loses_every_button_in_one_click():
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "Free times"}}
    actions = {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x"}}]}
    changed = without_buttons([section, actions, {"type": "divider"}, section, actions], "Tue <10:00> & more")
    assert changed == [section, chosen("Tue &lt;10:00&gt; &amp; more"), {"type": "divider"}, section]


@pytest.mark.parametrize(
    ("label", "shown"), [("a*b_c", "a*b_c"), ("<!channel>", "&lt;!channel&gt;"), ("R&D", "R&amp;D")]
)
def test_a_label_is_shown_as_written(label, shown):
    assert escape_mrkdwn(label) == shown
