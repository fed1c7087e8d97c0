"""Slack's side of forms and lasting questions (issue 16 points 1 and 7): a turn's form opened as a modal
with the request's trigger_id, a submitted modal run through the engine as the same dialog chat drives, and
a question the person must come back to kept in their DM when it would otherwise be answered ephemerally.

A submission is acknowledged within Slack's 3 seconds: with the reasons beside the fields when the dialog
refused an answer (nothing was changed), or "clear" and the answer in the person's DM. A form turn is
given ANSWER_WITHIN, as any turn; past it the modal is cleared at once and the answer, or the reasons the
form was refused, follow as a DM message (the modal can no longer show them; the person opens the form
again from the chat).
"""

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import forms, inbound
from adapters.slack.answers import ANSWER_WITHIN, Answers, ended_within
from adapters.slack.home import Turns
from adapters.slack.render import images_of, render
from bot import identity
from bot.i18n import N_, _, speaking
from bot.messages import Form, Inbound, Reply, written_in

log = logging.getLogger(__name__)

KEPT_NOTE = N_("I've put this in our direct messages, so you can come back to it.")
# The clicked message has lost its buttons (adapters/slack/clicks.py), so the way on is typing.
NOT_OPENED = N_("I couldn't open the form just now, so let's go on here in the chat: answer the question above.")
# Said of a form that is not ours, before anyone is known: English.
OUT_OF_DATE = N_("This form is out of date, so nothing was changed: close it and start again from our chat.")
HEADLINE_LIMIT = 200  # characters of a kept answer shown in the ephemeral pointer to it

Speakers = Callable[[AsyncBoltContext], tuple[identity.Directory, Answers]]


class Modals:
    """The answer of one request that may open a form (it has a trigger_id) or be answered only ephemerally."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.client: AsyncWebClient = answers.client

    async def answered(self, body: dict[str, Any], turn: Awaitable[list[Reply]]) -> list[Reply]:
        """The turn's replies, its form opened as a modal; when answered ephemerally (a slash command, a click
        on an ephemeral message), what must last goes to the DM and the ephemeral answer points there."""
        replies = await self._open_form(body, await turn)
        if _ephemeral(body) and any(reply.keep_in_dm for reply in replies):
            return self._keep_in_dm(body, replies)
        return replies

    async def _open_form(self, body: dict[str, Any], replies: list[Reply]) -> list[Reply]:
        """views.open for the first form (a modal is one at a time); its reply is then answered where the
        person is. If Slack refuses (an expired trigger), the reply says to go on in chat."""
        index = next((i for i, reply in enumerate(replies) if reply.form is not None), None)
        if index is None:
            return replies
        reply = replies[index]
        assert reply.form is not None
        trigger = body.get("trigger_id")
        with speaking(written_in([reply])):  # the modal's own words (Cancel) in the form's language
            opened = isinstance(trigger, str) and bool(trigger) and await self._open(trigger, reply.form, _dm_of(body))
            not_opened = _(NOT_OPENED)
        shown = dataclasses.replace(reply, keep_in_dm=False) if opened else dataclasses.replace(reply, text=not_opened)
        return [*replies[:index], shown, *replies[index + 1 :]]

    async def _open(self, trigger: str, form: Form, dm_channel: str) -> bool:
        try:
            await self.client.views_open(trigger_id=trigger, view=forms.modal_view(form, dm_channel))
        except forms.FormTooLarge:
            log.warning("slack form not opened reason=too-large")
            return False
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("slack form not opened error=%s code=%s", type(error).__name__, _code(error))
            return False
        log.info("slack form opened")
        return True

    def _keep_in_dm(self, body: dict[str, Any], replies: list[Reply]) -> list[Reply]:
        """Posts the replies to keep in the person's DM (in the background) and returns the short ephemeral
        answer: the others as they are, then the first kept one's headline and where the rest went."""
        kept = [reply for reply in replies if reply.keep_in_dm]
        user = _user(body)
        self.answers.uploads.hold(self._post_kept(kept, user, str(body.get("response_url") or "")))
        with speaking(written_in(kept)):
            pointer = Reply(text=f"{_headline(kept[0])}\n{_(KEPT_NOTE)}".strip())
        return [*(reply for reply in replies if not reply.keep_in_dm), pointer]

    async def _post_kept(self, kept: list[Reply], user: str, response_url: str) -> None:
        """The kept replies in the DM with their charts; if the DM cannot be written, the whole answer goes
        to the response_url after all, so nothing is lost."""
        text, blocks = render(kept)
        try:
            channel = await _dm_channel(self.client, user)
            await self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.error("slack kept answer not posted error=%s code=%s", type(error).__name__, _code(error))
            if response_url:
                await self.answers.respond(response_url, *render(kept, images_in_dm=True))
            return
        tell = partial(self.answers.post, channel)
        self.answers.uploads.start(self.client, images_of(kept), tell=tell, channel=channel, language=written_in(kept))


