"""Answering a person in Slack during a turn: the reply where they are, its charts after it, and the answer
of a turn too slow for Slack's 3 seconds once it is ready.

These Web API calls are made while someone waits for them, so they wait out a rate limit (HTTP 429, as
Retry-After says) and try a dropped connection again, with slack_sdk's retry handlers. The outbox's client
has neither: it keeps its own pace and must never sleep inside a send.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.render import ALT_TEXT_LIMIT, images_not_shared_note, images_of, render
from bot.i18n import N_, reading, speaking
from bot.messages import Image, Reply, written_in

log = logging.getLogger(__name__)

# Seconds a turn may take before Slack is acknowledged without its answer ("Working on it…"). Slack's 3 s
# count from when it sent the request: queueing, bolt and the network take their share before and after.
ANSWER_WITHIN = 1.5
WORKING = N_("Working on it…")  # said before the person is known: English (adapters/slack/app.py)

T = TypeVar("T")
Tell = Callable[[str], Awaitable[None]]  # says one sentence to the person, where they were answered


def turn_retry_handlers() -> list[AsyncRetryHandler]:
    """One more try after a dropped connection, and one after a rate limit (waiting as Slack says)."""
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler()]


def turn_client(token: str | None, base_url: str, session: aiohttp.ClientSession) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=base_url, session=session, retry_handlers=turn_retry_handlers())


def _code(error: BaseException) -> str | None:
    """Slack's error code of a failed Web API call (never its text, which can quote the message)."""
    return str(error.response.get("error")) if isinstance(error, SlackApiError) else None


async def upload_images(
    client: AsyncWebClient,
    images: Sequence[Image],
    *,
    channel: str | None = None,
    user: str | None = None,
    thread_ts: str | None = None,
) -> None:
    """Share each image as a file (files_upload_v2: files.getUploadURLExternal, the bytes POSTed to the
    upload URL, files.completeUploadExternal) in `channel`, or in the DM with Slack user `user`."""
    if channel is None:
        opened = await client.conversations_open(users=user)
        channel = str(opened["channel"]["id"])
    for image in images:
        await client.files_upload_v2(
            channel=channel,
            file=image.data,
            filename=image.name,
            title=image.alt,
            alt_txt=image.alt[:ALT_TEXT_LIMIT],
            thread_ts=thread_ts,
        )


class ImageUploads:
    """Work that goes on after Slack has its answer, held here until it ends (drained at shutdown): chart
    uploads, whose three Web API calls per image must not count against Slack's 3 seconds, and the turns
    and answers that took longer than ANSWER_WITHIN.

    A chart that cannot be uploaded, after the retries, is logged (the error's class and Slack's error code,
    never text) and the person is told in a sentence where their answer went: the figures have arrived."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def hold(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._ended)
        return task

    def start(
        self,
        client: AsyncWebClient,
        images: Sequence[Image],
        *,
        tell: Tell,
        channel: str | None = None,
        user: str | None = None,
        thread_ts: str | None = None,
        language: str | None = None,
    ) -> None:
        """Upload in the background; a failure is told in `language` (the answer's: default, the one being
        written now)."""
        language = language or reading()
        if images:
            upload = self._upload(client, images, tell, language, channel=channel, user=user, thread_ts=thread_ts)
            self.hold(upload)

    async def _upload(
        self, client: AsyncWebClient, images: Sequence[Image], tell: Tell, language: str, **where: str | None
    ) -> None:
        try:
            await upload_images(client, images, **where)
        except Exception as error:  # whatever stopped it, the person hears that the chart is missing
            log.error("slack image upload failed error=%s code=%s", type(error).__name__, _code(error))
            with speaking(language):
                note = images_not_shared_note(len(images))
            await tell(note)

    def _ended(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack work after the answer failed error=%s", type(task.exception()).__name__)

    async def drain(self) -> None:
        """Wait for the work under way (at shutdown, and in tests)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


async def ended_within(task: asyncio.Task[Any], seconds: float) -> bool:
    """Whether `task` ended within `seconds`; it goes on either way (a turn is never cut short)."""
    done, _ = await asyncio.wait({task}, timeout=seconds)
    return bool(done)


class Answers:
    """Where a turn's replies go: the DM (chat.postMessage) or the response_url of a slash command or a
    click (ephemeral, beside the original), then their charts. A failed call is logged by its class and
    Slack's code: the turn is committed, and the person can ask again."""

    def __init__(self, client: AsyncWebClient, session: aiohttp.ClientSession, uploads: ImageUploads) -> None:
        self.client, self.session, self.uploads = client, session, uploads

    async def post(
        self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None
    ) -> None:
        try:
            await self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.error("slack answer failed error=%s code=%s", type(error).__name__, _code(error))

    async def respond(self, response_url: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """An ephemeral message at a response_url, that leaves the message clicked in place."""
        webhook = AsyncWebhookClient(response_url, session=self.session, retry_handlers=turn_retry_handlers())
        try:
            sent = await webhook.send(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.error("slack response_url failed error=%s", type(error).__name__)
            return
        if sent.status_code != 200:
            log.error("slack response_url failed status=%d", sent.status_code)

    async def in_dm(self, turn: Awaitable[list[Reply]], channel: str, thread_ts: str | None) -> None:
        """A lasting message in the DM (or its thread), the charts beside it."""
        replies = await turn
        if not replies:
            return
        text, blocks = render(replies)
        await self.post(channel, text, blocks, thread_ts)
        tell = partial(self.post, channel, thread_ts=thread_ts)
        self.uploads.start(
            self.client,
            images_of(replies),
            tell=tell,
            channel=channel,
            thread_ts=thread_ts,
            language=written_in(replies),
        )

    async def privately(self, turn: Awaitable[list[Reply]], response_url: str, user: str) -> None:
        """Only the person sees it, wherever they are (a slash command's or its buttons' answer); an
        ephemeral message carries no file, so the charts go to their DM with the bot."""
        replies = await turn
        if not replies:
            return
        text, blocks = render(replies, images_in_dm=True)
        await self.respond(response_url, text, blocks)
        self.charts_in_dm(replies, response_url, user)

    def charts_in_dm(self, replies: list[Reply], response_url: str, user: str) -> None:
        """The charts of an answer given privately, to the person's DM; a failure is said where the answer was."""
        tell = partial(self.respond, response_url)
        self.uploads.start(self.client, images_of(replies), tell=tell, user=user, language=written_in(replies))
