"""Hostile requests to POST /api/messages of the real server (aiohttp, botbuilder, engine, database), with
Hypothesis: (a) Teams' own activity shapes with fields mutated, dropped and retyped, hostile texts and
button values, and serviceUrl variants; (b) raw bytes; (c) junk Authorization headers when an app id is
set. For every request: a status below 500, nothing logged at ERROR, no traceback, no "something went
wrong" sent; after the run, `help` is still answered.

test_teams_hostile.py and test_teams_tokens.py hold the named cases; a serviceUrl whose port is closed is
tested there, not here (msrest retries it for five seconds).
"""

import copy
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from adapters.teams.inbound import ACTION_KEY, CHOICE_KEY
from adapters.teams.turn_failure import SORRY
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.bot_token_service import KEY_ID, FakeBotTokenService, claims, new_key
from tests.server import RunningServer, running_server
from tests.test_teams import CORA, PAT, SOKHA, load_payload
from tests.test_teams_hostile import post_raw
from tests.test_teams_tokens import APP_ENV, APP_ID, EMULATOR_ISSUER, b64, team_join, unsigned

SOMETHING_WENT_WRONG = "something went wrong"
assert SOMETHING_WENT_WRONG in SORRY.lower()

# --- what a hostile sender types and clicks -------------------------------------------------------------

VERBS = (
    "help", "me", "status", "book", "cancel", "sessions", "timezone", "hours", "log", "apply", "review", "match",
    "announce", "report", "partner", "relay", "reply", "group", "event", "survey", "assessment", "resources",
    "cohort", "enrol", "profile", "materials", "pair", "pause", "back", "confirm", "programs", "availability",
    "withdraw", "graduate", "appoint", "coordinators", "help me", "yes", "no", "1",
)  # fmt: skip
DIALOGS = (
    "announce", "apply", "assessment", "book", "check-in", "cohort", "confirm", "enrol", "event", "graduate",
    "group", "help-me", "hours", "match", "materials", "pair", "partner", "profile", "quiet", "relay", "report",
    "resources", "review", "sessions", "survey", "timezone", "nope",
)  # fmt: skip
HOSTILE_WORDS = (
    "../../..", "Europe/../../etc", "/etc/passwd", "99999999999999999999", "-1", "0", "2147483648", "1e309",
    "NaN", "\u202e", "\U0001f600", "ថ្ងៃច័ន្ទ", "'; DROP TABLE persons; --", "%s%s%n", "{}", "[[[[", "${x}",
    "next Tuesday 3pm", "31/02/2027", "25:99", "Mars/Olympus", "UTC+99", "<at>Coaching assistant</at>", "@everyone",
)  # fmt: skip
WORD = st.one_of(st.sampled_from(HOSTILE_WORDS), st.text(max_size=40), st.integers().map(str))
CONTROL = st.text(st.characters(codec="utf-8", categories=("Cc", "Cf", "Zl", "Zp")), max_size=20)
TEXT = st.one_of(
    st.builds(lambda verb, words: " ".join([verb, *words]), st.sampled_from(VERBS), st.lists(WORD, max_size=3)),
    st.text(max_size=300),
    CONTROL,
    st.sampled_from(HOSTILE_WORDS),
    st.builds(lambda verb, size: f"{verb} " + "ẞ" * size, st.sampled_from(VERBS), st.integers(1_000, 30_000)),
)
CLICK = st.one_of(
    st.builds(lambda dialog, value: f"{dialog}:{value}", st.sampled_from(DIALOGS), WORD),
    st.sampled_from(("timezone:Asia/Phnom_Penh", "timezone:auto", "help-me:1", ":", "::::", "")),
    WORD,
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=6,
)
# A value a button could come back with: a click of ours (good or forged), something else, or junk.
VALUE = st.one_of(
    st.builds(lambda key, click: {key: click}, st.sampled_from((ACTION_KEY, CHOICE_KEY)), CLICK),
    st.builds(lambda key, junk: {key: junk}, st.sampled_from((ACTION_KEY, CHOICE_KEY)), JSON),
    JSON,
)
# Mostly members the fake connector knows (linked to demo people, so dialogs run); the common case first,
# where Hypothesis shrinks to.
ACCOUNT = st.sampled_from((PAT,) * 4 + (CORA,) * 2 + (SOKHA,) * 2 + ("29:a-stranger", "", "29:" + "x" * 250))

