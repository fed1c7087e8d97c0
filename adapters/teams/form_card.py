"""A neutral Form as the Adaptive Card of a Teams dialog (task module), and the form read back from a
task/submit.

A task/submit carries the Action.Submit's data with the inputs merged in, never the card, so the submit
action keeps a copy of the form (its start, fields and their `then`), and the inputs are named by the
field's position ("coaching_field_3"): ids that are unique and safe whatever a step is called. The copy
comes back from the client and is read as untrusted: a wrong shape makes the whole form unreadable, never
an error. A forged copy can do no more than typing: the dialog checks every answer the form gives it.
"""

import re
from typing import Any

from bot.i18n import N_, _
from bot.messages import Button, FieldKind, Form, FormField

FORM_KEY = "coaching_form"  # in the submit action's data: the form shown (kept_form)
INPUT_ID = "coaching_field_{index}"
CARD_VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
KINDS: tuple[FieldKind, ...] = ("text", "long_text", "choice", "date", "time", "link")
MAX_FIELDS = 100  # as bot/forms.py's STEP_LIMIT: a form never has more answers than a dialog takes
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # Input.Date's value, YYYY-MM-DD
TIME = re.compile(r"\d{2}:\d{2}")  # Input.Time's value, HH:MM
INPUT_TYPES = {"choice": "Input.ChoiceSet", "date": "Input.Date", "time": "Input.Time"}  # else Input.Text
# The card's own words, in the language being written where the card is made.
NEEDED = {
    "choice": N_("Please choose one."),
    "date": N_("Please pick a day."),
    "time": N_("Please pick a time."),
    "link": N_("Please paste a link that starts with https://."),
}
NEEDED_TEXT = N_("Please answer this question.")
CHOOSE = N_("Choose one")
LINK_PLACEHOLDER = "https://"


def input_id(index: int) -> str:
    return INPUT_ID.format(index=index)


# The card


def form_card(form: Form, values: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The form as a card: one input a field, its hint and (after a refusal) its reason under it, the values
    given kept; a reason for no field (step "") at the top."""
    values, errors = values or {}, errors or {}
    steps = {field.step for field in form.fields}
    body = [_reason(reason) for step, reason in errors.items() if step not in steps]
    for index, field in enumerate(form.fields):
        body.append(_input(field, input_id(index), values.get(field.step, field.initial)))
        if field.hint:
            body.append({"type": "TextBlock", "text": field.hint, "size": "small", "isSubtle": True, "wrap": True})
        if field.step in errors:
            body.append(_reason(errors[field.step]))
    # The default "Send" is marked where it is defined (bot/messages.py); a dialog's own is already translated.
    submit = {"type": "Action.Submit", "title": _(form.submit), "data": {FORM_KEY: kept_form(form)}}
    return {"type": "AdaptiveCard", "$schema": SCHEMA, "version": CARD_VERSION, "body": body, "actions": [submit]}


def _reason(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "color": "attention", "wrap": True}


def _input(field: FormField, element_id: str, value: str | None) -> dict[str, Any]:
    made: dict[str, Any] = {
        "type": INPUT_TYPES.get(field.kind, "Input.Text"),
        "id": element_id,
        "label": field.label,
        "isRequired": not field.optional,
        "errorMessage": _(NEEDED.get(field.kind, NEEDED_TEXT)),
    }
    if field.kind == "choice":
        made |= {"style": "compact", "placeholder": _(CHOOSE), "wrap": True}
        made["choices"] = [{"title": choice.label, "value": choice.value} for choice in field.choices]
        value = value if value in {choice.value for choice in field.choices} else None
    elif field.kind == "date":
        value = value if value is not None and DATE.fullmatch(value) else None
    elif field.kind == "time":
        value = value if value is not None and TIME.fullmatch(value) else None
    else:
        made["maxLength"] = field.max_length
        if field.kind == "long_text":
            made["isMultiline"] = True
        if field.kind == "link":
            made |= {"style": "url", "placeholder": LINK_PLACEHOLDER}
    if value:
        made["value"] = value
    return made


# The form kept in the submit action's data, and read back


def kept_form(form: Form) -> dict[str, Any]:
    return {"title": form.title, "start": form.start, "submit": form.submit, "fields": [_kept(f) for f in form.fields]}


def _kept(field: FormField) -> dict[str, Any]:
    return {
        "step": field.step,
        "label": field.label,
        "kind": field.kind,
        "choices": [[choice.label, choice.value] for choice in field.choices],
        "optional": field.optional,
        "hint": field.hint,
        "max_length": field.max_length,
        "then": field.then,
    }


def form_in(data: Any) -> Form | None:
    """The form a submit's data keeps; None when there is none or it is not of the shape kept_form makes."""
    kept = data.get(FORM_KEY) if isinstance(data, dict) else None
    if not isinstance(kept, dict):
        return None
    title, start, submit, fields = (kept.get(key) for key in ("title", "start", "submit", "fields"))
    if not (_texts(title, start, submit) and isinstance(fields, list) and 0 < len(fields) <= MAX_FIELDS):
        return None
    parsed = [_field(field) for field in fields]
    if any(field is None for field in parsed):
        return None
    read = tuple(field for field in parsed if field is not None)
    if len({field.step for field in read}) != len(read):
        return None
    return Form(title=title, start=start, fields=read, submit=submit)


def _texts(*values: Any) -> bool:
    return all(isinstance(value, str) and value for value in values)


def _optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _field(kept: Any) -> FormField | None:
    if not isinstance(kept, dict):
        return None
    step, label, kind, choices = kept.get("step"), kept.get("label"), kept.get("kind"), kept.get("choices")
    optional, hint, max_length, then = kept.get("optional"), kept.get("hint"), kept.get("max_length"), kept.get("then")
    if not (_texts(step, label) and kind in KINDS and isinstance(optional, bool)):
        return None
    if not (_optional_text(hint) and _optional_text(then) and isinstance(max_length, int) and max_length > 0):
        return None
    buttons = _choices(choices)
    if buttons is None or (kind == "choice") != bool(buttons):
        return None
    return FormField(step, label, kind, choices=buttons, optional=optional, hint=hint, max_length=max_length, then=then)


def _choices(kept: Any) -> tuple[Button, ...] | None:
    if not isinstance(kept, list) or len(kept) > MAX_FIELDS:
        return None
    pairs = [choice for choice in kept if isinstance(choice, list) and len(choice) == 2 and _texts(*choice)]
    return tuple(Button(label, value) for label, value in pairs) if len(pairs) == len(kept) else None


def answers_in(form: Form, data: dict[str, Any]) -> dict[str, str] | None:
    """Each field's answer by step ("" when left empty); None when an input sent something not a string."""
    answers: dict[str, str] = {}
    for index, field in enumerate(form.fields):
        given = data.get(input_id(index), "")
        if given is None:
            given = ""
        if not isinstance(given, str):
            return None
        answers[field.step] = given
    return answers
