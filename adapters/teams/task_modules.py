"""Forms as Teams dialogs (task modules): where Slack opens a modal, Teams opens a dialog.

A button that opens a form is an Action.Submit with msteams `task/fetch` (render.py); its click arrives as
the `task/fetch` invoke, runs the engine as any click does, and is answered with the form as a dialog
("continue" with the form's card, adapters/teams/form_card.py). The dialog's submit arrives as
`task/submit`: its inputs become the form's answers, run through the same dialog as chat. A refused form
comes back as the same dialog with the values kept and each reason under its field; taken, the dialog
closes (no body, the answer Microsoft documents for a task completed: "Use dialogs with bots", and the
Bot card row of "Invoke and dismiss dialogs") and the turn's replies arrive in the chat.

A form that reached the chat instead (a click a client sent as a message) shows an "Open the form" button
carrying a copy of the form (render.py); its task/fetch opens that copy without running the engine.

Every invoke gets an answer: a click or a submit this module cannot read is answered with a message in
the dialog saying so, and changes nothing.
"""

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams import inbound
from adapters.teams.card_actions import CARD_TYPE, NOT_DELIVERED, send_replies
from adapters.teams.directory import TeamsDirectory
from adapters.teams.form_card import answers_in, form_card, form_in
from adapters.teams.invokes import answer
from adapters.teams.render import BOLD
from bot.engine import Engine
from bot.i18n import N_, _, language_of_locale, speaking
from bot.messages import Form, FormAnswers, Inbound, Reply, written_in

log = logging.getLogger(__name__)

FETCH, SUBMIT = "task/fetch", "task/submit"
WIDTH = "medium"
TALL_FORM = 3  # fields past which a dialog opens large rather than medium
MESSAGE_LIMIT = 2000  # characters of the message a dialog shows instead of a form
UNREADABLE_CLICK = N_("I couldn't read that button, so nothing was changed. Type `help` to see what you can do.")
UNREADABLE_FORM = N_(
    "I couldn't read that form, so nothing was saved. Close it and press the button in our chat again, "
    "or answer the questions in the chat."
)
IN_THE_CHAT = N_("My answer is in our chat.")


def continue_with(
    form: Form, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> InvokeResponse:
    """The dialog showing `form`: Teams opens it (fetch) or puts it in place of the one sent (submit); its
    own words (a field's "Please choose one.") in the language being written."""
    card = {"contentType": CARD_TYPE, "content": form_card(form, values, errors)}
    height = "large" if len(form.fields) > TALL_FORM else "medium"
    task = {"title": form.title, "width": WIDTH, "height": height, "card": card}
    return answer({"task": {"type": "continue", "value": task}})


def message(text: str) -> InvokeResponse:
    """A message Teams shows in the dialog (the dialog opens with it, or shows it in place of the form)."""
    return answer({"task": {"type": "message", "value": text[:MESSAGE_LIMIT]}})


def _data(activity_value: Any) -> dict[str, Any] | None:
    """The action's data (with the dialog's inputs merged in, for a submit); None when it is no object."""
    data = activity_value.get("data") if isinstance(activity_value, dict) else None
    return data if isinstance(data, dict) else None


async def on_fetch(turn_context: TurnContext, engine: Engine) -> InvokeResponse:
    """A click on a button that opens a form: the engine answers it, and its form opens as a dialog."""
    data = _data(turn_context.activity.value)
    client = language_of_locale(turn_context.activity.locale)  # before any turn: the Teams client's language
    if data is None:
        log.info("teams dialog refused kind=fetch reason=no-data")
        with speaking(client):
            return message(_(UNREADABLE_CLICK))
    kept = form_in(data)
    if kept is not None:  # a form the chat showed (render.py): a forged one can do no more than typing
        log.info("teams dialog kind=form-kept fields=%d", len(kept.fields))
        with speaking(client):
            return continue_with(kept)
    clicked = inbound.chosen_in(data) or ""  # "" is answered by the engine as a stale button
    sent = inbound.from_card_action(turn_context.activity, clicked)
    replies = await engine.handle(sent, TeamsDirectory(turn_context))
    return await _answer(turn_context, engine, sent, replies)


async def on_submit(turn_context: TurnContext, engine: Engine) -> InvokeResponse:
    """The dialog sent: its answers through the form's dialog; refused, the dialog again with the reasons."""
    data = _data(turn_context.activity.value)
    form = form_in(data)
    answers = answers_in(form, data) if form is not None and data is not None else None
    if form is None or answers is None:
        log.info("teams dialog refused kind=submit reason=unreadable")
        with speaking(language_of_locale(turn_context.activity.locale)):  # before any turn: the client's
            return message(_(UNREADABLE_FORM))
    clicked = inbound.from_card_action(turn_context.activity, "")
    sent = dataclasses.replace(clicked, action=None, form=FormAnswers.of(form, answers))
    replies = await engine.handle(sent, TeamsDirectory(turn_context))
    refused = next((reply for reply in replies if reply.field_errors), None)
    if refused is not None:
        log.info("teams dialog kind=submit refused=%d", len(refused.field_errors))
        with speaking(written_in(replies)):
            return continue_with(form, answers, dict(refused.field_errors))
    return await _answer(turn_context, engine, sent, replies, closing=True)


async def _answer(
    turn_context: TurnContext, engine: Engine, sent: Inbound, replies: Sequence[Reply], *, closing: bool = False
) -> InvokeResponse:
    """A form among the replies opens as the dialog and the others go to the chat. Without one, a submit's
    dialog closes and its replies go to the chat; a click's dialog says in a message what the engine said
    (replies with buttons, pictures or files go to the chat, where they work)."""
    shown = next((reply.form for reply in replies if reply.form is not None), None)
    if shown is not None:
        await _to_chat(turn_context, engine, sent, [reply for reply in replies if reply.form is None])
        log.info("teams dialog kind=form fields=%d", len(shown.fields))
        with speaking(written_in(replies)):
            return continue_with(shown)
    if closing:
        await _to_chat(turn_context, engine, sent, replies)
        log.info("teams dialog kind=submit taken")
        return answer()
    plain = [reply for reply in replies if _is_plain(reply)]
    await _to_chat(turn_context, engine, sent, [reply for reply in replies if not _is_plain(reply)])
    log.info("teams dialog kind=fetch form=none")
    with speaking(written_in(replies)):
        in_the_chat = _(IN_THE_CHAT)
    return message("\n\n".join(BOLD.sub(r"\1", reply.plain_text()) for reply in plain) or in_the_chat)


def _is_plain(reply: Reply) -> bool:
    return not (reply.buttons or reply.image or reply.file)


async def _to_chat(turn_context: TurnContext, engine: Engine, sent: Inbound, replies: Sequence[Reply]) -> None:
    if not replies:
        return
    try:
        await send_replies(turn_context, engine, sent, replies)
    except NOT_DELIVERED as error:  # the turn is committed; the dialog still gets its answer
        log.warning("teams answer to a dialog not delivered error=%s", type(error).__name__)
