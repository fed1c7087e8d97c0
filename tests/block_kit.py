"""Slack's documented Block Kit limits as a table, and `problems(kind, payload)` that checks a message or a
view against it. Each problem names its rule, so a failing test says which limit was passed and where.

kind is "message" (a chat.postMessage payload: {"text": ..., "blocks": [...]}), "modal" or "home" (a
view object). The numbers come from Slack's reference pages, cited above each group of rows; slack_sdk's
own model validators (slack_sdk/models/blocks) carry the same numbers.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Kind = str  # "message", "modal" or "home"
KINDS = ("message", "modal", "home")
TEXT_TYPES = ("plain_text", "mrkdwn")


@dataclass(frozen=True)
class Node:
    """One object of the payload: what it is (a block or element type, "option", "confirm", or the surface
    itself), where it is ("blocks[2].elements[0]") and its JSON."""

    where: str
    location: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Length:
    """At most `limit` characters in `field` of every `where` (a text object counts its own text)."""

    where: str
    field: str
    limit: int


@dataclass(frozen=True)
class Count:
    """At most `limit` items in the list `field` of every `where`."""

    where: str
    field: str
    limit: int


@dataclass(frozen=True)
class Between:
    """A number `field` of every `where`, when present, from `low` to `high` inclusive."""

    where: str
    field: str
    low: int
    high: int


@dataclass(frozen=True)
class TextType:
    """`field` of every `where`, when present, is a text object of one of `types`."""

    where: str
    field: str
    types: tuple[str, ...]


Rule = Length | Count | Between | TextType

# The surfaces: https://docs.slack.dev/reference/block-kit/blocks ("up to 50 blocks in each message, and
# 100 blocks in modals or Home tabs"); chat.postMessage: https://docs.slack.dev/reference/methods/chat.postMessage
# (text is the notification fallback when blocks are sent; Slack truncates text past 40,000 characters).
# Views: https://docs.slack.dev/reference/views/modal-views and .../views/home-tab-views
SURFACE_RULES: tuple[Rule, ...] = (
    Count("message", "blocks", 50),
    Length("message", "text", 40000),
    Count("modal", "blocks", 100),
    Count("home", "blocks", 100),
    Length("modal", "title", 24),
    Length("modal", "submit", 24),
    Length("modal", "close", 24),
    TextType("modal", "title", ("plain_text",)),
    TextType("modal", "submit", ("plain_text",)),
    TextType("modal", "close", ("plain_text",)),
    Length("modal", "private_metadata", 3000),
    Length("home", "private_metadata", 3000),
    Length("modal", "callback_id", 255),
    Length("home", "callback_id", 255),
)

# Blocks: https://docs.slack.dev/reference/block-kit/blocks/section-block, .../header-block,
# .../actions-block, .../context-block, .../input-block, .../image-block; block_id: at most 255 on every block.
BLOCK_RULES: tuple[Rule, ...] = (
    Length("section", "text", 3000),
    TextType("section", "text", TEXT_TYPES),
    Count("section", "fields", 10),
    Length("section.field", "text", 2000),
    Length("header", "text", 150),
    TextType("header", "text", ("plain_text",)),
    Count("actions", "elements", 25),
    Count("context", "elements", 10),
    Length("input", "label", 2000),
    Length("input", "hint", 2000),
    TextType("input", "label", ("plain_text",)),
    TextType("input", "hint", ("plain_text",)),
    Length("image", "alt_text", 2000),
    Length("image", "image_url", 3000),
    *(Length(block, "block_id", 255) for block in ("section", "header", "actions", "context", "input", "image")),
    *(Length(block, "block_id", 255) for block in ("divider", "file", "video", "rich_text", "markdown")),
)

# Elements: https://docs.slack.dev/reference/block-kit/block-elements/button-element,
# .../select-menu-element (static_select: 100 options or option groups), .../plain-text-input-element
# (max_length 1 to 3000, min_length 0 to 3000), .../date-picker-element, .../time-picker-element;
# placeholders at most 150 (plain_text); action_id at most 255 on every interactive element.
INTERACTIVE = ("button", "static_select", "plain_text_input", "datepicker", "timepicker", "overflow", "checkboxes")
ELEMENT_RULES: tuple[Rule, ...] = (
    Length("button", "text", 75),
    TextType("button", "text", ("plain_text",)),
    Length("button", "value", 2000),
    Length("button", "url", 3000),
    Count("static_select", "options", 100),
    Count("static_select", "option_groups", 100),
    Between("plain_text_input", "max_length", 1, 3000),
    Between("plain_text_input", "min_length", 0, 3000),
    *(Length(element, "placeholder", 150) for element in INTERACTIVE),
    *(TextType(element, "placeholder", ("plain_text",)) for element in INTERACTIVE),
    *(Length(element, "action_id", 255) for element in INTERACTIVE),
)

# Composition objects: https://docs.slack.dev/reference/block-kit/composition-objects/option-object (text 75,
# value 150, description 75), .../option-group-object (label 75, 100 options),
# .../confirmation-dialog-object (title 100, text 300, confirm 30, deny 30).
OBJECT_RULES: tuple[Rule, ...] = (
    Length("option", "text", 75),
    Length("option", "value", 150),
    Length("option", "description", 75),
    Length("option_group", "label", 75),
    Count("option_group", "options", 100),
    Length("confirm", "title", 100),
    Length("confirm", "text", 300),
    Length("confirm", "confirm", 30),
    Length("confirm", "deny", 30),
)

TABLE: tuple[Rule, ...] = (*SURFACE_RULES, *BLOCK_RULES, *ELEMENT_RULES, *OBJECT_RULES)

# What may appear where: https://docs.slack.dev/reference/block-kit/blocks (block types) and each block's page.
BLOCK_TYPES = frozenset(
    {"section", "divider", "header", "actions", "context", "input", "image", "file", "video", "rich_text", "markdown"}
)
ACTIONS_ELEMENTS = frozenset(
    {
        "button",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "overflow",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
        "rich_text_input",
    }
)
CONTEXT_ELEMENTS = frozenset({"image", "plain_text", "mrkdwn"})
BUTTON_STYLES = ("primary", "danger")  # button-element: style is "primary" or "danger", or left out


def problems(kind: Kind, payload: dict[str, Any]) -> list[str]:
    """Every documented limit `payload` passes, as "rule: what, where" lines; empty when it is valid."""
    if kind not in KINDS:
        raise ValueError(f"kind is one of {KINDS}, not {kind!r}")
    nodes = list(_nodes(kind, payload))
    found = [problem for rule in TABLE for node in nodes if node.where == rule.where for problem in _check(rule, node)]
    for structural in STRUCTURAL:
        found.extend(structural(kind, payload, nodes))
    return found


def _check(rule: Rule, node: Node) -> Iterator[str]:
    value = node.data.get(rule.field)
    if value is None:
        return
    name = f"{rule.where} {rule.field}"
    if isinstance(rule, Length):
        length = len(value.get("text", "")) if isinstance(value, dict) else len(str(value))
        if length > rule.limit:
            yield f"{name} <= {rule.limit}: {length} characters at {node.location}"
    elif isinstance(rule, Count):
        if not isinstance(value, list):
            yield f"{name} is a list: {type(value).__name__} at {node.location}"
        elif len(value) > rule.limit:
            yield f"{name} <= {rule.limit}: {len(value)} at {node.location}"
    elif isinstance(rule, Between):
        if not isinstance(value, int) or not rule.low <= value <= rule.high:
            yield f"{name} from {rule.low} to {rule.high}: {value!r} at {node.location}"
    elif not isinstance(value, dict) or value.get("type") not in rule.types:
        shown = value.get("type") if isinstance(value, dict) else type(value).__name__
        yield f"{name} is {' or '.join(rule.types)}: {shown} at {node.location}"


def _nodes(kind: Kind, payload: dict[str, Any]) -> Iterator[Node]:
    """The surface, then every block, element, option and confirmation dialog in it."""
    yield Node(kind, kind, payload)
    for index, block in enumerate(payload.get("blocks") or []):
        yield from _walk(block, f"blocks[{index}]")


def _walk(data: Any, location: str, where: str | None = None) -> Iterator[Node]:
    if not isinstance(data, dict):
        return
    kind = where or str(data.get("type", "?"))
    yield Node(kind, location, data)
    for index, field in enumerate(data.get("fields") or []):
        yield Node("section.field", f"{location}.fields[{index}]", field if isinstance(field, dict) else {})
    for key in ("accessory", "element"):
        yield from _walk(data.get(key), f"{location}.{key}")
    for index, element in enumerate(data.get("elements") or []):
        yield from _walk(element, f"{location}.elements[{index}]")
    yield from _walk(data.get("confirm"), f"{location}.confirm", "confirm")
    for index, option in enumerate(data.get("options") or []):
        yield from _walk(option, f"{location}.options[{index}]", "option")
    for index, group in enumerate(data.get("option_groups") or []):
        yield from _walk(group, f"{location}.option_groups[{index}]", "option_group")


# Rules the table cannot say: each takes (kind, payload, nodes) and returns its problems.
Structural = Callable[[Kind, dict[str, Any], list[Node]], list[str]]


def _fallback_text(kind: Kind, payload: dict[str, Any], nodes: list[Node]) -> list[str]:
    """chat.postMessage: with blocks, `text` is what notifications and screen readers show."""
    if kind == "message" and not str(payload.get("text") or "").strip():
        return ["message text (fallback) present: missing or empty"]
    return []


def _blocks_present(kind: Kind, payload: dict[str, Any], nodes: list[Node]) -> list[str]:
    blocks = payload.get("blocks")
    if kind != "message" and not isinstance(blocks, list):
        return [f"{kind} blocks present: {type(blocks).__name__}"]
    return []


def _view_fields(kind: Kind, payload: dict[str, Any], nodes: list[Node]) -> list[str]:
    """A view's type says its surface; a modal has a title, and a submit button when it has input blocks."""
    found = (
        [] if kind == "message" or payload.get("type") == kind else [f"{kind} type is {kind}: {payload.get('type')}"]
    )
    if kind == "modal":
        if not isinstance(payload.get("title"), dict):
            found.append("modal title present: missing")
        has_input = any(node.where == "input" and node.location.count(".") == 0 for node in nodes)
        if has_input and not isinstance(payload.get("submit"), dict):
            found.append("modal submit present with input blocks: missing")
    return found