def attach(app: AsyncApp, turns: Turns, speakers: Speakers) -> None:
    """The submission of our modals (callback_id coaching_form), run through `turns` as the engine's turn."""

    @app.view(forms.CALLBACK_ID)
    async def on_submission(ack: Any, body: dict[str, Any], context: AsyncBoltContext) -> None:
        directory, answers = speakers(context)
        view = body["view"]
        metadata = forms.read_metadata(view["private_metadata"])
        account = inbound.account_id(_team(body), body["user"]["id"])
        if metadata is None:  # not what modal_view wrote: nothing of it reaches a dialog
            log.info("slack form refused reason=metadata")
            errors = forms.error_blocks(view, (("", OUT_OF_DATE),))  # English: nobody is known yet
            await (ack(response_action="errors", errors=errors) if errors else ack(response_action="clear"))
            return
        sent = Inbound("slack", account, metadata.dm_channel, form=forms.answers_of(view, metadata))
        turn = answers.uploads.hold(turns.handle(sent, directory))
        if not await ended_within(turn, ANSWER_WITHIN):
            await ack(response_action="clear")
            log.info("slack form slower than %.1f s: answered in the DM after the acknowledgement", ANSWER_WITHIN)
            answers.uploads.hold(_answer_in_dm(answers, turn, account))
            return
        replies = turn.result()
        refused = next((reply for reply in replies if reply.field_errors), None)
        errors = forms.error_blocks(view, refused.field_errors) if refused else {}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="clear")
        answers.uploads.hold(_answer_in_dm(answers, turn, account))


async def _answer_in_dm(answers: Answers, turn: Awaitable[list[Reply]], account: str) -> None:
    replies = await turn
    if not replies:
        return
    try:
        channel = await _dm_channel(answers.client, inbound.user_of(account))
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
        log.error("slack form answer failed error=%s code=%s", type(error).__name__, _code(error))
        return
    await answers.in_dm(_given(replies), channel, None)


async def _given(replies: list[Reply]) -> list[Reply]:
    return replies


async def _dm_channel(client: AsyncWebClient, user: str) -> str:
    opened = await client.conversations_open(users=user)
    return str(opened["channel"]["id"])


def _ephemeral(body: dict[str, Any]) -> bool:
    """A slash command's answer, or a click's on an ephemeral message: Slack does not keep either."""
    if "command" in body:
        return True
    container = body.get("container") or {}
    return bool(body.get("response_url")) and bool(container.get("is_ephemeral", True))


def _dm_of(body: dict[str, Any]) -> str:
    """The person's DM with the assistant, when the request came from our message there."""
    container = body.get("container") or {}
    channel = container.get("channel_id")
    in_dm = container.get("type") == "message" and not container.get("is_ephemeral", True)
    return channel if in_dm and isinstance(channel, str) else ""


def _user(body: dict[str, Any]) -> str:
    return str(body["user_id"]) if "command" in body else str(body["user"]["id"])


def _team(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, dict) and isinstance(team.get("id"), str):
        return team["id"]
    user_team = body["user"].get("team_id")
    return user_team if isinstance(user_team, str) else None


def _headline(reply: Reply) -> str:
    """The reply's title, or its first sentence, short."""
    first = reply.title or forms.SENTENCE_END.split(reply.text.strip().split("\n", 1)[0], maxsplit=1)[0]
    return first if len(first) <= HEADLINE_LIMIT else first[: HEADLINE_LIMIT - 1].rstrip() + "…"


def _code(error: BaseException) -> str | None:
    """Slack's error code of a failed call (never its text)."""
    return str(error.response.get("error")) if isinstance(error, SlackApiError) else None
