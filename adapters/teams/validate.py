"""The one place that decides whether a POST to /api/messages carries an activity we can take.

botbuilder's deserializer trusts the sender: it keeps a number where a string belongs, turns a dict into
its repr, and botbuilder then fails deep inside a turn. So every field is checked here against the
Bot Framework schema's own attribute maps before the Activity is built, and anything else is refused
with a short reason (HTTP 400), never a crash.
"""

import ipaddress
import json
import math
import re
from typing import Any
from urllib.parse import urlsplit

from botbuilder import schema
from botbuilder.schema import Activity

from adapters.teams.inbound import ACTION_KEY, CHOICE_KEY

# Teams caps a message at about 28 KB, about 100 KB with its html copy and entities; half a megabyte leaves
# room and keeps what a hostile body costs to parse to a few milliseconds.
MAX_BODY_BYTES = 512 * 1024
MAX_DEPTH = 64  # Teams nests a dozen levels at most (a card in an attachment); json.loads recurses
# Teams ids ("29:1JqR...", "a:1hT3...", "19:...@thread.tacv2;messageid=...") are printable ASCII of about
# 100 characters; an account's id column holds 200, and the conversation's id travels in an HTTP header
# (x-ms-conversation-id), where http.client refuses anything but Latin-1 and a line break would split it.
MAX_ID_CHARS = 200
TEAMS_ID = re.compile(rf"[\x21-\x7e]{{1,{MAX_ID_CHARS}}}")
MAX_URL_CHARS = 2048
TOO_LARGE = f"body too large: an activity is at most {MAX_BODY_BYTES // 1024} KB"
SCALARS: dict[str, type] = {"str": str, "bool": bool, "int": int, "iso-8601": str}
SCALAR_NAMES = {"str": "a string", "bool": "true or false", "int": "an integer", "iso-8601": "a date string"}
# A Bot Connector address: scheme, host[:port] and a path of plain URL characters; no user, query, fragment
# or brace (msrest formats the base URL with str.format, so a brace in it would raise).
SERVICE_URL = re.compile(
    r"(?P<scheme>https?)://(?P<netloc>[A-Za-z0-9.\-:\[\]]+)(?P<path>/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)?"
)
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"{LABEL}(?:\.{LABEL})*\.?")


class InvalidActivity(ValueError):
    """Why the body is not an activity we take; the reason is safe to answer with (it quotes no input)."""


def parse_activity(body: bytes, *, allow_loopback_http: bool) -> Activity:
    """The activity in `body`, checked; raises InvalidActivity.

    `allow_loopback_http`: anonymous mode, where the Bot Framework Emulator listens on http://localhost.
    """
    document = _json_of(body)
    if not isinstance(document, dict):
        raise InvalidActivity("not a Bot Framework activity: the body is not a JSON object")
    _check_values(document)
    _check_fields(document, "Activity", "activity")
    _check_routable(document)
    _check_service_url(document["serviceUrl"], allow_loopback_http=allow_loopback_http)
    _check_button_value(document.get("value"))
    try:
        return Activity().deserialize(document)
    except Exception:  # msrest's DeserializationError family; isodate's and datetime's own errors for a date
        raise InvalidActivity("not a Bot Framework activity: a date or field does not parse") from None


