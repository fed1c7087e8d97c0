"""A neutral Form as a Slack modal, and a submitted modal back as FormAnswers: translation only.

The modal carries in its private_metadata what the submission needs to drive the dialog again: the form's
start, each field's `then`, where the person was (their DM with the assistant, or nothing), and the few
things a block or option id cannot hold. Slack keeps private_metadata as it was given, but the submission
is checked by the dialog all the same: a forged one can do no more than the person could type in chat.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.i18n import N_, _
from bot.messages import Form, FormAnswers, FormField

CALLBACK_ID = "coaching_form"
CLOSE = N_("Cancel")
TITLE_LIMIT = 24  # characters of a modal's title, submit and close
LABEL_LIMIT = 2000  # an input block's label and hint
TEXT_LIMIT = 3000  # a plain_text_input's max_length
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
BLOCK_ID_LIMIT = 255
METADATA_LIMIT = 3000
INPUT_LIMIT = 100  # blocks in a modal: the fields past it are asked in chat
OPTIONS_LIMIT = 100  # options in a static_select
RADIO_UP_TO = 5  # a choice of this many options or fewer shows as radio buttons
ERROR_LIMIT = 300  # characters of a reason shown under a field
DM_CHANNEL = re.compile(r"D[A-Z0-9]{1,63}")
DATE, TIME = re.compile(r"\d{4}-\d{2}-\d{2}"), re.compile(r"\d{2}:\d{2}")
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # a NUL or half a surrogate pair: no database stores them
SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z])|(?<=។)\s*(?=\S)")  # English, Khmer (។ ends a sentence)
EMPTY_FORM = N_("Nothing is left to answer here.")
NO_FIELD = "field"  # the block id of the only block when a form has no fields


class FormTooLarge(ValueError):
    """The form's start alone does not fit Slack's private_metadata: it is answered in chat instead."""


def block_id(step: str) -> str:
    """The step itself where Slack takes it as a block id (":" included); otherwise a digest of it, which the
    metadata maps back."""
    if 0 < len(step) <= BLOCK_ID_LIMIT:
        return step
    return "~" + hashlib.sha256(step.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Metadata:
    """What a submitted modal needs besides its answers."""

    start: str
    then: tuple[tuple[str, str], ...] = ()
    dm_channel: str = ""  # the person's DM with the assistant, when the form was opened there
    steps: tuple[tuple[str, str], ...] = ()  # block id -> step, for steps that are not their own block id
    long_values: tuple[tuple[str, tuple[str, ...]], ...] = ()  # block id -> option values past 150 characters

    def encoded(self) -> str:
        data: dict[str, Any] = {"s": self.start, "t": self.then, "c": self.dm_channel}
        if self.steps:
            data["k"] = dict(self.steps)
        if self.long_values:
            data["v"] = dict(self.long_values)
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def read_metadata(text: str) -> Metadata | None:
    """The modal's metadata, or None when it is not what modal_view wrote (a forged or older view)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str) or UNSTORABLE.search(text_in(data)):
        return None
    channel = data.get("c")
    return Metadata(
        start=data["s"],
        then=_pairs(data.get("t")),
        dm_channel=channel if isinstance(channel, str) and DM_CHANNEL.fullmatch(channel) else "",
        steps=tuple((k, v) for k, v in _mapping(data.get("k")).items() if isinstance(v, str)),
        long_values=tuple(
            (k, tuple(v)) for k, v in _mapping(data.get("v")).items() if isinstance(v, list) and _all_text(v)
        ),
    )


def text_in(data: Any) -> str:
    """Every text of a parsed JSON value, keys too, run together (JSON's escapes can spell what Slack
    never sends)."""
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        return "".join(text_in(key) + text_in(value) for key, value in data.items())
    return "".join(text_in(item) for item in data) if isinstance(data, list) else ""


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    return tuple((pair[0], pair[1]) for pair in value if isinstance(pair, list) and len(pair) == 2 and _all_text(pair))


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _all_text(values: list[Any]) -> bool:
    return all(isinstance(value, str) for value in values)


# The modal


def modal_view(form: Form, dm_channel: str = "") -> dict[str, Any]:
    """The view for views.open: one input block a field (its block id the step), Slack's own pickers for
    dates and times, and the metadata the submission needs; its own words (Cancel) in the language being
    written (the form's). Raises FormTooLarge if even the form's start does not fit the metadata."""
    fields = form.fields[:INPUT_LIMIT]
    long_values = {block_id(f.step): _long_values(f) for f in fields if _long_values(f)}
    metadata = _fitting_metadata(form, fields, dm_channel, long_values)
    kept_long = dict(metadata.long_values)
    blocks = [_input(field, index, block_id(field.step) in kept_long) for index, field in enumerate(fields)]
    blocks = [block for block in blocks if block is not None]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain(form.title, TITLE_LIMIT),
        "submit": _plain(_(form.submit), TITLE_LIMIT),  # the default "Send" is marked where it is defined
        "close": _plain(_(CLOSE), TITLE_LIMIT),
        "private_metadata": metadata.encoded(),
        "blocks": blocks or [{"type": "section", "block_id": NO_FIELD, "text": _plain(_(EMPTY_FORM), TEXT_LIMIT)}],
    }


def _fitting_metadata(
    form: Form, fields: tuple[FormField, ...], dm_channel: str, long_values: dict[str, tuple[str, ...]]
) -> Metadata:
    """The full metadata, or, past Slack's 3,000 characters, without the long option values (those options
    are left out: chat offers them), then without the `then` answers (chat asks for another file)."""
    steps = tuple((block_id(f.step), f.step) for f in fields if block_id(f.step) != f.step)
    then = tuple((f.step, f.then) for f in fields if f.then)
    channel = dm_channel if DM_CHANNEL.fullmatch(dm_channel) else ""
    for candidate in (
        Metadata(form.start, then, channel, steps, tuple(long_values.items())),
        Metadata(form.start, then, channel, steps),
        Metadata(form.start, (), channel, steps),
        Metadata(form.start),
    ):
        if len(candidate.encoded()) <= METADATA_LIMIT:
            return candidate
    raise FormTooLarge(f"a form start of {len(form.start)} characters")


