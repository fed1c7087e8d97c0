"""Slack over HTTP through the real slack-bolt AsyncApp, with a fake Slack Web API on 127.0.0.1."""

import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from storage.models import Account, Person
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlackApi, signed_headers
from tests.server import RunningServer, running_server

PAT, CORA = "UPAT", "UCORA"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(PAT, "participant@demo.example", "Pat Participant", "America/Los_Angeles")
    api.add_user(CORA, "coach@demo.example", "Cora Coach", "America/New_York")
    yield api
    await api.stop()


@pytest.fixture
async def server(sqlite_url: str, fake: FakeSlackApi) -> AsyncIterator[RunningServer]:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.base_url}
    async with running_server(sqlite_url, env) as running:
        yield running


async def post(server: RunningServer, body: str, headers: dict[str, str]) -> tuple[int, str]:
    async with server.http.post(server.url + "/slack/events", data=body.encode(), headers=headers) as response:
        return response.status, await response.text()


def command_body(text: str, user: str = PAT, channel: str = "D0PAT", response_url: str = "") -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "directmessage",
            "user_id": user,
            "user_name": "pat",
            "command": "/coaching",
            "text": text,
            "api_app_id": "A0TEST",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


async def slash(server: RunningServer, text: str, **kwargs: Any) -> dict[str, Any]:
    status, answer = await post(server, body := command_body(text, **kwargs), signed_headers(body))
    assert status == 200, answer
    return json.loads(answer)


def dm_event(text: str, event_id: str, user: str = PAT, **event: Any) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": "D0PAT",
                "user": user,
                "text": text,
                "ts": "1700000000.000100",
                "team": TEAM_ID,
                **event,
            },
        }
    )


async def send_event(server: RunningServer, body: str, **headers: str) -> int:
    status, _ = await post(server, body, {**signed_headers(body, content_type="application/json"), **headers})
    return status


def block_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks)


async def count_accounts(server: RunningServer) -> int:
    async with server.db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(Account))).scalar_one()


async def zone_of(server: RunningServer, email: str) -> str | None:
    async with server.db.transaction() as session:
        return (await session.execute(select(Person.timezone).where(Person.email == email))).scalar_one()


async def test_signed_help_is_answered_privately_and_links_the_person(server, fake):
    answer = await slash(server, "help")
    assert answer["response_type"] == "ephemeral"
    assert "participant in AAHSL coaching pilot" in block_text(answer["blocks"])
    assert answer["blocks"][0]["type"] == "header"
    assert [call.args["user"] for call in fake.calls_to("users.info")] == [PAT]
    await slash(server, "me")
    assert len(fake.calls_to("users.info")) == 1  # a known account is not looked up again
    assert await count_accounts(server) == 1


@pytest.mark.parametrize("problem", ["forged", "unsigned", "replayed"])
async def test_unsigned_forged_or_replayed_requests_get_401_and_change_nothing(server, fake, problem):
    body = command_body("timezone Asia/Phnom_Penh")
    headers = {
        "forged": signed_headers(body, secret="not-the-secret"),
        "unsigned": {"Content-Type": "application/x-www-form-urlencoded"},
        "replayed": signed_headers(body, timestamp=int(time.time()) - 6 * 60),
    }[problem]
    status, _ = await post(server, body, headers)
    assert status == 401
    assert await count_accounts(server) == 0 and fake.calls_to("users.info") == []


async def test_signed_malformed_json_gets_400_and_unsigned_gets_401(server):
    body = '{"type": "event_callback", "event": '
    assert (await post(server, body, signed_headers(body, content_type="application/json")))[0] == 400
    form = urlencode({"payload": "{not json"})
    assert (await post(server, form, signed_headers(form)))[0] == 400
    assert (await post(server, body, {"Content-Type": "application/json"}))[0] == 401


async def test_a_direct_message_is_answered_in_the_dm(server, fake):
    assert await send_event(server, dm_event("help", "Ev1")) == 200
    [posted] = fake.calls_to("chat.postMessage")
    assert posted.args["channel"] == "D0PAT"
    assert "What I can do for you" in posted.args["text"]


async def test_a_retried_event_is_applied_once(server, fake):
    assert await send_event(server, dm_event("timezone Asia/Phnom_Penh", "Ev2")) == 200
    retry = dm_event("timezone Europe/London", "Ev2")  # same event_id: must not be applied again
    assert await send_event(server, retry, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}) == 200
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert await zone_of(server, "participant@demo.example") == "Asia/Phnom_Penh"


@pytest.mark.parametrize("event", [{"bot_id": "BBOT"}, {"subtype": "message_changed"}, {"channel_type": "channel"}])
async def test_bot_messages_edits_and_channel_chatter_are_ignored(server, fake, event):
    assert await send_event(server, dm_event("help", "Ev3", **event)) == 200
    assert fake.calls_to("chat.postMessage") == []


def click_payload(answer: dict[str, Any], label: str, channel: str, response_url: str) -> str:
    button = next(
        element
        for block in answer["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == label
    )
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": PAT, "username": "pat", "team_id": TEAM_ID},
        "api_app_id": "A0TEST",
        "token": "legacy",
        "container": {"type": "message", "channel_id": channel, "is_ephemeral": True},
        "trigger_id": "1.2.3",
        "channel": {"id": channel, "name": "x"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": "b1",
                "value": button["value"],
                "text": button["text"],
                "action_ts": "1700000001.000200",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


@pytest.mark.parametrize("channel", ["D0PAT", "C0GENERAL"])
async def test_a_button_click_comes_back_to_the_dialog_that_asked(server, fake, channel):
    answer = await slash(server, "timezone", channel=channel)
    body = click_payload(answer, "Phnom Penh", channel, fake.response_url)
    status, _ = await post(server, body, signed_headers(body))
    assert status == 200
    assert await zone_of(server, "participant@demo.example") == "Asia/Phnom_Penh"
    if channel.startswith("D"):  # the bot's DM: a lasting message
        [posted] = fake.calls_to("chat.postMessage")
        assert "now Asia/Phnom_Penh" in posted.args["text"]
    else:  # a channel: only the person who clicked sees it
        [responded] = fake.calls_to("response_url")
        assert responded.args["response_type"] == "ephemeral" and "now Asia/Phnom_Penh" in responded.args["text"]


async def test_a_question_asked_by_slash_command_is_answered_in_the_dm(server, fake):
    await slash(server, "timezone", channel="D0PAT")
    assert await send_event(server, dm_event("Phnom Penh", "Ev4")) == 200
    assert await zone_of(server, "participant@demo.example") == "Asia/Phnom_Penh"


async def test_a_person_slack_cannot_tell_about_gets_a_clear_answer(server, fake):
    fake.add_user("UNOMAIL", None, "No Email")
    answer = await slash(server, "help", user="UNOMAIL")
    assert "couldn't read an email address" in answer["text"]
    fake.fail_next("users.info", 200, {"ok": False, "error": "user_not_found"})
    answer = await slash(server, "help", user="UGONE")
    assert "couldn't reach Slack" in answer["text"]
    assert await count_accounts(server) == 0


async def test_url_verification_is_answered(server):
    body = json.dumps(
        {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    status, answer = await post(server, body, signed_headers(body, content_type="application/json"))
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answer


async def test_a_conversation_survives_a_server_restart(sqlite_url, fake):
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.base_url}
    async with running_server(sqlite_url, env) as first:
        assert "Pick your time zone" in block_text((await slash(first, "timezone"))["blocks"])
    async with running_server(sqlite_url, env) as second:
        assert "now Asia/Phnom_Penh" in (await slash(second, "Phnom Penh"))["text"]