# --- where the answer should go -------------------------------------------------------------------------

CONNECTOR, GONE = "<the fake connector>", "<a path the fake connector does not serve>"
JUNK_URLS = (
    "", "not a url", "ftp://127.0.0.1/", "https://", "https://[::1", "https://127.0.0.1:99999/", "//x/",
    "https://user:pw@127.0.0.1/", "https://127.0.0.1/{id}/", "http://10.0.0.5/", "javascript:alert(1)",
    "https://127.0.0.1/a b/", "https://bücher.example/", "http://[::1/",
)  # fmt: skip
# Most reach a turn: the fake connector answers, or answers 404 (an answer that cannot be delivered).
SERVICE_URL = st.sampled_from((CONNECTOR,) * 40 + (GONE,) * 4 + JUNK_URLS)

# --- Teams' shapes, mutated -----------------------------------------------------------------------------

INVOKE = {**load_payload("card_submit"), "type": "invoke", "name": "adaptiveCard/action"}
TEMPLATES = {
    name: load_payload(name)
    for name in ("personal_message", "card_submit", "members_added", "personal_file_attachment", "channel_mention")
} | {"invoke": INVOKE}
SHAREPOINT = "https://demoorg-my.sharepoint.com"
assert SHAREPOINT in json.dumps(TEMPLATES["personal_file_attachment"])
DELIVERY = ("expectReplies", "normal", "notification", "ephemeral", "bogus")


@dataclass(frozen=True)
class Mutation:
    pick: int  # which field: an index into the activity's paths, modulo their number
    op: str  # drop, retype, text, account
    value: Any


MUTATION = st.builds(
    Mutation,
    pick=st.integers(0, 500),
    op=st.sampled_from(("drop", "retype", "text", "text", "account")),
    value=st.one_of(JSON, TEXT, ACCOUNT, st.text(max_size=30)),
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every field and list item, depth first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*prefix, key)
        yield from paths_of(item, (*prefix, key))


def mutated(body: dict[str, Any], mutation: Mutation) -> None:
    paths = list(paths_of(body))
    if not paths:
        return
    *parents, last = paths[mutation.pick % len(paths)]
    parent = body
    for key in parents:
        parent = parent[key]
    if mutation.op == "drop":
        del parent[last]
    else:
        parent[last] = mutation.value


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(TEMPLATES)))
    body = copy.deepcopy(TEMPLATES[name])
    body["serviceUrl"] = draw(SERVICE_URL)
    body["from"]["id"] = draw(ACCOUNT)
    if name in ("personal_message", "channel_mention", "personal_file_attachment"):
        body["text"] = draw(TEXT)
    if name in ("card_submit", "invoke") or draw(st.integers(0, 9)) == 0:
        body["value"] = draw(VALUE)
    if draw(st.integers(0, 9)) == 0:
        body["deliveryMode"] = draw(st.sampled_from(DELIVERY))
    if draw(st.integers(0, 4)) == 0:
        body["localTimezone"] = draw(st.one_of(WORD, st.sampled_from(("Asia/Phnom_Penh", "Europe/Paris"))))
    for mutation in draw(st.lists(MUTATION, max_size=3)):
        mutated(body, mutation)
    return body


# --- the checks -----------------------------------------------------------------------------------------


def assert_no_fault(caplog: pytest.LogCaptureFixture, status: int, answered: str, sent: list[str]) -> None:
    event(f"status {status}")  # how the examples spread: pytest --hypothesis-show-statistics
    assert status < 500, status
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], errors
    assert not [text for text in [answered, *sent] if SOMETHING_WENT_WRONG in text.lower()]


