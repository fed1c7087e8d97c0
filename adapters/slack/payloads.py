"""From the raw bytes POSTed to /slack/events to a payload bolt may dispatch: the signature checked on the
bytes, the body read once, and the kinds we act on checked for the shapes Slack sends.

bolt and our listeners read fields by the types Slack documents. A field of another type (an `event` that
is a list, a `user_id` that is a number, a button `value` that is an object, a `team` that is text where an
object belongs) raises inside them and answers 500 with a traceback. `screen` says in one short sentence
what is wrong instead, so the endpoint answers 400 and the listeners only ever meet Slack's shapes.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl

from yarl import URL

from adapters.slack.forms import CALLBACK_ID as FORM_CALLBACK
from adapters.slack.inbound import BUTTON_ACTION_PREFIX, is_person_dm

COMMAND = "/coaching"
SIGNATURE_AGE = 5 * 60  # seconds: older requests are refused, as Slack advises (a replayed request)
MAX_TEXT = 40_000  # characters: Slack keeps no more of a message, so nothing longer comes from Slack
MAX_VALUE = 2_000  # characters of a button's value (Block Kit's limit)
MAX_DEPTH = 40  # levels of nesting; Slack's deepest payloads (rich text inside a message) stay far below
SLACK_ID = re.compile(r"[A-Za-z0-9]{1,64}")  # users, teams, channels, bots: letters and digits
EVENT_ID = re.compile(r"[A-Za-z0-9]{1,100}")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # in a str from JSON, only ever half of an escaped pair
JSON_TYPE, FORM_TYPE = "application/json", "application/x-www-form-urlencoded"


class Screened(NamedTuple):
    """What to do with a signed payload: hand it to bolt, answer 200 and nothing else, or answer 400."""

    verdict: Literal["dispatch", "ignore", "reject"]
    reason: str = ""


DISPATCH, IGNORE = Screened("dispatch"), Screened("ignore")


def reject(reason: str) -> Screened:
    return Screened("reject", reason)


# The signature, on the raw bytes (bolt's verifier decodes them as UTF-8 first, and fails on other bytes)


def fresh(headers: Mapping[str, str], now: float) -> bool:
    """Whether the request carries a timestamp of the last five minutes and a signature of the right form:
    a request without them is refused before its body is read."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    return abs(now - int(timestamp)) <= SIGNATURE_AGE and signature.isascii() and signature.startswith("v0=")