def _long_values(field: FormField) -> tuple[str, ...]:
    return tuple(choice.value for choice in field.choices if len(choice.value) > OPTION_VALUE_LIMIT)


def _plain(text: str, limit: int) -> dict[str, Any]:
    shown = " ".join(text.split())[:limit] or "…"
    return {"type": "plain_text", "text": shown}


def _input(field: FormField, index: int, long_values_kept: bool) -> dict[str, Any] | None:
    element = _element(field, index, long_values_kept)
    if element is None:
        return None
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id(field.step),
        "label": _plain(field.label, LABEL_LIMIT),
        "element": element,
        "optional": field.optional,
    }
    if field.hint and field.hint.strip():
        block["hint"] = _plain(field.hint, LABEL_LIMIT)
    return block


def _element(field: FormField, index: int, long_values_kept: bool) -> dict[str, Any] | None:
    """Slack's input for the field's kind; action ids are unique in the view (one element a block)."""
    action_id = f"value{index}"
    initial = field.initial or ""
    if field.kind == "choice" and field.choices:
        return _choice(field, action_id, long_values_kept)
    if field.kind == "date":
        return {
            "type": "datepicker",
            "action_id": action_id,
            **({"initial_date": initial} if DATE.fullmatch(initial) else {}),
        }
    if field.kind == "time":
        return {
            "type": "timepicker",
            "action_id": action_id,
            **({"initial_time": initial} if TIME.fullmatch(initial) else {}),
        }
    if field.kind == "link":
        return {"type": "url_text_input", "action_id": action_id, **({"initial_value": initial} if initial else {})}
    limit = min(max(field.max_length, 1), TEXT_LIMIT)
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id, "max_length": limit}
    if field.kind == "long_text":
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial[:limit]
    return element


def _choice(field: FormField, action_id: str, long_values_kept: bool) -> dict[str, Any] | None:
    """Radio buttons for a few options, a drop-down for more; an option's value is its button's value, or
    its place among the long ones ("#2") when that value is longer than Slack takes."""
    options, initial = [], None
    long_ones = 0
    for choice in field.choices:
        if len(choice.value) > OPTION_VALUE_LIMIT:
            if not long_values_kept:
                continue
            value, long_ones = f"#{long_ones}", long_ones + 1
        else:
            value = choice.value
        option = {"text": _plain(choice.label, OPTION_TEXT_LIMIT), "value": value}
        options.append(option)
        if field.initial is not None and field.initial in (choice.value, choice.label):
            initial = option
    options = options[:OPTIONS_LIMIT]
    if not options:
        return None
    kind = "radio_buttons" if len(options) <= RADIO_UP_TO else "static_select"
    element: dict[str, Any] = {"type": kind, "action_id": action_id, "options": options}
    if initial is not None and initial in options:
        element["initial_option"] = initial
    return element


# The submission


def answers_of(view: dict[str, Any], metadata: Metadata) -> FormAnswers:
    """The submitted modal's answers by step, as Slack's view.state.values holds them: each block's one
    element, read by its type; anything else (a block we never showed, an odd value) answers nothing."""
    steps = dict(metadata.steps)
    long_values = dict(metadata.long_values)
    values = ((view.get("state") or {}).get("values")) or {}
    answers: list[tuple[str, str]] = []
    for block, elements in values.items():
        if not isinstance(elements, dict):
            continue
        element = next(iter(elements.values()), None)
        value = _value(element, long_values.get(block, ())) if isinstance(element, dict) else ""
        answers.append((steps.get(block, block), value))
    return FormAnswers(metadata.start, tuple(answers), metadata.then)


def _value(element: dict[str, Any], long_values: tuple[str, ...]) -> str:
    selected = element.get("selected_option")
    if isinstance(selected, dict):
        value = selected.get("value")
        if isinstance(value, str) and value.startswith("#") and value[1:].isdigit():
            index = int(value[1:])
            return long_values[index] if index < len(long_values) else value
        return value if isinstance(value, str) else ""
    for key in ("selected_date", "selected_time", "value"):
        if isinstance(element.get(key), str):
            return str(element[key])
    return ""


def error_blocks(view: dict[str, Any], field_errors: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Each reason under the block of its step; a reason for the form as a whole (step "") or for a step the
    modal does not show goes under the first field. Empty when the modal has no field to show it on."""
    shown = list(((view.get("state") or {}).get("values")) or {})
    blocks = [block.get("block_id") for block in view.get("blocks") or [] if isinstance(block, dict)]
    inputs = [block for block in blocks if isinstance(block, str) and block in shown] or shown
    if not inputs:
        return {}
    errors: dict[str, str] = {}
    for step, reason in field_errors:
        target = block_id(step) if block_id(step) in inputs else inputs[0]
        errors[target] = " ".join(part for part in (errors.get(target), short_reason(reason)) if part)
    return errors


def short_reason(reason: str) -> str:
    """The reason's first sentence, plain: the rest of a chat answer (press a button, type again) is about
    the chat, and the modal keeps what the person typed."""
    first = SENTENCE_END.split(reason.strip(), maxsplit=1)[0]
    plain = first.replace("*", "").replace("`", "")
    return plain if len(plain) <= ERROR_LIMIT else plain[: ERROR_LIMIT - 1].rstrip() + "…"
