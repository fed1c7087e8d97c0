"""Hostile and malformed requests to POST /slack/events of the real server, each with the answer it gets:
401 unless Slack signed these bytes just now, 400 with a short reason for a signed body that is no payload
or not shaped as its kind, 200 for a kind we leave alone. Never a 500, never an error in the log, and
nothing changes. The generated cases are in test_fuzz_slack.py; these are the ones found by hand and by
the fuzz, kept as a readable table. (SQLite only: the answers are given before any turn touches a database.)
"""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters.slack import payloads
from tests.fakes.slack_api import SIGNING_SECRET, FakeSlackApi, signed_headers
from tests.server import RunningServer, running_server
from tests.test_slack import (
    DM,
    FORM,
    JSON,
    PARTICIPANT,
    PAT,
    PAT_ZONE,
    SLASH,
    accounts,
    answered_at_response_url,
    load_payload,
    person,
    slack_env,
    slash_body,
)

EVENTS_PATH = "/slack/events"
NOWHERE = "http://127.0.0.1:9/response"  # a valid response_url that reaches nobody (never Slack's real one)
DEEP = 10_000


def sign(raw: bytes, content_type: str, *, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's headers for raw bytes, which may not be text: HMAC-SHA256 of b"v0:{timestamp}:" + body."""
    headers = signed_headers("", secret=secret, content_type=content_type)
    stamp = headers["X-Slack-Request-Timestamp"]
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256).hexdigest()
    return {**headers, "X-Slack-Signature": f"v0={digest}"}