def _known_types(kind: Kind, payload: dict[str, Any], nodes: list[Node]) -> list[str]:
    found = []
    for index, block in enumerate(payload.get("blocks") or []):
        block_type = block.get("type") if isinstance(block, dict) else None
        if block_type not in BLOCK_TYPES:
            found.append(f"block type known: {block_type!r} at blocks[{index}]")
        elif block_type == "actions":
            found.extend(_unknown_elements(block, index, ACTIONS_ELEMENTS))
        elif block_type == "context":
            found.extend(_unknown_elements(block, index, CONTEXT_ELEMENTS))
    return found


def _unknown_elements(block: dict[str, Any], index: int, allowed: frozenset[str]) -> list[str]:
    return [
        f"{block['type']} element type known: {element.get('type')!r} at blocks[{index}].elements[{number}]"
        for number, element in enumerate(block.get("elements") or [])
        if not isinstance(element, dict) or element.get("type") not in allowed
    ]


def _unique_ids(kind: Kind, payload: dict[str, Any], nodes: list[Node]) -> list[str]:
    """action_id unique within the message or view (the button page: unique among the app's action_ids, so
    a click is told apart), and block_id unique within it (each block page: unique for each message)."""
    found = []
    for key in ("action_id", "block_id"):
        seen: dict[str, str] = {}
        for node in nodes:
            value = node.data.get(key) if node.where != kind else None
            if value is None:
                continue
            if value in seen:
                found.append(f"{key} unique: {value!r} at {seen[value]} and {node.location}")
            seen.setdefault(value, node.location)
    return found


