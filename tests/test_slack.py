"""Slack through the real slack-bolt AsyncApp: signed requests posted to the running server's
POST /slack/events (and envelopes over Socket Mode), with SLACK_API_URL pointing at a fake Slack Web API
on 127.0.0.1 that records every call. Only Slack's cloud is faked; the adapter, engine and SQLite
database are the real ones.

The requests start from the files in tests/payloads/slack/, modelled field for field on what Slack
sends: a slash command's form body, a direct message event, a block_actions click and the
url_verification challenge. The tests fill in only what varies (text, user, channel, event id, URLs).
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import select

from adapters.slack.answers import WORKING
from storage.models import Account, Person
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, Call, FakeSlackApi, signed_headers
from tests.server import RunningServer, running_server

PAYLOADS = Path(__file__).parent / "payloads" / "slack"
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
EVENTS_PATH = "/slack/events"
SOCKET_WAIT = 60  # seconds: only so that a broken Socket Mode connection fails instead of hanging
LATE_ANSWER_WAIT = 15.0  # seconds for the answer after a "Working on it…" acknowledgement


def read_payload(name: str) -> str:
    return (PAYLOADS / name).read_text()


def load_payload(name: str) -> dict[str, Any]:
    """A fresh copy of a JSON payload from tests/payloads/slack/."""
    return json.loads(read_payload(name))


SLASH = dict(parse_qsl(read_payload("slash_command.urlencoded")))
TEAM, PAT, DM = SLASH["team_id"], SLASH["user_id"], SLASH["channel_id"]  # PAT: participant@demo.example
CHANNEL = "C05R3N8GENL"  # a public channel
PARTICIPANT = "participant@demo.example"
PAT_ZONE = "America/Los_Angeles"  # the demo's zone for Pat, and Pat's Slack profile zone


def slash_body(text: str, response_url: str, *, user: str = PAT, channel: str = DM) -> str:
    """`/coaching TEXT` as Slack posts it: a form body."""
    where = "directmessage" if channel.startswith("D") else "general"
    fields = {"text": text, "response_url": response_url, "user_id": user, "channel_id": channel}
    return urlencode({**SLASH, **fields, "channel_name": where})


def dm_event(text: str, event_id: str, *, channel: str = DM, **event: Any) -> dict[str, Any]:
    """An Events API message event in the person's DM with the bot; `event` changes or adds fields."""
    body = load_payload("dm_message.json")
    body["event_id"] = event_id
    body["event"].update(text=text, channel=channel, **event)
    body["event"]["blocks"][0]["elements"][0]["elements"][0]["text"] = text
    return body


def edited(body: dict[str, Any], new_text: str) -> dict[str, Any]:
    """The message_changed event Slack sends when the person edits `body`'s message."""
    message = body["event"]
    body["event"] = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "message": {**message, "text": new_text, "edited": {"user": message["user"], "ts": "1795446060.000000"}},
        "previous_message": message,
        "channel": message["channel"],
        "channel_type": "im",
        "ts": "1795446060.000100",
        "event_ts": "1795446060.000100",
    }
    return body


