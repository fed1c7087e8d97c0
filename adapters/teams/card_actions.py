"""A card's Action.Execute (the `adaptiveCard/action` invoke): a click runs the engine as any click does,
its answer is sent as new messages, and the invoke is answered with the card replaced: what it asked, the
choice made, no buttons. A refresh (Teams asking, as it shows the card, how it should look now) runs no
dialog and writes nothing: the card unchanged while its question is the person's open question, else
answered.

Every invoke gets a card: a stale or forged click gets the engine's stale answer, and a card without
buttons. A click on an older card's Action.Submit arrives as a message instead; its card is replaced with
update_activity once the click is answered.
"""

import logging
from collections.abc import Sequence

from botbuilder.core import InvokeResponse, TurnContext
from msrest.exceptions import ClientRequestError, DeserializationError, HttpOperationError

from adapters.teams import inbound
from adapters.teams.card_state import Asked, ShownCard, shown_card
from adapters.teams.directory import TeamsDirectory
from adapters.teams.invokes import answer
from adapters.teams.render import REFRESH_VERB, answered_card, card, card_activity, render
from bot.engine import Engine
from bot.i18n import language_of_locale, speaking
from bot.messages import Inbound, Reply, written_in
from bot.open_questions import OpenQuestion, open_question

log = logging.getLogger(__name__)

INVOKE_NAME = "adaptiveCard/action"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
NOT_DELIVERED = (ClientRequestError, DeserializationError, HttpOperationError)  # the Bot Connector's failures


def card_answer(made: dict[str, object]) -> InvokeResponse:
    """The invoke's answer that replaces the card (AdaptiveCardInvokeResponse)."""
    return answer({"statusCode": 200, "type": CARD_TYPE, "value": made})


async def on_card_action(turn_context: TurnContext, engine: Engine) -> InvokeResponse:
    activity = turn_context.activity
    verb, data = inbound.card_action(activity)
    shown = shown_card(data)
    if verb == REFRESH_VERB:  # no turn: the card's own words in the Teams client's language
        with speaking(language_of_locale(activity.locale)):
            return card_answer(await refreshed(engine, activity.from_property.id, shown))
    clicked = inbound.chosen_in(data) or ""
    message = inbound.from_card_action(activity, clicked)
    replies = await engine.handle(message, TeamsDirectory(turn_context))
    try:
        await send_replies(turn_context, engine, message, replies)
    except NOT_DELIVERED as error:  # the card still shows the choice; the turn is committed
        log.warning("teams answer to a card click not delivered error=%s", type(error).__name__)
    with speaking(written_in(replies)):
        return card_answer(answered_card(shown, _label(shown, clicked)))


def _label(shown: ShownCard | None, clicked: str) -> str | None:
    """The clicked button's label (in the reader's language); None: answered_card says "Answered"."""
    return shown.label_of(clicked) if shown is not None else None


async def refreshed(engine: Engine, user_id: str, shown: ShownCard | None) -> dict[str, object]:
    """The card as it should look now for `user_id`, read without writing."""
    asked = shown.asked if shown is not None else None
    if shown is None or asked is None or asked.user_id != user_id:
        return answered_card(shown)
    question = await open_question(engine.db, "teams", user_id)
    values = frozenset(button.value for button in shown.reply.buttons)
    if question is not None and question.is_asked_by(asked.dialog, asked.step, values):
        return card(shown.reply, asked)
    return answered_card(shown)


async def send_replies(turn_context: TurnContext, engine: Engine, message: Inbound, replies: Sequence[Reply]) -> None:
    """The turn's replies as messages; a card that asks the open question gets its refresh."""
    question = await _question_asked(engine, message, replies)
    for reply in replies:
        await turn_context.send_activity(render(reply, _asked(question, reply, message.account_id)))


async def _question_asked(engine: Engine, message: Inbound, replies: Sequence[Reply]) -> OpenQuestion | None:
    if not message.private or not any(reply.buttons for reply in replies):
        return None
    return await open_question(engine.db, "teams", message.account_id)


def _asked(question: OpenQuestion | None, reply: Reply, user_id: str) -> Asked | None:
    values = frozenset(button.value for button in reply.buttons)
    if question is None or not values or not question.is_asked_by(question.dialog, question.step, values):
        return None
    return Asked(question.dialog, question.step, user_id)


async def replace_submitted_card(turn_context: TurnContext) -> None:
    """After a click on an older card's Action.Submit (a message with `value` and `replyToId`), the card
    clicked shows the choice and loses its buttons; a failure is logged and changes nothing else."""
    activity = turn_context.activity
    clicked = inbound.clicked_value(activity)
    if clicked is None or not isinstance(activity.reply_to_id, str) or not activity.reply_to_id:
        return
    shown = shown_card(activity.value)
    with speaking(language_of_locale(activity.locale)):  # beside the turn: the Teams client's language
        replaced = card_activity(answered_card(shown, _label(shown, clicked)))
    replaced.id = activity.reply_to_id
    try:
        await turn_context.update_activity(replaced)
    except NOT_DELIVERED as error:
        log.warning("teams clicked card not replaced error=%s", type(error).__name__)