def _text_objects(kind: Kind, payload: dict[str, Any], nodes: list[Node]) -> list[str]:
    """A text object is plain_text or mrkdwn with at least one character (slack_sdk's TextObject checks the
    same); `emoji` belongs to plain_text only (text-object page)."""
    found = [
        f"text object not empty: at {node.location}"
        for node in nodes
        if node.where in (*TEXT_TYPES, "section.field") and not str(node.data.get("text") or "")
    ]
    for node in nodes:
        for key, value in node.data.items():
            if not (isinstance(value, dict) and value.get("type") in TEXT_TYPES):
                continue
            if not str(value.get("text") or ""):
                found.append(f"text object not empty: {key} at {node.location}")
            if value["type"] == "mrkdwn" and "emoji" in value:
                found.append(f"mrkdwn text without emoji: {key} at {node.location}")
    return found


def _button_styles(kind: Kind, payload: dict[str, Any], nodes: list[Node]) -> list[str]:
    return [
        f"button style is primary or danger: {node.data['style']!r} at {node.location}"
        for node in nodes
        if node.where == "button" and "style" in node.data and node.data["style"] not in BUTTON_STYLES
    ]


STRUCTURAL: tuple[Structural, ...] = (
    _fallback_text,
    _blocks_present,
    _view_fields,
    _known_types,
    _unique_ids,
    _text_objects,
    _button_styles,
)