def _json_of(body: bytes) -> Any:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidActivity(TOO_LARGE)
    try:
        text = body.decode("utf-8")  # strictly: aiohttp's request.text() would guess, or replace bytes
    except UnicodeDecodeError:
        raise InvalidActivity("body is not UTF-8") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidActivity(f"malformed JSON: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # JSONDecodeError, an integer past Python's 4,300 digits, NaN and Infinity
        raise InvalidActivity("malformed JSON") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON; PostgreSQL would refuse them in a stored address


def _check_values(document: Any) -> None:
    """Depth, and values every store and encoder takes: no NUL, no lone surrogate, no infinite number."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidActivity(f"malformed JSON: nested deeper than {MAX_DEPTH} levels")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
        elif isinstance(value, str) and not _storable(value):
            raise InvalidActivity("a string holds a NUL character or half a surrogate pair")
        elif isinstance(value, float) and math.isinf(value):  # 1e999 parses to infinity
            raise InvalidActivity("a number is too large")


def _storable(text: str) -> bool:
    """PostgreSQL stores no NUL in text or JSON, and a lone surrogate has no UTF-8 form at all."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_fields(value: Any, kind: str, where: str) -> None:
    """`value` has the JSON type the Bot Framework schema names `kind` (msrest's notation); null is absent."""
    if value is None or kind == "object":
        return
    if kind.startswith("[") or kind.startswith("{"):
        container = list if kind.startswith("[") else dict
        if not isinstance(value, container):
            raise InvalidActivity(f"{where} is not {'a list' if container is list else 'an object'}")
        for item in value if container is list else value.values():
            if item is None:  # msrest keeps it, and botbuilder reads every item's fields
                raise InvalidActivity(f"{where} holds a null")
            _check_fields(item, kind[1:-1], where)
        return
    if kind in SCALARS:
        if not isinstance(value, SCALARS[kind]) or (kind == "int" and isinstance(value, bool)):
            raise InvalidActivity(f"{where} is not {SCALAR_NAMES[kind]}")
        return
    model = getattr(schema, kind, None)
    if model is None:
        return
    if not isinstance(value, dict):
        raise InvalidActivity(f"{where} is not an object")
    for attribute in model._attribute_map.values():
        _check_fields(value.get(attribute["key"]), attribute["type"], f"{where}.{attribute['key']}")


def _check_routable(document: dict[str, Any]) -> None:
    """Who spoke, to whom, where, and where to answer: every turn needs them."""
    if not document.get("type"):
        raise InvalidActivity("not a Bot Framework activity: no type")
    for field in ("serviceUrl", "channelId"):
        if not document.get(field):
            raise InvalidActivity(f"activity lacks {field}")
    accounts = [(name, document.get(name)) for name in ("conversation", "from", "recipient")]
    for group in ("membersAdded", "membersRemoved"):
        accounts += [(f"{group}[]", member) for member in document.get(group) or []]
    ids = [(f"{where}.id", (account or {}).get("id")) for where, account in accounts]
    for where, account_id in ids:
        if not account_id:
            raise InvalidActivity(f"activity lacks {where}")
    for where, activity_id in [*ids, ("id", document.get("id")), ("replyToId", document.get("replyToId"))]:
        if activity_id and not TEAMS_ID.fullmatch(activity_id):
            raise InvalidActivity(f"{where} is no Teams id (printable ASCII, at most {MAX_ID_CHARS} characters)")


def _check_service_url(url: str, *, allow_loopback_http: bool) -> None:
    """An https URL, which msrest and aiohttp can call; http only on this machine, for the Emulator."""
    match = SERVICE_URL.fullmatch(url) if len(url) <= MAX_URL_CHARS else None
    if match is None:
        raise InvalidActivity("serviceUrl is not an https URL")
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname or "", parts.port  # .port raises for a port that is no number or too big
    except ValueError:
        raise InvalidActivity("serviceUrl is not an https URL") from None
    if not (_ip_address(host) or HOST_NAME.fullmatch(host)) or parts.netloc.endswith(":"):
        raise InvalidActivity("serviceUrl is not an https URL")
    if match["scheme"] == "http" and not (allow_loopback_http and _is_loopback(host)):
        raise InvalidActivity("serviceUrl is not an https URL (http only for the Emulator on this machine)")


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    address = _ip_address(host)
    return host.lower() == "localhost" or (address is not None and address.is_loopback)


def _check_button_value(value: Any) -> None:
    """A click carries the string our card put in it; a value that is no object is not a click."""
    if not isinstance(value, dict):
        return
    for key in (ACTION_KEY, CHOICE_KEY):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise InvalidActivity(f"a button's {key} is not a string")
