"""POST /api/messages under hostile input, through the real server and botbuilder: every body that is not
an activity we take gets 400 with a short reason and changes nothing; an answer that cannot be delivered
leaves the turn committed, the request answered below 500 and one warning in the log; never a traceback.

The fuzz test (test_fuzz_teams.py) draws such inputs at random; these are the named cases.
"""

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from botbuilder.schema import Activity

from adapters.teams.inbound import ACTION_KEY, CHOICE_KEY, from_message, text_without_mention
from adapters.teams.validate import MAX_BODY_BYTES
from tests.fakes import free_port
from tests.fakes.bot_connector import FakeBotConnector
from tests.server import RunningServer, running_server
from tests.test_teams import PAT, accounts, load_payload, person

Body = Callable[[str], bytes]  # the body to post, given the fake connector's serviceUrl


def personal(url: str, **fields: Any) -> dict[str, Any]:
    return {**load_payload("personal_message"), "serviceUrl": url, **fields}


def encoded(make: Callable[[str], Any]) -> Body:
    return lambda url: json.dumps(make(url)).encode()


def with_field(path: str, value: Any) -> Body:
    """The personal message with the field at dotted `path` set to `value`."""

    def make(url: str) -> bytes:
        body = personal(url)
        *parents, last = path.split(".")
        target = body
        for name in parents:
            target = target[name]
        target[last] = value
        return json.dumps(body).encode()

    return make


def nested(depth: int) -> Body:
    return lambda url: json.dumps(personal(url))[:-1].encode() + b', "value": ' + b"[" * depth + b"]" * depth + b"}"


async def post_raw(
    server: RunningServer, data: bytes, *, content_type: str = "application/json", headers: dict[str, str] | None = None
) -> tuple[int, str]:
    async with server.http.post(
        server.url + "/api/messages", data=data, headers={"Content-Type": content_type, **(headers or {})}
    ) as response:
        return response.status, await response.text()


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing at ERROR, and no traceback at any level."""
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.stack_info] == []


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(PAT, "participant@demo.example", "Pat Participant")
    yield fake
    await fake.stop()


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[RunningServer]:
    """SQLite only where the database does not matter: the request is refused before any turn, or what is
    tested happens after the engine's commit."""
    async with running_server(sqlite_url) as running:
        yield running


@pytest.fixture
async def any_db_server(database_url: str) -> AsyncIterator[RunningServer]:
    async with running_server(database_url) as running:
        yield running