def signed(raw: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """v0= HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret (call after `fresh`)."""
    timestamp = headers["X-Slack-Request-Timestamp"].encode()
    digest = hmac.new(secret.encode(), b"v0:" + timestamp + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={digest}".encode(), headers["X-Slack-Signature"].encode())


# The body, read once


def parse(raw: bytes, content_type: str) -> dict[str, Any] | str:
    """The payload as a dict, or why it cannot be one. JSON events, form-encoded slash commands, and
    interactivity as a form with one `payload` field holding JSON. (bolt's own reader takes any form that
    merely contains the word "payload" for interactivity: a command typed with that word arrived empty.)"""
    if not raw:
        return "the body is empty"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8 text"
    if content_type == JSON_TYPE or text.startswith("{"):
        return _json_object(text)
    form = dict(parse_qsl(text, keep_blank_values=True))
    return _json_object(form["payload"]) if "payload" in form else form


def _json_object(text: str) -> dict[str, Any] | str:
    try:
        value = json.loads(text)
    except RecursionError:
        return "the JSON is nested too deeply"
    except ValueError:  # JSONDecodeError, and integers longer than Python reads from text
        return "the body is not valid JSON"
    return value if isinstance(value, dict) else "the JSON is not an object"


# Shapes

Test = Callable[[Any], bool]
Field = tuple[str, Test, str]  # a field's name, its test, and what it must be (said in the 400)


def an_id(value: Any) -> bool:
    return isinstance(value, str) and SLACK_ID.fullmatch(value) is not None


def an_event_id(value: Any) -> bool:
    return isinstance(value, str) and EVENT_ID.fullmatch(value) is not None


def an_object(value: Any) -> bool:
    return isinstance(value, dict)


def a_flag(value: Any) -> bool:
    return isinstance(value, bool)


def a_list(value: Any) -> bool:
    return isinstance(value, list)


def text_up_to(limit: int) -> Test:
    """Text Slack could have sent: not too long, and Unicode (JSON's escapes can name half a surrogate pair,
    which no database takes)."""
    return lambda value: isinstance(value, str) and len(value) <= limit and not LONE_SURROGATE.search(value)


def a_url(value: Any) -> bool:
    """An absolute http(s) URL with a host (response_url: where a command's or a click's answer goes)."""
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        return False
    try:
        return bool(URL(value).host)
    except ValueError:
        return False


def optional(test: Test) -> Test:
    return lambda value: value is None or test(value)


SOME_TEXT = text_up_to(200)
ID, TEXT = "a Slack id", f"text of at most {MAX_TEXT:,} characters"

SLASH_COMMAND: Sequence[Field] = (
    ("user_id", an_id, ID),
    ("team_id", optional(an_id), ID),
    ("channel_id", optional(an_id), ID),
    ("text", optional(text_up_to(MAX_TEXT)), TEXT),
    ("response_url", a_url, "an http(s) URL"),
)
EVENT_CALLBACK: Sequence[Field] = (
    ("event", an_object, "an object"),
    ("event_id", optional(an_event_id), "an event id"),
    ("team_id", optional(an_id), ID),
)
MESSAGE: Sequence[Field] = (
    ("user", optional(an_id), ID),
    ("channel", optional(an_id), ID),
    ("team", optional(an_id), ID),
    ("text", optional(text_up_to(MAX_TEXT)), TEXT),
    ("subtype", optional(SOME_TEXT), "text"),
    ("channel_type", optional(SOME_TEXT), "text"),
    ("thread_ts", optional(SOME_TEXT), "a message timestamp"),
    ("files", optional(a_list), "a list"),
)
BLOCK_ACTIONS: Sequence[Field] = (
    ("user", an_object, "an object"),
    ("team", optional(an_object), "an object"),
    ("channel", optional(an_object), "an object"),
    ("container", optional(an_object), "an object"),
    ("response_url", a_url, "an http(s) URL"),
)
IN_A_VIEW: Sequence[Field] = (*BLOCK_ACTIONS[:-1], ("response_url", optional(a_url), "an http(s) URL"))
CLICK_PARTS: Mapping[str, Sequence[Field]] = {
    "user": (("id", an_id, ID), ("team_id", optional(an_id), ID)),
    "team": (("id", optional(an_id), ID),),
    "channel": (("id", optional(an_id), ID),),
    "container": (("channel_id", optional(an_id), ID), ("is_ephemeral", optional(a_flag), "true or false")),
}
ANSWER = text_up_to(MAX_TEXT)
OUR_BUTTON: Sequence[Field] = (("value", text_up_to(MAX_VALUE), f"text of at most {MAX_VALUE:,} characters"),)


def _problem(payload: dict[str, Any], fields: Sequence[Field], where: str = "") -> str | None:
    for name, test, must_be in fields:
        if not test(payload.get(name)):
            return f"`{where}{name}` must be {must_be}"
    return None


def screen(body: dict[str, Any]) -> Screened:
    """What to do with a signed payload, by its kind: the kinds we act on must have Slack's shapes, the
    others are acknowledged and left alone."""
    if _deeper_than(body, MAX_DEPTH):
        return reject("the payload is nested too deeply")
    screened = _by_kind(body)
    if screened.verdict != "dispatch":
        return screened
    problem = _envelope_problem(body)
    return reject(problem) if problem else DISPATCH


def _by_kind(body: dict[str, Any]) -> Screened:
    if "command" in body:  # as bolt tells a slash command
        return _slash_command(body)
    kind = body.get("type")
    if kind == "url_verification":
        return DISPATCH if SOME_TEXT(body.get("challenge")) else reject("`challenge` must be text")
    if kind == "event_callback":
        return _event(body)
    if kind == "block_actions":
        return _block_actions(body)
    if kind == "view_submission":
        return view_submission(body)
    return IGNORE


def _slash_command(body: dict[str, Any]) -> Screened:
    command = body["command"]
    if not SOME_TEXT(command):
        return reject("`command` must be text")
    if command != COMMAND:
        return IGNORE
    problem = _problem(body, SLASH_COMMAND)
    return reject(problem) if problem else DISPATCH


def _event(body: dict[str, Any]) -> Screened:
    problem = _problem(body, EVENT_CALLBACK)
    if problem:
        return reject(problem)
    event = body["event"]
    kind = event.get("type")
    if kind == "app_home_opened":
        return DISPATCH
    if kind in REVOCATIONS:
        return _revocation(event)
    if kind != "message":
        return IGNORE
    problem = _problem(event, MESSAGE, "event.")
    if problem is None and is_person_dm(event) and not an_id(event.get("channel")):
        problem = f"`event.channel` must be {ID}"
    return reject(problem) if problem else DISPATCH


REVOCATIONS = ("app_uninstalled", "tokens_revoked")  # with Add to Slack, the workspace's tokens are forgotten


def _revocation(event: dict[str, Any]) -> Screened:
    """tokens_revoked names the users whose tokens went in `tokens.oauth` and `tokens.bot`, lists of ids."""
    tokens = event.get("tokens")
    if event["type"] == "app_uninstalled" or tokens is None:
        return DISPATCH
    if not isinstance(tokens, dict):
        return reject("`event.tokens` must be an object")
    for name in ("oauth", "bot"):
        ids = tokens.get(name)
        if ids is not None and not (isinstance(ids, list) and all(an_id(each) for each in ids)):
            return reject(f"`event.tokens.{name}` must be a list of Slack ids")
    return DISPATCH


def _block_actions(body: dict[str, Any]) -> Screened:
    actions = body.get("actions")
    if not (isinstance(actions, list) and actions and all(isinstance(action, dict) for action in actions)):
        return reject("`actions` must be a list of objects")
    action_id = actions[0].get("action_id")  # bolt matches a listener on the first action only
    if not SOME_TEXT(action_id):
        return reject("`actions[0].action_id` must be text")
    if not action_id.startswith(BUTTON_ACTION_PREFIX):
        return IGNORE  # a link button, or another app's element
    container = body.get("container")  # a click in a view (the App Home) has no response_url
    shape = IN_A_VIEW if isinstance(container, dict) and container.get("type") == "view" else BLOCK_ACTIONS
    problem = _problem(body, shape) or _problem(actions[0], OUR_BUTTON, "actions[0].")
    for part, fields in CLICK_PARTS.items():
        if problem is None and body.get(part) is not None:
            problem = _problem(body[part], fields, f"{part}.")
    return reject(problem) if problem else DISPATCH


VIEW_SUBMISSION: Sequence[Field] = (
    ("user", an_object, "an object"),
    ("team", optional(an_object), "an object"),
    ("view", an_object, "an object"),
)
OUR_VIEW: Sequence[Field] = (
    ("private_metadata", text_up_to(3000), "text of at most 3,000 characters"),
    ("state", an_object, "an object"),
    ("team_id", optional(an_id), ID),
)


def view_submission(body: dict[str, Any]) -> Screened:
    """A modal sent: ours (callback_id coaching_form) with the user, the metadata and each block's answers
    as Slack shapes them, every answer text a database takes; another app's view is left alone."""
    problem = _problem(body, VIEW_SUBMISSION)
    view = body["view"] if problem is None else {}
    if problem is None and not SOME_TEXT(view.get("callback_id")):
        problem = "`view.callback_id` must be text"
    if problem is None and view["callback_id"] != FORM_CALLBACK:
        return IGNORE
    problem = problem or _problem(view, OUR_VIEW, "view.") or _problem(body["user"], CLICK_PARTS["user"], "user.")
    if problem is None and body.get("team") is not None:
        problem = _problem(body["team"], CLICK_PARTS["team"], "team.")
    if problem is None and not _answers_shaped(view["state"].get("values")):
        problem = "`view.state.values` must hold an object of answers for each block, in text without NUL"
    return reject(problem) if problem else DISPATCH


def _answers_shaped(values: Any) -> bool:
    """{block_id: {action_id: {type, value | selected_date | selected_time | selected_option...}}}, each
    text one a database stores (PostgreSQL takes no NUL character)."""
    if not isinstance(values, dict) or not all(isinstance(block, dict) for block in values.values()):
        return False
    elements = (element for block in values.values() for element in block.values())
    return all(isinstance(element, dict) and _storable(element) for element in elements)


def _storable(element: dict[str, Any]) -> bool:
    selected = element.get("selected_option")
    texts = [element.get(key) for key in ("value", "selected_date", "selected_time")]
    texts.append(selected.get("value") if isinstance(selected, dict) else selected)
    return all(value is None or (ANSWER(value) and "\x00" not in value) for value in texts)


# What bolt itself reads of any payload it dispatches, before any listener (its request context)

ID_OR_OBJECT = ("user", "team", "channel", "enterprise")  # bolt reads each as an id, or an object with an id
NESTED = ("event", "message", "previous_message", "item", "assistant_thread")  # where bolt looks again
LISTS_OF_OBJECTS = ("authorizations", "response_urls")  # bolt takes the first item's fields


def _envelope_problem(body: dict[str, Any]) -> str | None:
    if "event" in body and not isinstance(body["event"], dict):  # bolt reads body.get("event", {}).get(...)
        return "`event` must be an object"
    for where, payload in _read_by_bolt(body):
        for name in ID_OR_OBJECT:
            value = payload.get(name)
            if value is not None and not isinstance(value, str | dict):
                return f"`{where}{name}` must be an id or an object"
        for name in LISTS_OF_OBJECTS:
            items = payload.get(name)
            if items is not None and not (isinstance(items, list) and all(isinstance(item, dict) for item in items)):
                return f"`{where}{name}` must be a list of objects"
    return None


def _read_by_bolt(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The body and the objects bolt's context reads ids from: nested events and messages, the first
    authorization."""
    waiting: list[tuple[str, dict[str, Any]]] = [("", body)]
    while waiting:
        where, payload = waiting.pop()
        yield where, payload
        for name in NESTED:
            if isinstance(payload.get(name), dict):
                waiting.append((f"{where}{name}.", payload[name]))
        authorizations = payload.get("authorizations")
        if isinstance(authorizations, list) and authorizations and isinstance(authorizations[0], dict):
            waiting.append((f"{where}authorizations[0].", authorizations[0]))


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels (without recursing: the depth is the attack)."""
    waiting: list[tuple[Any, int]] = [(value, 1)]
    while waiting:
        item, depth = waiting.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                waiting.append((child, depth + 1))
    return False
