"""A reply's picture (a report chart) delivered on each platform through the real libraries: slack_sdk's
files_upload_v2 against the fake Slack Web API, botbuilder's CloudAdapter against the fake Bot Connector,
and the terminal writing a real file. Only Slack's and Microsoft's cloud services are faked."""

import base64
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from botbuilder.schema import Activity
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.console import ConsoleChat, save_image
from adapters.slack.answers import ImageUploads, upload_images
from adapters.slack.render import images_in_dm_note, images_not_shared_note, images_of
from adapters.slack.render import render as slack_render
from adapters.teams.app import TeamsSender, build_adapter
from adapters.teams.inbound import reference_of
from adapters.teams.render import render as teams_render
from bot import outbox
from bot.charts import Bar, Panel, describe, render_png
from bot.engine import Engine
from bot.messages import Button, Image, Reply
from bot.outbox import reply_of
from storage.db import Database
from storage.models import OutboxMessage, Person
from tests.conftest import FIXED_NOW
from tests.fakes.bot_connector import FakeBotConnector, message_activity
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi, Upload
from tests.server import running_server
from tests.test_selection_platforms import SlackUser, eventually, slack_click
from tests.test_slack import DM, PARTICIPANT, PAT, PAT_ZONE, dm_event, post, slack_env, slash
from tests.test_teams import ANONYMOUS

PANELS = [
    Panel("Sessions held against quota", (Bar("Pat Participant", 2, 6), Bar("Dana Participant", 5, 6)), "sessions"),
    Panel("Coach hours against commitment", (Bar("Cora Coach", 7.5, 10),), "hours"),
]
CHART = Image(
    name="report-aahsl-2026-11-23.png",
    data=render_png("AAHSL 2026 cohort", PANELS),
    alt=describe("AAHSL 2026 cohort", PANELS),
)
REPORT = Reply("Sessions, check-ins, coach hours and surveys so far.", title="AAHSL 2026 cohort", image=CHART)
TEAMS_USER = "29:1pat-teams-id"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    yield api
    await api.stop()


@pytest.fixture
async def slack_client(fake: FakeSlackApi) -> AsyncIterator[AsyncWebClient]:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url, session=session)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    yield fake
    await fake.stop()


# Slack


async def test_slack_uploads_the_exact_bytes_into_the_persons_dm(fake, slack_client):
    await upload_images(slack_client, [CHART], user=PAT)
    [opened] = fake.calls_to("conversations.open")
    assert opened.args["users"] == PAT
    dm = "D" + PAT.lstrip("U")  # the fake's DM channel for a user
    assert fake.uploads == [Upload(dm, CHART.name, CHART.alt, CHART.data)]
    # files_upload_v2's three steps, with the size announced first and the picture described.
    [asked] = fake.calls_to("files.getUploadURLExternal")
    assert (asked.args["filename"], int(asked.args["length"]), asked.args["alt_txt"]) == (
        CHART.name,
        len(CHART.data),
        CHART.alt,
    )
    assert [call.method for call in fake.calls if call.method.startswith(("files.", "upload"))] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_slack_uploads_into_a_given_channel_and_thread_without_opening_a_dm(fake, slack_client):
    await upload_images(slack_client, [CHART, CHART], channel=DM, thread_ts="1795446000.000100")
    assert fake.calls_to("conversations.open") == []
    assert [(u.channel_id, u.data, u.thread_ts) for u in fake.uploads] == [(DM, CHART.data, "1795446000.000100")] * 2


async def told_nobody(note: str) -> None:
    raise AssertionError(f"the person was told {note!r}")


async def test_a_background_upload_arrives_and_the_tasks_are_let_go(fake, slack_client):
    uploads = ImageUploads()
    uploads.start(slack_client, [CHART], channel=DM, tell=told_nobody)
    assert len(uploads.tasks) == 1  # held, so it is not collected half-way
    await uploads.drain()
    assert uploads.tasks == set()
    assert [(u.channel_id, u.data) for u in fake.uploads] == [(DM, CHART.data)]
    uploads.start(slack_client, [], channel=DM, tell=told_nobody)  # nothing to upload: no task
    assert uploads.tasks == set()


async def test_a_failed_upload_is_logged_without_its_text_and_the_person_is_told(fake, slack_client, caplog):
    fake.fail_next("files.getUploadURLExternal", 200, {"ok": False, "error": "missing_scope"})
    told: list[str] = []

    async def tell(note: str) -> None:
        told.append(note)

    uploads = ImageUploads()
    with caplog.at_level(logging.ERROR, logger="adapters.slack.answers"):
        uploads.start(slack_client, [CHART], user=PAT, tell=tell)
        await uploads.drain()
    assert fake.uploads == []
    [record] = [r for r in caplog.records if r.name == "adapters.slack.answers"]
    assert record.getMessage() == "slack image upload failed error=SlackApiError code=missing_scope"
    assert "AAHSL" not in caplog.text and CHART.name not in caplog.text
    assert told == [images_not_shared_note(1)]