REFUSED: dict[str, tuple[Body, str]] = {
    "invalid-utf8": (lambda url: json.dumps(personal(url)).encode().replace(b'"help"', b'"h\xffelp"'), "not UTF-8"),
    "utf16": (lambda url: json.dumps(personal(url)).encode("utf-16"), "not UTF-8"),
    "nested-10000": (nested(10_000), "nested deeper"),
    "nested-900": (nested(900), "nested deeper"),  # under json's limit, over ours
    "array": (lambda url: b"[]", "not a JSON object"),
    "string": (lambda url: b'"message"', "not a JSON object"),
    "null": (lambda url: b"null", "not a JSON object"),
    "truncated": (lambda url: json.dumps(personal(url)).encode()[:-3], "malformed JSON"),
    "nan": (lambda url: json.dumps(personal(url, value={"n": float("nan")})).encode(), "malformed JSON"),
    "infinite": (lambda url: json.dumps(personal(url))[:-1].encode() + b', "value": 1e999}', "too large"),
    "digits": (lambda url: json.dumps(personal(url))[:-1].encode() + b', "value": ' + b"9" * 5000 + b"}", "malformed"),
    "nul": (with_field("from.name", "Pat\x00"), "NUL"),
    "surrogate": (lambda url: json.dumps(personal(url, text="\ud800")).encode(), "surrogate"),
    "from-string": (with_field("from", "29:someone"), "activity.from is not an object"),
    "conversation-list": (with_field("conversation", ["a:1"]), "activity.conversation is not an object"),
    "conversation-id-number": (with_field("conversation.id", 12), "activity.conversation.id is not a string"),
    "is-group-string": (with_field("conversation.isGroup", "yes"), "isGroup is not true or false"),
    "text-dict": (with_field("text", {"a": 1}), "activity.text is not a string"),
    "type-number": (with_field("type", 5), "activity.type is not a string"),
    "attachments-dict": (with_field("attachments", {"a": 1}), "attachments is not a list"),
    "attachments-numbers": (with_field("attachments", [1, 2]), "attachments is not an object"),
    "attachment-name-list": (with_field("attachments", [{"contentType": "image/png", "name": []}]), "name"),
    "entities-string": (with_field("entities", "clientInfo"), "entities is not a list"),
    "entity-type-number": (with_field("entities", [{"type": 7}]), "entities.type is not a string"),
    "members-added-string": (with_field("membersAdded", "29:x"), "membersAdded is not a list"),
    "member-without-id": (with_field("membersAdded", [{"name": "x"}]), "membersAdded[].id"),
    "local-timezone-list": (with_field("localTimezone", ["Asia/Bangkok"]), "localTimezone is not a string"),
    "id-dict": (with_field("id", {"a": 1}), "activity.id is not a string"),
    "timestamp-garbage": (with_field("timestamp", "yesterday-ish"), "does not parse"),
    "service-url-number": (with_field("serviceUrl", 443), "serviceUrl is not a string"),
    "no-type": (with_field("type", ""), "no type"),
    "no-from-id": (with_field("from", {"name": "Pat"}), "from.id"),
    "from-id-too-long": (with_field("from.id", "29:" + "x" * 300), "from.id is no Teams id"),
    "conversation-id-unicode": (with_field("conversation.id", "a:ẞ"), "conversation.id is no Teams id"),
    "conversation-id-newline": (with_field("conversation.id", "a:1\r\nX-Evil: 1"), "conversation.id is no Teams"),
    "activity-id-huge": (with_field("id", "ẞ" * 1000), "id is no Teams id"),
    "attachments-null": (with_field("attachments", [None]), "activity.attachments holds a null"),
    "entities-null": (with_field("entities", [None]), "activity.entities holds a null"),
    "click-value-number": (with_field("value", {ACTION_KEY: 5}), f"{ACTION_KEY} is not a string"),
    "choice-value-dict": (with_field("value", {CHOICE_KEY: {"a": 1}}), f"{CHOICE_KEY} is not a string"),
    "600-KB": (lambda url: json.dumps(personal(url, text="x" * 600_000)).encode(), "too large"),
    "3-MB": (lambda url: json.dumps(personal(url, text="x" * 3_000_000)).encode(), "too large"),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_a_body_that_is_no_activity_we_take_is_refused_with_its_reason(
    server, connector, caplog: pytest.LogCaptureFixture, case: str
):
    make, reason = REFUSED[case]
    with caplog.at_level(logging.INFO):
        status, text = await post_raw(server, make(connector.service_url))
    assert status == 400 and reason in text, (status, text)
    assert len(text) < 120  # short, and quotes nothing of the body
    assert connector.requests == [] and await accounts(server) == []
    assert_quiet(caplog)


def test_the_body_limit_leaves_room_for_the_longest_teams_message():
    longest = personal("https://smba.trafficmanager.net/amer/", text="x" * 28_000)
    longest["attachments"] = [{"contentType": "text/html", "content": "<div>" + "x" * 28_000 * 2 + "</div>"}]
    assert len(json.dumps(longest)) * 4 < MAX_BODY_BYTES  # room for four times it


SERVICE_URLS = [
    "not a url",
    "ftp://127.0.0.1/",
    "https://",
    "https:///v3",
    "https://[::1",
    "https://127.0.0.1:99999/",
    "https://127.0.0.1:port/",
    "https://user:secret@smba.trafficmanager.net/amer/",
    "https://smba.trafficmanager.net/amer/?next=/evil",
    "https://smba.trafficmanager.net/amer/#x",
    "https://smba.trafficmanager.net/{conversationId}/",
    "https://smba.trafficmanager.net/amer /",
    "https://smba.traffic_manager.net/amer/",
    "https://bücher.example/amer/",
    "javascript:alert(1)",
    "//127.0.0.1/",
    "http://smba.trafficmanager.net/amer/",  # http, and not on this machine
    "http://10.0.0.5:3978/",
    "https://" + "a" * 3000 + ".example/",
]


@pytest.mark.parametrize("service_url", SERVICE_URLS)
async def test_a_service_url_that_is_not_an_https_url_is_refused(server, caplog, service_url):
    with caplog.at_level(logging.INFO):
        status, text = await post_raw(server, json.dumps(personal(service_url)).encode())
    assert (status, text.split(" (")[0]) == (400, "serviceUrl is not an https URL")
    assert await accounts(server) == []
    assert_quiet(caplog)


async def test_the_emulator_may_use_http_on_this_machine(server, connector):
    """Anonymous mode only; with an app id http is refused everywhere (test_teams_tokens.py)."""
    assert connector.service_url.startswith("http://127.0.0.1:")
    status, _ = await post_raw(server, json.dumps(personal(connector.service_url)).encode())
    assert status == 201
    assert "What I can do for you" in connector.sent[0].text


async def test_a_wrong_content_type_is_still_415(server, connector):
    status, _ = await post_raw(server, json.dumps(personal(connector.service_url)).encode(), content_type="text/plain")
    assert status == 415


async def test_an_answer_that_cannot_be_delivered_leaves_the_turn_committed_and_one_warning(
    server, connector, caplog: pytest.LogCaptureFixture
):
    """The person wrote from a conversation whose Bot Connector is gone: msrest retries for about five
    seconds, then gives up. On SQLite only: what is tested is the delivery, after the engine's commit."""
    assert await post_raw(server, json.dumps(personal(connector.service_url)).encode()) == (201, "")  # linked
    nowhere = f"http://127.0.0.1:{free_port()}/"
    sent = personal(nowhere, text="timezone Asia/Phnom_Penh", id="1795446099999")
    with caplog.at_level(logging.INFO):
        status, _ = await post_raw(server, json.dumps(sent).encode())
    assert status == 202
    assert (await person(server, "participant@demo.example")).timezone == "Asia/Phnom_Penh"  # committed
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("adapters.teams")]
    assert warnings == ["teams answer not delivered: connector unreachable error=ClientRequestError"]
    assert_quiet(caplog)
    assert len(connector.sent) == 1  # the first answer only; no apology anywhere


