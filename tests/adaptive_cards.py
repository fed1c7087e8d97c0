"""`card_problems(card)`: an Adaptive Card checked against the official Adaptive Cards 1.5 JSON schema
(tests/schemas/adaptive-card-1.5.json, see its README) and against the rules that schema cannot say.

Each problem starts with its rule ("schema", "version", "element type", "execute verb", "input ids"), so a
test can tell a card of another version from a broken one.
"""

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "adaptive-card-1.5.json"
VERSION = "1.5"
VERSION_RULE = "version"
CHILDREN = ("body", "items", "columns", "cells", "rows", "inlines", "actions")  # where elements nest


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> Draft6Validator:
    return Draft6Validator(schema())  # the file says draft-06 in its $schema


@cache
def known_types() -> frozenset[str]:
    """Every element and action type the 1.5 schema defines (its ImplementationsOf lists)."""
    definitions = schema()["definitions"]
    lists = ("ImplementationsOf.Element", "ImplementationsOf.Action", "ImplementationsOf.Item")
    refs = (entry["allOf"][0]["$ref"] for name in lists for entry in definitions[name]["anyOf"])
    return frozenset(ref.rsplit("/", 1)[-1] for ref in refs)


def card_problems(card: dict[str, Any]) -> list[str]:
    """Every way `card` is not a valid Adaptive Card 1.5 for us; empty when it is."""
    errors = (leaf for error in _validator().iter_errors(card) for leaf in _leaves(error))
    found = [f"schema: {_describe(error)}" for error in errors]
    if card.get("version") != VERSION:
        found.append(f"{VERSION_RULE}: the card says {card.get('version')!r}, the schema is {VERSION!r}")
    found.extend(_unknown_types(card))
    found.extend(_execute_verbs(card))
    found.extend(_duplicate_input_ids(card))
    return found


def only_version(problems: list[str]) -> bool:
    """True when every problem is the version rule: a valid card that says another version."""
    return bool(problems) and all(problem.startswith(f"{VERSION_RULE}:") for problem in problems)


def _describe(error: ValidationError) -> str:
    place = "/".join(str(part) for part in error.absolute_path) or "(card)"
    if error.validator == "anyOf" and isinstance(error.instance, dict):
        return f"no 1.5 definition fits this {error.instance.get('type')!r} at {place}"
    return f"{error.message[:300]} at {place}"


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The most specific reasons: under an anyOf of element types (the schema lists elements and actions
    so), the reasons of the branch for the element's own type; the anyOf itself when no branch is."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    own_type = [errors for errors in branches.values() if not any(_wrong_type(sub) for sub in errors)]
    if not own_type:
        return [error]
    if len(own_type) > 1:
        return [best_match(error.context) or error]
    return [leaf for sub in own_type[0] for leaf in _leaves(sub)]


def _wrong_type(error: ValidationError) -> bool:
    """The branch is for another element type (its `type` enum refused the value)."""
    return error.validator == "enum" and list(error.relative_path)[-1:] == ["type"]


def _objects(data: Any, location: str = "card") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every element and action in the card, with where it is (selectAction, inline actions and show-cards
    included)."""
    if not isinstance(data, dict):
        return
    yield location, data
    for key in CHILDREN:
        for index, child in enumerate(data.get(key) or [] if isinstance(data.get(key), list) else []):
            yield from _objects(child, f"{location}.{key}[{index}]")
    for key in ("selectAction", "inlineAction", "card"):
        yield from _objects(data.get(key), f"{location}.{key}")
    refresh = data.get("refresh")
    if isinstance(refresh, dict):
        yield from _objects(refresh.get("action"), f"{location}.refresh.action")


def _unknown_types(card: dict[str, Any]) -> list[str]:
    """A type the 1.5 schema does not define (Teams drops or refuses it): said plainly, by name."""
    nested = {"AdaptiveCard", "Column", "TableRow", "TableCell", "TextRun", "Fact", "Input.Choice", "Refresh"}
    return [
        f"element type: {item.get('type')!r} is not an Adaptive Cards 1.5 type at {where}"
        for where, item in _objects(card)
        if where != "card" and item.get("type") not in known_types() | nested
    ]


def _execute_verbs(card: dict[str, Any]) -> list[str]:
    """Universal Actions route an Action.Execute by its verb: one without a verb reaches no handler."""
    return [
        f"execute verb: Action.Execute without a verb at {where}"
        for where, item in _objects(card)
        if item.get("type") == "Action.Execute" and not str(item.get("verb") or "").strip()
    ]


def _duplicate_input_ids(card: dict[str, Any]) -> list[str]:
    """Inputs are sent back by id: two inputs with one id lose an answer."""
    seen: dict[str, str] = {}
    found = []
    for where, item in _objects(card):
        if not str(item.get("type", "")).startswith("Input.") or "id" not in item:
            continue
        if item["id"] in seen:
            found.append(f"input ids: {item['id']!r} at {seen[item['id']]} and {where}")
        seen.setdefault(item["id"], where)
    return found