async def help_is_answered(server: RunningServer, connector: FakeBotConnector) -> None:
    before = len(connector.sent)
    body = {**load_payload("personal_message"), "serviceUrl": connector.service_url, "id": "after-the-fuzz"}
    assert await post_raw(server, json.dumps(body).encode()) == (201, "")
    assert "What I can do for you" in connector.sent[before].text


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    for user_id, email, name in ((PAT, "participant", "Pat"), (CORA, "coach", "Cora"), (SOKHA, "partner", "Sokha")):
        fake.add_member(user_id, f"{email}@demo.example", name)
    yield fake
    await fake.stop()


@pytest.fixture
async def server(database_url: str, connector: FakeBotConnector) -> AsyncIterator[RunningServer]:
    """Shared by all the examples of a test; once they are done, `help` must still be answered."""
    async with running_server(database_url) as running:
        yield running
        await help_is_answered(running, connector)


@pytest.fixture
async def sqlite_server(sqlite_url: str, connector: FakeBotConnector) -> AsyncIterator[RunningServer]:
    """For bodies that are refused before any turn (raw bytes: nearly all of them), where the database is
    never asked; the structure-aware test covers the turns on both databases."""
    async with running_server(sqlite_url) as running:
        yield running
        await help_is_answered(running, connector)


def sent_since(connector: FakeBotConnector, before: int) -> list[str]:
    return [json.dumps(sent.activity) for sent in connector.sent[before:]]


@settings(max_examples=300)
@given(body=activities())
async def test_teams_shapes_mutated_never_fail(server, connector, caplog: pytest.LogCaptureFixture, body) -> None:
    body = copy.deepcopy(body)
    url = body.get("serviceUrl")
    if url in (CONNECTOR, GONE):
        body["serviceUrl"] = connector.service_url + ("gone/" if url == GONE else "")
    # The shared files' links lead to the fake too: a turn that reads one must not reach SharePoint.
    data = json.dumps(body).replace(SHAREPOINT, connector.service_url.rstrip("/")).encode()
    before = len(connector.sent)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        status, answered = await post_raw(server, data)
    assert_no_fault(caplog, status, answered, sent_since(connector, before))


RAW_BODIES = (
    b"",
    b"{",
    b"[" * 10_000 + b"]" * 10_000,
    b'{"type": "message", "value": ' + b"[" * 100_000 + b"}",
    b'{"type": "message", "text": "\xff\xfe"}',
    b"\xef\xbb\xbf" + json.dumps(load_payload("personal_message")).encode(),
    json.dumps(load_payload("personal_message")).encode("utf-16"),
    b'{"type": "message", "text": "' + b"x" * 3_000_000 + b'"}',
    b"9" * 10_000,
    b'{"type": NaN}',
)


@dataclass(frozen=True)
class Flipped:
    """A real activity with a few bytes replaced: mostly almost-JSON."""

    template: str
    flips: tuple[tuple[int, int], ...]  # (position, modulo the body's length; the byte put there)

    def body(self, service_url: str) -> bytes:
        """Its URLs lead to the fake connector, and stay whole: a flipped one could name a host on the
        internet, or a closed port that msrest would try for seconds."""
        text = json.dumps({**TEMPLATES[self.template], "serviceUrl": service_url})
        body = bytearray(text.replace(SHAREPOINT, service_url.rstrip("/")).encode())
        urls = [(start, start + len(service_url)) for start in _occurrences(body, service_url.encode())]
        for position, byte in self.flips:
            at = position % len(body)
            if not any(start - 1 <= at <= end for start, end in urls):
                body[at] = byte
        return bytes(body)


def _occurrences(body: bytearray, part: bytes) -> Iterator[int]:
    start = body.find(part)
    while start != -1:
        yield start
        start = body.find(part, start + 1)


FLIPPED = st.builds(
    Flipped,
    template=st.sampled_from(sorted(TEMPLATES)),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4).map(tuple),
)
CONTENT_TYPES = ("application/json", "application/json; charset=utf-16", "application/json; charset=latin-1", "")


