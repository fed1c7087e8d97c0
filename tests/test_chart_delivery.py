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
from adapters.slack.app import ImageUploads, upload_images
from adapters.slack.render import images_in_dm_note, images_of
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
from tests.test_slack import DM, PARTICIPANT, PAT, PAT_ZONE, slack_env, slash
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


async def test_a_background_upload_arrives_and_the_tasks_are_let_go(fake, slack_client):
    uploads = ImageUploads()
    uploads.start(slack_client, [CHART], channel=DM)
    assert len(uploads.tasks) == 1  # held, so it is not collected half-way
    await uploads.drain()
    assert uploads.tasks == set()
    assert [(u.channel_id, u.data) for u in fake.uploads] == [(DM, CHART.data)]
    uploads.start(slack_client, [], channel=DM)  # nothing to upload: no task
    assert uploads.tasks == set()


async def test_a_failed_upload_is_logged_without_its_text(fake, slack_client, caplog):
    fake.fail_next("files.getUploadURLExternal", 200, {"ok": False, "error": "missing_scope"})
    uploads = ImageUploads()
    with caplog.at_level(logging.ERROR, logger="adapters.slack.app"):
        uploads.start(slack_client, [CHART], user=PAT)
        await uploads.drain()
    assert fake.uploads == []
    [record] = [r for r in caplog.records if r.name == "adapters.slack.app"]
    assert record.getMessage() == "slack image upload failed error=SlackApiError code=missing_scope"
    assert "AAHSL" not in caplog.text and CHART.name not in caplog.text


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