@pytest.mark.parametrize(
    ("path", "failures", "logged"),
    [
        ("", [(403, {}), (403, {})], "error=ErrorResponseException status=403"),  # blocked (an HttpOperationError)
        ("gone/", [], "error=DeserializationError status=unknown"),  # a plain-text 404 page, no JSON
    ],
    ids=["403", "not-json"],
)
async def test_an_apology_that_cannot_be_sent_either_does_not_fail_the_request(
    any_db_server, connector, caplog: pytest.LogCaptureFixture, path, failures, logged
):
    connector.failures.extend(failures)
    with caplog.at_level(logging.INFO):
        status, _ = await post_raw(any_db_server, json.dumps(personal(connector.service_url + path)).encode())
    assert status == 202
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("adapters.teams")]
    assert messages == [f"teams answer not delivered {logged}", f"teams apology not delivered {logged.split()[0]}"]
    assert_quiet(caplog)
    assert connector.sent == []


@pytest.mark.parametrize("value", [5, "coaching_action", ["timezone:Asia/Phnom_Penh"], {ACTION_KEY: ""}])
async def test_a_value_that_is_no_click_of_ours_leaves_the_message_a_message(any_db_server, connector, value):
    """Teams puts an object in `value` for a card's Action.Submit; anything else is no button."""
    status, _ = await post_raw(any_db_server, json.dumps(personal(connector.service_url, value=value)).encode())
    assert status == 201
    assert "What I can do for you" in connector.sent[0].text  # the text, "help", was read
    assert (await person(any_db_server, "participant@demo.example")).timezone != "Asia/Phnom_Penh"


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "invoke", "name": "composeExtension/query", "value": {"commandId": "x"}},
        {"type": "invoke", "name": "signin/verifyState", "value": {"state": "x"}},
    ],  # a card's Action.Execute is answered: tests/test_teams_cards.py
    ids=["message-extension", "sign-in"],
)
async def test_an_invoke_we_never_asked_for_is_refused_plainly(server, connector, fields):
    status, text = await post_raw(server, json.dumps(personal(connector.service_url, **fields)).encode())
    assert status == 400, text
    assert connector.sent == []


async def test_expect_replies_returns_the_answers_in_the_body(any_db_server, connector):
    """A Direct Line or skill caller may ask for the replies in the HTTP answer (botbuilder itself fails
    serialising them: a 500)."""
    status, text = await post_raw(
        any_db_server, json.dumps(personal(connector.service_url, deliveryMode="expectReplies")).encode()
    )
    assert status == 200
    assert "What I can do for you" in json.loads(text)["activities"][0]["text"]
    assert connector.sent == []


BOT = load_payload("channel_mention")["recipient"]


def mention(text: Any = None, **mentioned: Any) -> dict[str, Any]:
    """A mention entity of the bot (or of whoever `mentioned` names)."""
    entity: dict[str, Any] = {"type": "mention", "mentioned": {**BOT, **mentioned}}
    if text is not None:
        entity["text"] = text
    return entity


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ("<at>Coaching assistant</at> help", [mention("<at>Coaching assistant</at>")], "help"),
        ("<at>C++ (beta</at> me", [mention("<at>C++ (beta</at>")], "me"),  # botbuilder: re.error
        ("<at>A &amp; B</at> me", [mention(name="A & B")], "me"),
        ("<at>Other</at> help", [mention("<at>Other</at>", id="29:someone-else")], "<at>Other</at> help"),
        ("help", [{"type": "Mention"}, {"type": "mention", "mentioned": "bot"}, {"type": None}], "help"),
        ("help", [mention(5, name=["x"])], "help"),
    ],
    ids=["mention", "regex-name", "escaped-name", "someone-else", "odd-entities", "odd-fields"],
)
def test_only_the_bots_own_mention_is_taken_out_of_the_text(text, entities, expected):
    parsed = Activity().deserialize({**load_payload("channel_mention"), "text": text, "entities": entities})
    assert text_without_mention(parsed).strip() == expected
    assert from_message(parsed).text == expected