@settings(max_examples=200)
@given(
    raw=st.one_of(st.binary(max_size=500), st.sampled_from(RAW_BODIES), FLIPPED),
    content_type=st.sampled_from(CONTENT_TYPES),
)
async def test_raw_bytes_never_fail(sqlite_server, connector, caplog, raw: bytes | Flipped, content_type: str) -> None:
    data = raw.body(connector.service_url) if isinstance(raw, Flipped) else raw
    before = len(connector.sent)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        status, answered = await post_raw(sqlite_server, data, content_type=content_type)
    assert_no_fault(caplog, status, answered, sent_since(connector, before))


# --- junk Authorization with an app id ------------------------------------------------------------------

HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80)
ISSUERS = ("https://api.botframework.com", EMULATOR_ISSUER, "https://evil.example", "")
SEGMENT = st.binary(max_size=60).map(b64)
ALGS = st.sampled_from(("none", "HS256", "RS256", "RS512", "ES256"))


@dataclass(frozen=True)
class Forged:
    header: str | None
    signed_by_the_service: bool  # the only way to a 201


@st.composite
def tokens(draw: st.DrawFn, service: FakeBotTokenService) -> Forged:
    kind = draw(st.sampled_from(("none", "text", "bearer-text", "segments", "unsigned", "signed")))
    if kind == "none":
        return Forged(None, False)
    if kind == "text":
        return Forged(draw(HEADER_TEXT), False)
    if kind == "bearer-text":
        return Forged("Bearer " + draw(HEADER_TEXT), False)
    if kind == "segments":
        return Forged("Bearer " + ".".join(draw(st.lists(SEGMENT, min_size=1, max_size=4))), False)
    changes = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "iss": st.sampled_from(ISSUERS),
                "aud": st.sampled_from((APP_ID, "another-bot", "")),
                "serviceurl": st.sampled_from((team_join()["serviceUrl"], "https://evil.example/")),
                "appid": st.sampled_from((APP_ID, "another-bot")),
                "ver": st.sampled_from(("1.0", "2.0", "9")),
                "exp": st.integers(-(2**40), 2**40),
            },
        )
    )
    payload = {**claims(APP_ID, team_join()["serviceUrl"]), **changes}
    header = draw(st.fixed_dictionaries({}, optional={"kid": st.sampled_from((KEY_ID, "other", "")), "alg": ALGS}))
    if kind == "unsigned":
        return Forged("Bearer " + unsigned(payload, {"alg": "none", **header}), False)
    good_key, kid = draw(st.booleans()), {"kid": header["kid"]} if "kid" in header else {}  # PyJWT sets alg
    return Forged("Bearer " + service.sign(payload, service.key if good_key else OTHER_KEY, kid), good_key)


OTHER_KEY = new_key()


@pytest.fixture
async def app_id_server(sqlite_url: str, token_service: FakeBotTokenService) -> AsyncIterator[RunningServer]:
    """SQLite only: a refused token never reaches the database; a good one joins a team, which writes nothing.
    Once the examples are done, a request with a good token is still taken."""
    async with running_server(sqlite_url, APP_ENV) as running:
        yield running
        good = {"Authorization": "Bearer " + token_service.token(APP_ID, team_join()["serviceUrl"])}
        assert await post_raw(running, json.dumps(team_join()).encode(), headers=good) == (201, "")


@settings(max_examples=150)
@given(data=st.data())
async def test_junk_authorization_is_401(app_id_server, token_service, caplog, data: st.DataObject) -> None:
    forged = data.draw(tokens(token_service))
    headers = {"Authorization": forged.header} if forged.header is not None else {}
    caplog.clear()
    with caplog.at_level(logging.INFO):
        status, answered = await post_raw(app_id_server, json.dumps(team_join()).encode(), headers=headers)
    assert_no_fault(caplog, status, answered, [])
    assert status == 401 or (status == 201 and forged.signed_by_the_service), (status, forged)