async def post_raw(
    server: RunningServer, raw: bytes, content_type: str = JSON, *, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    sent = sign(raw, content_type) if headers is None else headers
    async with server.http.post(server.url + EVENTS_PATH, data=raw, headers=sent) as response:
        return response.status, await response.text()


def event(**fields: Any) -> dict[str, Any]:
    body = load_payload("dm_message.json")
    body["event"].update(fields)
    return body


def click(**fields: Any) -> str:
    payload = load_payload("block_actions.json")
    payload["response_url"] = NOWHERE
    payload["actions"][0].update(action_id="coaching:0", value="timezone:Asia/Phnom_Penh")
    for name, value in fields.items():
        if name.startswith("action_"):
            payload["actions"][0][name.removeprefix("action_")] = value
        else:
            payload[name] = value
    return urlencode({"payload": json.dumps(payload)})


def command(**fields: Any) -> dict[str, Any]:
    """A slash command's fields; a field given as None is left out."""
    body = {**SLASH, "response_url": NOWHERE, "text": "timezone Asia/Phnom_Penh", **fields}
    return {name: value for name, value in body.items() if value is not None}


def as_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def nested(levels: int) -> dict[str, Any]:
    inner: Any = "deep"
    for _ in range(levels):
        inner = {"a": inner}
    return inner


VIEW = {"type": "view_submission", "user": {"id": "U05QK1B7XJP"}}  # a modal submitted
SIGNED_BAD: list[tuple[str, bytes, str, str]] = [
    # (id, body, content type, reason)
    ("empty", b"", JSON, "the body is empty"),
    ("not-utf8", b'{"type": "event_callback", "x": "\xff\xfe"}', JSON, "not UTF-8"),
    ("not-utf8-form", b"command=%2Fcoaching&text=\xc3\x28", FORM, "not UTF-8"),
    ("json-10000-deep", b"[" * DEEP + b"]" * DEEP, JSON, "nested too deeply"),
    ("object-10000-deep", b'{"a":' * DEEP + b"1" + b"}" * DEEP, JSON, "nested too deeply"),
    ("parses-but-too-deep", as_json(event(blocks=[nested(60)])), JSON, "nested too deeply"),
    ("a-list", b"[1, 2]", JSON, "not an object"),
    ("a-string", b'"event_callback"', JSON, "not an object"),
    ("broken-json", b'{"type": "event_callback"', JSON, "not valid JSON"),
    ("huge-integer", b'{"type": ' + b"9" * 5000 + b"}", JSON, "not valid JSON"),
    ("payload-not-json", urlencode({"payload": "{not json"}).encode(), FORM, "not valid JSON"),
    ("payload-a-list", urlencode({"payload": "[]"}).encode(), FORM, "not an object"),
    ("event-a-list", as_json({**event(), "event": ["message"]}), JSON, "`event` must be an object"),
    ("event-null", as_json({**event(), "event": None}), JSON, "`event` must be an object"),
    ("event-a-string", as_json({**event(), "event": "type"}), JSON, "`event` must be an object"),
    ("user-a-number", as_json(event(user=12345)), JSON, "`event.user` must be a Slack id"),
    ("user-a-path", as_json(event(user="../../..")), JSON, "`event.user` must be a Slack id"),
    ("channel-null-in-a-dm", as_json(event(channel=None)), JSON, "`event.channel` must be a Slack id"),
    ("text-an-object", as_json(event(text={"text": "help"})), JSON, "`event.text` must be text"),
    ("text-too-long", as_json(event(text="a" * 40_001)), JSON, "`event.text` must be text of at most 40,000"),
    ("text-half-a-surrogate", as_json(event(text="help \ud800")), JSON, "`event.text` must be text"),
    ("value-half-a-surrogate", click(action_value="timezone:\udfff").encode(), FORM, "`actions[0].value`"),
    ("files-an-object", as_json(event(files={"name": "cv.pdf"})), JSON, "`event.files` must be a list"),
    ("thread-a-number", as_json(event(thread_ts=1795446001.1)), JSON, "`event.thread_ts`"),
    ("event-id-huge", as_json({**event(), "event_id": "Ev" + "0" * 300}), JSON, "`event_id`"),
    ("team-a-number", as_json({**event(), "team_id": 7}), JSON, "`team_id` must be a Slack id"),
    ("authorizations-of-numbers", as_json({**event(), "authorizations": [5]}), JSON, "`authorizations`"),
    ("enterprise-a-number", as_json({**event(), "enterprise": 5}), JSON, "`enterprise` must be an id or an object"),
    ("command-user-missing", urlencode(command(user_id=None)).encode(), FORM, "`user_id`"),
    ("command-user-a-number", as_json(command(user_id=42)), JSON, "`user_id` must be a Slack id"),
    ("command-text-a-list", as_json(command(text=["help"])), JSON, "`text` must be text"),
    ("command-not-text", as_json(command(command=["/coaching"])), JSON, "`command` must be text"),
    ("command-response-url-not-a-url", urlencode(command(response_url="../../..")).encode(), FORM, "`response_url`"),
    ("actions-not-a-list", click(actions={"action_id": "coaching:0"}).encode(), FORM, "`actions` must be a list"),
    ("actions-empty", click(actions=[]).encode(), FORM, "`actions` must be a list"),
    ("action-id-a-number", click(action_action_id=7).encode(), FORM, "`actions[0].action_id` must be text"),
    ("value-a-number", click(action_value=3).encode(), FORM, "`actions[0].value` must be text"),
    ("value-an-object", click(action_value={"dialog": "timezone"}).encode(), FORM, "`actions[0].value`"),
    ("value-missing", click(action_value=None).encode(), FORM, "`actions[0].value`"),
    ("value-too-long", click(action_value="timezone:" + "x" * 2000).encode(), FORM, "`actions[0].value`"),
    ("team-a-string", click(team="T05QJ8K2M9A").encode(), FORM, "`team` must be an object"),
    ("user-missing", click(user=None).encode(), FORM, "`user` must be an object"),
    ("user-id-a-number", click(user={"id": 5}).encode(), FORM, "`user.id` must be a Slack id"),
    ("container-ephemeral-text", click(container={"is_ephemeral": "yes"}).encode(), FORM, "`container.is_ephemeral`"),
    ("click-response-url-missing", click(response_url=None).encode(), FORM, "`response_url`"),
    ("view-not-an-object", urlencode({"payload": json.dumps(VIEW | {"view": 3})}).encode(), FORM, "`view` must be"),
    ("challenge-an-object", as_json({"type": "url_verification", "challenge": {}}), JSON, "`challenge` must be text"),
]  # fmt: skip

IGNORED: list[tuple[str, bytes, str]] = [
    ("odd-form-keys", b"%00=%FF&&==&a[b]=c&\xe2\x80\xae=1", FORM),
    ("ssl-check", b"ssl_check=1&token=x", FORM),
    ("empty-object", b"{}", JSON),
    ("another-command", urlencode(command(command="/other")).encode(), FORM),
    ("another-event", as_json({**event(), "event": {"type": "reaction_added", "user": 5}}), JSON),
    (
        "another-apps-view",
        urlencode({"payload": json.dumps(VIEW | {"view": {"callback_id": "theirs"}})}).encode(),
        FORM,
    ),
    ("link-button", click(action_action_id="open-link").encode(), FORM),
    ("unknown-type", b'{"type": ["event_callback"], "event": 5}', JSON),
]


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


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Records at ERROR or above anywhere (aiohttp logs an unhandled exception as "Error handling request")."""
    caplog.set_level(logging.WARNING)
    return caplog.records


def errors_in(records: list[logging.LogRecord]) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.ERROR]


async def nothing_changed(server: RunningServer, fake: FakeSlackApi) -> None:
    assert await accounts(server) == []
    assert (await person(server)).timezone == PAT_ZONE
    assert [call.method for call in fake.calls if call.method != "auth.test"] == []


# Each table runs against one server (a server per case would cost half a minute of the suite).


async def test_a_signed_malformed_or_misshapen_body_gets_400_with_its_reason(server, fake, errors):
    for case, raw, content_type, reason in SIGNED_BAD:
        status, answer = await post_raw(server, raw, content_type)
        assert (status, reason in answer) == (400, True), (case, answer)
        assert len(answer) < 120, case
        assert (await post_raw(server, raw, content_type, headers={"Content-Type": content_type}))[0] == 401, case
        assert errors_in(errors) == [], case
        await nothing_changed(server, fake)


async def test_a_signed_payload_of_a_kind_we_leave_alone_gets_200_and_nothing_else(server, fake, errors):
    for case, raw, content_type in IGNORED:
        assert await post_raw(server, raw, content_type) == (200, ""), case
        assert errors_in(errors) == [], case
        await nothing_changed(server, fake)


ODD_HEADERS = [
    ("no-headers", {}),
    ("arabic-digits", {"X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠", "X-Slack-Signature": "v0=00"}),
    ("non-ascii-signature", {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=ü" * 16}),
    ("spaces", {"X-Slack-Request-Timestamp": " 1 ", "X-Slack-Signature": "v0=00"}),
    ("huge-timestamp", {"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=00"}),
    ("other-scheme", {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "sha256=00"}),
]


async def test_odd_signature_headers_get_401(server, fake, errors):
    for case, headers in ODD_HEADERS:
        for raw in (b"\xff\xfe", slash_body("help", fake.response_url).encode()):
            assert (await post_raw(server, raw, FORM, headers={"Content-Type": FORM, **headers}))[0] == 401, case
    assert errors_in(errors) == []
    await nothing_changed(server, fake)


async def test_a_body_over_a_mebibyte_gets_413_signed_and_401_unsigned(server, fake, errors):
    huge = as_json(event(text="a" * (1 << 20)))
    assert (await post_raw(server, huge))[0] == 413
    assert (await post_raw(server, huge, headers={"Content-Type": JSON}))[0] == 401
    assert errors_in(errors) == []
    await nothing_changed(server, fake)


async def test_a_command_typed_with_the_word_payload_is_answered(server, fake):
    """bolt's reader takes any form containing "payload" for interactivity, and dispatched it empty."""
    status, answer = await post_raw(server, slash_body("timezone payload", fake.response_url).encode(), FORM)
    assert status == 200
    assert json.loads(answer)["response_type"] == "ephemeral" and "payload" in json.loads(answer)["text"]


async def test_a_click_without_a_channel_is_answered_where_its_container_is(server, fake):
    status, _ = await post_raw(server, click(channel=None, response_url=fake.response_url).encode(), FORM)
    assert status == 200
    [responded] = await answered_at_response_url(fake, 0)  # the turn may finish after the acknowledgement
    assert "now Asia/Phnom_Penh" in responded.args["text"]
    assert (await person(server)).timezone == "Asia/Phnom_Penh"


async def test_a_dm_whose_text_is_null_is_a_message_without_text(server, fake):
    assert (await post_raw(server, as_json(event(text=None, channel=DM))))[0] == 200
    [posted] = fake.calls_to("chat.postMessage")
    assert "Type `help`" in posted.args["text"]


def test_the_depth_check_does_not_recurse():
    assert payloads.screen(nested(5_000)) == payloads.reject("the payload is nested too deeply")
    assert payloads.screen({"type": "event_callback", "event": {"type": "reaction_added"}}) == payloads.IGNORE
