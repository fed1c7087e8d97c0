"""Replies as Teams messages: markdown text, or an Adaptive Card 1.5 with Universal Actions (Action.Execute
buttons, answered by adapters/teams/card_actions.py with the card replaced); a picture goes with them as an
inline image attachment.

A card is put together from parts (text blocks, buttons or a drop-down, a refresh) so that a new kind of
part is one more function."""

import base64
import re
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment, AttachmentLayoutTypes

from adapters.teams.card_state import CARD_KEY, Asked, ShownCard, kept
from adapters.teams.file_consent import attach_offer
from adapters.teams.form_card import FORM_KEY, kept_form
from adapters.teams.inbound import ACTION_KEY, CHOICE_KEY
from bot.i18n import N_, _, speaking
from bot.messages import Button, Form, Image, Reply, written_in

MAX_CARD_BUTTONS = 6  # beyond this Teams hides actions; a drop-down list fits any number
VERSION = "1.5"  # Universal Actions (Action.Execute, refresh) need 1.5
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERB = "coaching"  # a button's Action.Execute
TASK_FETCH = "task/fetch"  # an Action.Submit's msteams type: Teams asks the bot for a dialog
REFRESH_VERB = "refresh"  # the card asking, as it is shown, how it should look now
SEND = N_("Send")
OPEN_FORM = N_("Open the form")
CHOSEN = N_("✓ {label}")
ANSWERED = N_("Answered")  # what a card says once its question is closed, when the choice is not known
BOLD = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")


def markdown(text: str) -> str:
    """Our text marks bold Slack-style (*bold*); Teams markdown wants **bold**."""
    return BOLD.sub(r"**\1**", text)


def _text_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.title:
        blocks.append({"type": "TextBlock", "text": reply.title, "weight": "Bolder", "size": "Medium", "wrap": True})
    if reply.text:
        blocks.append({"type": "TextBlock", "text": markdown(reply.text), "wrap": True})
    if reply.lines:
        blocks.append(
            {"type": "TextBlock", "text": "\n".join(f"- {markdown(line)}" for line in reply.lines), "wrap": True}
        )
    return blocks


def _execute(title: str, data: dict[str, Any], verb: str = VERB) -> dict[str, Any]:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data}


def _opens_dialog(button: Button) -> dict[str, Any]:
    """A button whose click answers with a form: Action.Execute cannot open a dialog, an Action.Submit with
    msteams task/fetch can (adapters/teams/task_modules.py answers it with the form as a dialog)."""
    return {
        "type": "Action.Submit",
        "title": button.label,
        "data": {"msteams": {"type": TASK_FETCH}, ACTION_KEY: button.value},
    }


def _opens_form(form: Form) -> dict[str, Any]:
    """A form that reached the chat (a click Teams sent as a message): its dialog opens from the copy kept."""
    return {
        "type": "Action.Submit",
        "title": _(OPEN_FORM),
        "data": {"msteams": {"type": TASK_FETCH}, FORM_KEY: kept_form(form)},
    }


def _button_actions(shown: ShownCard) -> list[dict[str, Any]]:
    kept_data = shown.data()
    return [
        _opens_dialog(b) if b.opens_form else _execute(b.label, {ACTION_KEY: b.value, CARD_KEY: kept_data})
        for b in shown.reply.buttons
    ]


def _choice_input(buttons: tuple[Button, ...]) -> dict[str, Any]:
    """A drop-down of every option, for more buttons than a card shows; its Send action carries the choice."""
    return {
        "type": "Input.ChoiceSet",
        "id": CHOICE_KEY,
        "style": "compact",
        "value": buttons[0].value,
        "choices": [{"title": b.label, "value": b.value} for b in buttons],
    }


def _refresh(shown: ShownCard) -> dict[str, Any] | None:
    """Teams asks again (verb "refresh") each time the card is shown to the person it asked, so a question
    answered meanwhile (typed, or on another device) shows answered; only a card asking an open question."""
    if shown.asked is None:
        return None
    action = {"type": "Action.Execute", "verb": REFRESH_VERB, "data": {CARD_KEY: shown.data()}}
    return {"action": action, "userIds": [shown.asked.user_id]}


def adaptive_card(
    body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None, refresh: dict[str, Any] | None = None
) -> dict[str, Any]:
    made: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        made["actions"] = actions
    if refresh is not None:
        made["refresh"] = refresh
    return made


def card(reply: Reply, asked: Asked | None = None) -> dict[str, Any]:
    """The card of a reply with buttons; `asked`: the open question it asks, for its refresh."""
    shown = kept(reply, asked)
    body = _text_blocks(reply)
    choices = tuple(b for b in reply.buttons if not b.opens_form)  # a dialog opens from a button of its own
    if len(reply.buttons) <= MAX_CARD_BUTTONS or not choices:
        actions = _button_actions(shown)
    else:
        body.append(_choice_input(choices))
        actions = [
            _execute(_(SEND), {CARD_KEY: shown.data()}),
            *(_opens_dialog(b) for b in reply.buttons if b.opens_form),
        ]
    if reply.form is not None:
        actions.append(_opens_form(reply.form))
    return adaptive_card(body, actions, _refresh(shown))


def answered_card(shown: ShownCard | None, label: str | None = None) -> dict[str, Any]:
    """The card after its question was answered: what it asked (as kept), the choice (its label, already in
    the reader's language), and no actions; "Answered" (in the language being written) when the choice is not
    known."""
    body = _text_blocks(shown.reply) if shown is not None else []
    chosen = _(CHOSEN).format(label=label or _(ANSWERED))
    body.append({"type": "TextBlock", "text": chosen, "weight": "Bolder", "color": "Good", "wrap": True})
    return adaptive_card(body)


def image_attachment(image: Image) -> Attachment:
    """An inline image: Teams shows an image/* attachment as a picture, and a base64 data URI needs no
    hosting (the chart exists only in this process). bot.charts keeps charts small enough to travel so."""
    encoded = base64.b64encode(image.data).decode("ascii")
    return Attachment(content_type="image/png", content_url=f"data:image/png;base64,{encoded}", name=image.name)


def card_activity(made: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(made))


def render(reply: Reply, asked: Asked | None = None) -> Activity:
    """The reply as a message or a card, the card's own words in the reply's language."""
    with speaking(written_in([reply])):
        return _rendered(reply, asked)


def _rendered(reply: Reply, asked: Asked | None) -> Activity:
    if not reply.buttons and reply.form is None:
        parts = [f"**{reply.title}**"] if reply.title else []
        parts += [markdown(reply.text)] if reply.text else []
        parts += [f"- {markdown(line)}" for line in reply.lines]
        activity = MessageFactory.text("\n\n".join(parts))
        activity.text_format = "markdown"
    else:
        activity = card_activity(card(reply, asked))
    if reply.image is not None:
        # The picture rides in the same activity as the text or card it illustrates, not in one of its own:
        # Teams shows a message's text with its image attachment under it (one message, one notification),
        # and a card then the image stacked in list layout; and one send cannot deliver half a reply.
        activity.attachments = [*(activity.attachments or []), image_attachment(reply.image)]
        activity.attachment_layout = AttachmentLayoutTypes.list
    attach_offer(activity, reply.file)
    return activity