def button_named(ack: dict[str, Any], label: str) -> dict[str, Any]:
    return next(
        element
        for block in ack["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == label
    )


def click_body(button: dict[str, Any], response_url: str, *, channel: str = DM, ephemeral: bool = True) -> str:
    """A block_actions payload for a click on `button`, form-encoded as payload=JSON."""
    payload = load_payload("block_actions.json")
    payload["container"]["channel_id"] = payload["channel"]["id"] = channel
    payload["container"]["is_ephemeral"] = ephemeral
    payload["response_url"] = response_url
    payload["actions"][0].update(action_id=button["action_id"], value=button["value"], text=button["text"])
    return urlencode({"payload": json.dumps(payload)})


async def post(
    server: RunningServer,
    body: str | dict[str, Any],
    *,
    content_type: str | None = None,
    signed: bool = True,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """POST to /slack/events as Slack would: a dict as JSON, a str as a form unless told; status and body."""
    data = body if isinstance(body, str) else json.dumps(body)
    content_type = content_type or (FORM if isinstance(body, str) else JSON)
    if signed:
        sent = signed_headers(data, secret=secret, timestamp=timestamp, content_type=content_type)
    else:
        sent = {"Content-Type": content_type}
    url = server.url + EVENTS_PATH
    async with server.http.post(url, data=data.encode(), headers={**sent, **(headers or {})}) as response:
        return response.status, await response.text()


async def slash(
    server: RunningServer, fake: FakeSlackApi, text: str, *, follow_late: bool = True, **where: str
) -> dict[str, Any]:
    """A signed `/coaching TEXT`; the JSON the ack carried back. A turn slower than ANSWER_WITHIN (a loaded
    machine) is acknowledged "Working on it…" and answered at the response_url, which a person then sees:
    that answer, unless `follow_late` is off (the tests of that path)."""
    before = len(fake.calls)
    status, answer = await post(server, slash_body(text, fake.response_url, **where))
    assert status == 200, answer
    ack = json.loads(answer)
    if not follow_late or ack.get("text") != WORKING:
        return ack
    return (await answered_at_response_url(fake, before))[0].args


async def answered_at_response_url(fake: FakeSlackApi, since: int) -> list[Call]:
    """The answers posted to the response_url since call `since`, once there is one (a turn slower than
    ANSWER_WITHIN is acknowledged first and answered there after)."""
    deadline = time.monotonic() + LATE_ANSWER_WAIT
    while time.monotonic() < deadline:
        late = [call for call in fake.calls[since:] if call.method == "response_url"]
        if late:
            return late
        await asyncio.sleep(0.02)
    raise AssertionError(f"no answer at the response_url within {LATE_ANSWER_WAIT} s")


async def accounts(server: RunningServer) -> list[Account]:
    async with server.db.transaction() as session:
        return list((await session.execute(select(Account).order_by(Account.id))).scalars())


async def person(server: RunningServer, email: str = PARTICIPANT) -> Person:
    async with server.db.transaction() as session:
        return (await session.execute(select(Person).where(Person.email == email))).scalar_one()


def slack_env(fake: FakeSlackApi, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.base_url,
        **extra,
    }


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    yield api
    await api.stop()


@pytest.fixture
async def server(sqlite_url: str, fake: FakeSlackApi) -> AsyncIterator[RunningServer]:
    async with running_server(sqlite_url, slack_env(fake)) as running:
        yield running


async def test_help_is_answered_privately_with_blocks_and_links_the_person_by_email(server, fake):
    ack = await slash(server, fake, "help")
    assert ack["response_type"] == "ephemeral"
    assert ack["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "What I can do for you"}}
    listed = "\n".join(block["text"]["text"] for block in ack["blocks"] if block["type"] == "section")
    assert "• `help [VERB]`" in listed and "• `timezone [ZONE|auto]`" in listed
    [looked_up] = fake.calls_to("users.info")
    assert looked_up.args["user"] == PAT and looked_up.token == BOT_TOKEN
    [account] = await accounts(server)
    assert (account.platform, account.external_id) == ("slack", f"{TEAM}:{PAT}")
    assert account.person_id == (await person(server)).id and account.platform_timezone == PAT_ZONE
    assert fake.calls_to("chat.postMessage") == [] and fake.calls_to("response_url") == []


@pytest.mark.parametrize(
    "problem",
    [
        {"secret": "not-the-signing-secret"},
        {"signed": False},
        {"timestamp": int(time.time()) - 6 * 60},  # correctly signed, but older than 5 minutes
    ],
    ids=["forged", "unsigned", "stale"],
)
async def test_a_request_slack_did_not_sign_just_now_gets_401_and_changes_nothing(server, fake, problem):
    status, _ = await post(server, slash_body("timezone Asia/Phnom_Penh", fake.response_url), **problem)
    assert status == 401
    assert await accounts(server) == []
    assert (await person(server)).timezone == PAT_ZONE
    assert fake.calls == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"type": "event_callback", "event": {"type": "message"', JSON),
        (urlencode({"payload": '{"type": "block_actions", "actions": ['}), FORM),
        ('{"type": "event_callback", "event": {"type": "message"', FORM),  # bolt reads "{..." as JSON anyway
        (urlencode({"token": "x", "payload": ""}), FORM),  # a blank payload: bolt parses "" as JSON
    ],
    ids=["json", "interactivity-payload", "json-sent-as-form", "blank-payload"],
)
async def test_a_signed_malformed_body_gets_400_and_an_unsigned_one_401(server, fake, body, content_type):
    assert (await post(server, body, content_type=content_type))[0] == 400
    assert (await post(server, body, content_type=content_type, signed=False))[0] == 401
    assert await accounts(server) == [] and fake.calls == []


async def test_a_direct_message_is_answered_in_the_dm(server, fake):
    status, _ = await post(server, dm_event("help", "Ev0DM1"))
    assert status == 200
    [posted] = fake.calls_to("chat.postMessage")
    assert posted.args["channel"] == DM and posted.token == BOT_TOKEN
    assert "What I can do for you" in posted.args["text"] and "`timezone [ZONE|auto]`" in posted.args["text"]
    assert posted.args["blocks"][0]["type"] == "header"
    assert "thread_ts" not in posted.args


async def test_a_retried_event_is_applied_once(server, fake):
    assert (await post(server, dm_event("timezone Asia/Phnom_Penh", "Ev0RETRY")))[0] == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await post(server, dm_event("timezone Europe/London", "Ev0RETRY"), headers=retry))[0] == 200
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    [posted] = fake.calls_to("chat.postMessage")
    assert "now Asia/Phnom_Penh" in posted.args["text"]


async def test_a_retry_whose_first_delivery_never_arrived_is_applied(server, fake):
    retry = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}
    assert (await post(server, dm_event("timezone Asia/Phnom_Penh", "Ev0LOST"), headers=retry))[0] == 200
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    assert len(fake.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize(
    "ignored",
    [
        dm_event("help", "Ev0OWN", user="UBOT", bot_id="BBOT"),  # our own reply, echoed back
        dm_event("help", "Ev0BOT", user="U05R9OTHERB", bot_id="B05R9OTHER", app_id="A05R9OTHER"),
        edited(dm_event("help", "Ev0EDIT"), "timezone Europe/London"),
        dm_event("help", "Ev0CHAN", channel="C0GENERAL", channel_type="channel"),
    ],
    ids=["own-bot", "other-bot", "message_changed", "public-channel"],
)
async def test_bot_messages_and_edits_are_not_answered(server, fake, ignored):
    assert (await post(server, ignored))[0] == 200
    assert fake.calls_to("chat.postMessage") == []
    assert (await person(server)).timezone == PAT_ZONE
    assert (await post(server, dm_event("help", "Ev0PERSON")))[0] == 200  # a person's message still is
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_a_click_on_the_bots_dm_message_is_answered_with_a_message(server, fake):
    assert (await post(server, dm_event("timezone", "Ev0ASK")))[0] == 200
    [asked] = fake.calls_to("chat.postMessage")
    blocks = asked.args["blocks"]
    button = button_named({"blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}, "Phnom Penh")
    status, _ = await post(server, click_body(button, fake.response_url, channel=DM, ephemeral=False))
    assert status == 200
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    answered = fake.calls_to("chat.postMessage")[1]
    assert answered.args["channel"] == DM and "now Asia/Phnom_Penh" in answered.args["text"]
    assert fake.calls_to("response_url") == []


@pytest.mark.parametrize("channel", [DM, "D0TWOPEOPLE"], ids=["bot-dm", "dm-between-two-people"])
async def test_a_click_on_a_slash_commands_answer_in_a_dm_goes_to_the_response_url(server, fake, channel):
    button = button_named(await slash(server, fake, "timezone", channel=channel), "Phnom Penh")
    before = len(fake.calls)  # a loaded machine may have answered the slash command there too ("Working on it…")
    status, _ = await post(server, click_body(button, fake.response_url, channel=channel))
    assert status == 200
    [responded] = await answered_at_response_url(fake, before)  # the turn may finish after the acknowledgement
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    assert responded.args["response_type"] == "ephemeral" and "now Asia/Phnom_Penh" in responded.args["text"]
    assert fake.calls_to("chat.postMessage") == []  # the bot is not a member of someone else's DM


async def test_a_message_with_a_file_is_answered(server, fake):
    assert (await post(server, dm_event("help", "Ev0FILE", subtype="file_share")))[0] == 200
    assert "What I can do for you" in fake.calls_to("chat.postMessage")[0].args["text"]


async def test_a_button_click_in_a_channel_is_answered_only_to_the_person(server, fake):
    button = button_named(await slash(server, fake, "timezone", channel=CHANNEL), "Phnom Penh")
    before = len(fake.calls)  # a loaded machine may have answered the slash command there too ("Working on it…")
    status, _ = await post(server, click_body(button, fake.response_url, channel=CHANNEL))
    assert status == 200
    [responded] = await answered_at_response_url(fake, before)  # the turn may finish after the acknowledgement
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    assert responded.args["response_type"] == "ephemeral" and responded.args["replace_original"] is False
    assert "now Asia/Phnom_Penh" in responded.args["text"]
    assert fake.calls_to("chat.postMessage") == []


async def test_a_question_asked_by_slash_command_is_answered_by_typing_in_the_dm(server, fake):
    ack = await slash(server, fake, "timezone", channel=DM)
    assert "Pick your time zone" in ack["text"]
    assert (await post(server, dm_event("Phnom Penh", "Ev0ANSWER", channel=DM)))[0] == 200
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    [posted] = fake.calls_to("chat.postMessage")
    assert posted.args["channel"] == DM and "now Asia/Phnom_Penh" in posted.args["text"]


@pytest.mark.parametrize(
    ("slack_says", "expected"),
    [
        ({"ok": False, "error": "user_not_found"}, "couldn't reach Slack"),
        ({"ok": False, "error": "ratelimited"}, "couldn't reach Slack"),
        (None, "couldn't read an email address"),  # users.info answers, but without an email
    ],
    ids=["user_not_found", "ratelimited", "no-email"],
)
async def test_a_person_slack_cannot_tell_about_gets_a_clear_answer_and_no_account(server, fake, slack_says, expected):
    if slack_says is None:
        fake.add_user(PAT, None, "Pat Participant", PAT_ZONE)
    else:
        status = 429 if slack_says["error"] == "ratelimited" else 200
        fake.fail_next("users.info", status, slack_says, headers={"Retry-After": "30"} if status == 429 else None)
    ack = await slash(server, fake, "help")
    assert ack["response_type"] == "ephemeral" and expected in ack["text"]
    assert "What I can do for you" not in ack["text"]
    assert len(fake.calls_to("users.info")) == 1
    assert await accounts(server) == []


async def test_url_verification_is_answered_with_the_challenge_only_when_signed(server):
    challenge = load_payload("url_verification.json")
    status, answer = await post(server, challenge)
    assert status == 200 and json.loads(answer) == {"challenge": challenge["challenge"]}
    assert (await post(server, challenge, signed=False))[0] == 401


async def test_a_conversation_survives_a_server_restart(sqlite_url, fake):
    async with running_server(sqlite_url, slack_env(fake)) as first:
        assert "Pick your time zone" in (await slash(first, fake, "timezone"))["text"]
    async with running_server(sqlite_url, slack_env(fake)) as second:
        assert (await post(second, dm_event("Phnom Penh", "Ev0RESTART")))[0] == 200
        assert (await person(second)).timezone == "Asia/Phnom_Penh"
    [posted] = fake.calls_to("chat.postMessage")
    assert "now Asia/Phnom_Penh" in posted.args["text"]
    assert len(fake.calls_to("users.info")) == 1  # the account was remembered across the restart


def events_envelope(envelope_id: str, body: dict[str, Any], retry_attempt: int = 0) -> dict[str, Any]:
    """An Events API delivery over Socket Mode; Slack sets retry_attempt and retry_reason on a retry."""
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry_attempt,
        "retry_reason": "timeout" if retry_attempt else "",
        "payload": body,
    }


async def test_socket_mode_acks_a_slash_command_with_the_answer_and_answers_a_dm_once(sqlite_url, fake):
    command = {**SLASH, "response_url": fake.response_url}
    dm = dm_event("timezone Asia/Phnom_Penh", "Ev0SOCKET")
    envelopes = [
        {"envelope_id": "env-command", "type": "slash_commands", "accepts_response_payload": True, "payload": command},
        events_envelope("env-dm", dm),
        events_envelope("env-dm-retry", dm, retry_attempt=1),
    ]
    fake.socket_envelopes += envelopes
    async with running_server(sqlite_url, slack_env(fake, SLACK_APP_TOKEN="xapp-test")) as server:
        acks = {}
        while len(acks) < len(envelopes):
            ack = await asyncio.wait_for(fake.socket_acks.get(), timeout=SOCKET_WAIT)
            acks[ack["envelope_id"]] = ack
        assert (await post(server, slash_body("help", fake.response_url)))[0] == 404  # no public endpoint
        assert (await person(server)).timezone == "Asia/Phnom_Penh"
    [opened, *_reconnects] = fake.calls_to("apps.connections.open")
    assert opened.token == "xapp-test"
    answer = acks["env-command"]["payload"]
    assert answer["response_type"] == "ephemeral" and "What I can do for you" in answer["text"]
    assert "payload" not in acks["env-dm"] and "payload" not in acks["env-dm-retry"]
    [posted] = fake.calls_to("chat.postMessage")  # the retry was acknowledged, not applied again
    assert posted.args["channel"] == DM and "now Asia/Phnom_Penh" in posted.args["text"]