def test_a_slash_commands_answer_says_where_its_chart_went():
    text, blocks = slack_render([REPORT], images_in_dm=True)
    note = images_in_dm_note(1)
    assert note == "The chart is in your direct messages with the assistant."
    assert text.endswith(note) and text.startswith("AAHSL 2026 cohort")
    assert blocks[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
    assert images_of([REPORT, Reply("no picture")]) == [CHART]


def test_a_message_beside_its_uploaded_chart_and_a_reply_without_one_carry_no_note():
    in_dm_text, in_dm_blocks = slack_render([REPORT])
    assert "direct messages" not in in_dm_text and all(block["type"] != "context" for block in in_dm_blocks)
    plain_text, plain_blocks = slack_render([Reply("Booked.")], images_in_dm=True)
    assert (plain_text, plain_blocks) == slack_render([Reply("Booked.")])
    assert images_in_dm_note(2).startswith("The charts are")


async def test_a_slash_command_without_a_picture_uploads_nothing(database_url, fake):
    async with running_server(database_url, slack_env(fake)) as server:
        answer = await slash(server, fake, "help")
    assert "What I can do for you" in answer["text"] and "direct messages with the assistant" not in answer["text"]
    assert [call.method for call in fake.calls if call.method.startswith("files.")] == []


# Slack, through the server: calls made while a person waits retry a rate limit; a chart that cannot be
# uploaded is said. (SQLite only: these are between the adapter and Slack, and ask nothing new of a database.)

CASEY = "U07CASEY001"  # coordinator@demo.example, who may read reports
COHORT = "AAHSL Demo 2026-27"
RATELIMITED = {"ok": False, "error": "ratelimited"}
AT_ONCE = {"Retry-After": "0"}
NOT_SHARED = images_not_shared_note(1)


@pytest.fixture
async def casey(sqlite_url: str, fake: FakeSlackApi) -> AsyncIterator[SlackUser]:
    fake.add_user(CASEY, "coordinator@demo.example", "Casey Coordinator", "America/Chicago")
    async with running_server(sqlite_url, slack_env(fake)) as server:
        yield SlackUser(server, fake, CASEY)


def texts_to(fake: FakeSlackApi, method: str) -> list[str]:
    return [call.args.get("text", "") for call in fake.calls_to(method)]


async def test_a_chart_slack_refuses_is_reported_in_the_dm_after_the_report(casey, fake):
    assert "Which cohort?" in await casey.say("report")
    fake.fail_next("files.getUploadURLExternal", 200, {"ok": False, "error": "internal_error"})
    assert "Report: AAHSL Demo 2026-27" in await casey.click(COHORT)
    await eventually(lambda: NOT_SHARED in texts_to(fake, "chat.postMessage"), "the missing chart said")
    *_, report, note = fake.calls_to("chat.postMessage")
    assert "Report: AAHSL Demo 2026-27" in report.args["text"]
    assert (note.args["channel"], note.args["text"]) == (casey.channel, NOT_SHARED)
    assert fake.uploads == []


async def test_a_chart_whose_upload_fails_is_reported_where_the_command_was_answered(casey, fake):
    assert "Which cohort?" in await casey.command("report")
    fake.fail_next("upload", 500, {"ok": False})
    assert "Report: AAHSL Demo 2026-27" in await casey.click(COHORT)
    await eventually(lambda: NOT_SHARED in texts_to(fake, "response_url"), "the missing chart said")
    report, note = fake.calls_to("response_url")
    assert images_in_dm_note(1) in report.args["text"]
    assert (note.args["text"], note.args["response_type"], note.args["replace_original"]) == (
        NOT_SHARED,
        "ephemeral",
        False,
    )
    assert fake.uploads == [] and len(fake.calls_to("upload")) == 1


async def test_a_rate_limited_chart_is_uploaded_after_the_wait_and_nobody_is_told(casey, fake):
    assert "Which cohort?" in await casey.say("report")
    fake.fail_next("files.getUploadURLExternal", 429, RATELIMITED, AT_ONCE)
    fake.fail_next("upload", 429, RATELIMITED, AT_ONCE)
    assert "Report: AAHSL Demo 2026-27" in await casey.click(COHORT)
    [upload] = await eventually(lambda: fake.uploads, "the chart")
    assert (upload.channel_id, upload.data[:4]) == (casey.channel, b"\x89PNG")
    assert len(fake.calls_to("files.getUploadURLExternal")) == len(fake.calls_to("upload")) == 2
    assert NOT_SHARED not in texts_to(fake, "chat.postMessage")


async def test_a_rate_limited_answer_in_the_dm_is_posted_once_after_the_wait(casey, fake, caplog):
    fake.fail_next("chat.postMessage", 429, RATELIMITED, AT_ONCE)
    with caplog.at_level(logging.WARNING):
        status, _ = await post(casey.server, dm_event("help", "Ev0LIMITED", channel=casey.channel, user=CASEY))
    assert status == 200
    await eventually(lambda: len(fake.calls_to("chat.postMessage")) == 2, "the answer sent again")
    first, second = fake.calls_to("chat.postMessage")
    assert first.args["text"] == second.args["text"] and "What I can do for you" in second.args["text"]
    assert len(fake.history[casey.channel]) == 1
    request_path = ("adapters.slack", "slack_bolt", "slack_sdk", "aiohttp.server")
    assert [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(request_path)
    ] == []


async def test_a_rate_limited_answer_to_a_click_is_posted_again_after_the_wait(casey, fake):
    assert "Pick your time zone" in await casey.command("timezone")
    fake.fail_next("response_url", 429, RATELIMITED, AT_ONCE)
    click = slack_click(CASEY, casey.button("Phnom Penh"), fake.response_url, channel=casey.channel, ephemeral=True)
    assert (await post(casey.server, click))[0] == 200
    await eventually(lambda: len(fake.calls_to("response_url")) == 2, "the answer sent again")
    first, second = fake.calls_to("response_url")
    assert first.args == second.args and "now Asia/Phnom_Penh" in second.args["text"]


# Teams


def test_teams_sends_the_chart_inline_with_its_text():
    activity = teams_render(REPORT)
    assert activity.text.startswith("**AAHSL 2026 cohort**")
    [image] = activity.attachments
    assert (image.content_type, image.name) == ("image/png", CHART.name)
    prefix = "data:image/png;base64,"
    assert image.content_url.startswith(prefix)
    assert base64.b64decode(image.content_url.removeprefix(prefix), validate=True) == CHART.data
    wire = activity.serialize()
    assert wire["attachments"][0]["contentUrl"] == image.content_url and wire["attachmentLayout"] == "list"


def test_teams_sends_a_card_and_then_the_chart_in_one_activity():
    with_buttons = Reply("Which cohort next?", buttons=(Button("AAHSL", "cohort:1"),), image=CHART)
    card, image = teams_render(with_buttons).attachments
    assert card.content_type == "application/vnd.microsoft.card.adaptive"
    assert image.content_type == "image/png"
    assert [item["text"] for item in card.content["body"]] == ["Which cohort next?"]


def test_a_teams_reply_without_a_picture_is_unchanged():
    activity = teams_render(Reply("Booked."))
    assert not activity.attachments and activity.attachment_layout is None


async def test_teams_sender_delivers_the_chart_through_the_real_cloud_adapter(connector):
    incoming = Activity().deserialize(message_activity(connector.service_url, TEAMS_USER, text="report"))
    sender = TeamsSender(build_adapter(ANONYMOUS), ANONYMOUS.app_id)
    await sender.send(reference_of(incoming), [REPORT])
    [sent] = connector.sent
    assert (sent.conversation_id, sent.reply_to) == ("a:personal-chat", None)
    assert sent.text.startswith("**AAHSL 2026 cohort**")
    assert sent.images == [(CHART.name, CHART.data)]
    assert sent.activity["recipient"]["id"] == TEAMS_USER


# The terminal


async def test_the_terminal_saves_the_chart_and_says_where(engine: Engine, tmp_path: Path):
    shown: list[str] = []
    console = ConsoleChat(engine, PARTICIPANT, write=shown.append, image_folder=tmp_path / "charts")
    await console.show([REPORT])
    saved = tmp_path / "charts" / CHART.name
    assert saved.read_bytes() == CHART.data
    assert shown[-1] == f"Chart saved: {saved} ({CHART.alt})"
    assert shown[0].startswith("*AAHSL 2026 cohort*")
    assert oct(os.stat(tmp_path / "charts").st_mode & 0o777) == oct(0o700)


def test_a_saved_chart_never_overwrites_another_nor_leaves_its_folder(tmp_path: Path):
    first = save_image(CHART, tmp_path)
    second = save_image(Image(CHART.name, b"second", "another"), tmp_path)
    assert (first.name, second.name) == ("report-aahsl-2026-11-23.png", "report-aahsl-2026-11-23-2.png")
    assert (first.read_bytes(), second.read_bytes()) == (CHART.data, b"second")
    escaped = save_image(Image("../../outside.png", b"x", "x"), tmp_path / "inner")
    assert escaped == tmp_path / "inner" / "outside.png"


# The outbox never holds pictures


async def test_the_outbox_refuses_a_reply_with_a_picture_and_keeps_others_round_tripping(engine: Engine):
    db: Database = engine.db
    plain = Reply("Cohort news", title="News", lines=("one", "two"), buttons=(Button("Open", "open:1", "primary"),))
    async with db.transaction() as session:
        person = (await session.execute(select(Person).where(Person.email == PARTICIPANT))).scalar_one()
        with pytest.raises(ValueError, match="image cannot be queued"):
            outbox.queue(session, person.id, REPORT, kind="announcement", now=FIXED_NOW)
        with pytest.raises(ValueError, match="image cannot be queued"):
            await outbox.queue_many(session, [person.id], REPORT, kind="announcement", now=FIXED_NOW)
        outbox.queue(session, person.id, plain, kind="announcement", now=FIXED_NOW)
    async with db.transaction() as session:
        [row] = (await session.execute(select(OutboxMessage.reply).where(OutboxMessage.kind == "announcement"))).all()
    assert "image" not in row.reply
    assert reply_of(row.reply) == plain
