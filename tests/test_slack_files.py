"""Files shared in a Slack DM: the pure extraction from the `file_share` message event, and the event
through the real slack-bolt app (signed, posted to the running server, Slack's Web API faked on 127.0.0.1),
where a shared file becomes an application's material. The engine is never wrapped: what a file does is
seen in the bot's answers and in the database.

tests/payloads/slack/dm_file_share.json is the event Slack sends when a person uploads two files (a PDF
and a Word document) in their DM with the bot without typing anything: `subtype: file_share`, empty
`text`, and a `files` list of Slack file objects. We keep each file's name and link, never its bytes.
"""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.inbound import files_of, from_dm_event, is_person_dm
from bot.messages import SharedFile
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi
from tests.server import RunningServer, running_server
from tests.test_selection_platforms import IATUL, SlackUser, application_of
from tests.test_slack import DM, PARTICIPANT, PAT, PAT_ZONE, post, slack_env

PAYLOADS = Path(__file__).parent / "payloads" / "slack"
CV = SharedFile(
    name="Pat_Participant_CV.pdf",
    url="https://demo-association.slack.com/files/U05QK1B7XJP/F05S7CV1PDF/pat_participant_cv.pdf",
)
LETTER = SharedFile(
    name="Cover letter - AAHSL 2026.docx",
    url="https://demo-association.slack.com/files/U05QK1B7XJP/F05S7CL2DOC/cover_letter_-_aahsl_2026.docx",
)


def load_payload(name: str) -> dict[str, Any]:
    """A fresh copy of a JSON payload from tests/payloads/slack/."""
    return json.loads((PAYLOADS / name).read_text())


def file_share(event_id: str = "Ev06F1L3SH4R", **event: Any) -> dict[str, Any]:
    """The file_share event from the payload file; `event` changes or adds fields of its `event`."""
    body = load_payload("dm_file_share.json")
    body["event_id"] = event_id
    body["event"].update(event)
    return body


def with_first_file(replacement: dict[str, Any]) -> dict[str, Any]:
    """The payload's event with its first file object (the CV) replaced."""
    event = file_share()["event"]
    event["files"][0] = replacement
    return event


def cv_without(*keys: str) -> dict[str, Any]:
    cv = dict(file_share()["event"]["files"][0])
    for key in keys:
        cv.pop(key)
    return cv


def test_a_file_share_event_carries_each_files_name_and_permalink():
    body = file_share()
    assert is_person_dm(body["event"])
    message = from_dm_event(body)
    assert message.files == (CV, LETTER)
    assert (message.text, message.conversation_id, message.account_id) == ("", DM, f"T05QJ8K2M9A:{PAT}")


def test_a_message_without_files_has_none():
    assert from_dm_event(load_payload("dm_message.json")).files == ()


@pytest.mark.parametrize(
    ("first_file", "expected"),
    [
        ({"id": "F05S7CV1PDF", "mode": "tombstone"}, (LETTER,)),  # deleted since it was shared
        (
            {"id": "F05S7CV1PDF", "mode": "hidden_by_limit", "name": "Pat_Participant_CV.pdf"},
            (LETTER,),  # beyond a free workspace's visible history
        ),
        (
            {**cv_without(), "mode": "tombstone"},  # a tombstone that still lists its links is still deleted
            (LETTER,),
        ),
        (
            {"id": "F05S7CV1PDF", "mode": "file_access", "file_access": "check_file_info", "created": 0, "user": ""},
            (LETTER,),  # Slack Connect: no name or link until files.info is asked
        ),
        (
            cv_without("permalink"),
            (
                SharedFile(CV.name, "https://files.slack.com/files-pri/T05QJ8K2M9A-F05S7CV1PDF/pat_participant_cv.pdf"),
                LETTER,
            ),
        ),
        (cv_without("permalink", "url_private"), (LETTER,)),
        ({**cv_without("name"), "title": "My CV"}, (SharedFile("My CV", CV.url), LETTER)),
        (cv_without("name", "title"), (SharedFile("file", CV.url), LETTER)),
    ],
    ids=[
        "tombstone",
        "hidden_by_limit",
        "tombstone-with-links",
        "slack-connect-check_file_info",
        "no-permalink-uses-url_private",
        "no-link-at-all",
        "title-when-no-name",
        "neither-name-nor-title",
    ],
)
def test_a_file_is_kept_only_with_a_usable_link(first_file, expected):
    assert files_of(with_first_file(first_file)) == expected


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    yield api
    await api.stop()


@pytest.fixture
async def server(sqlite_url: str, fake: FakeSlackApi) -> AsyncIterator[RunningServer]:
    async with running_server(sqlite_url, slack_env(fake)) as running:
        yield running


async def test_a_dm_with_only_files_and_no_open_question_is_greeted(server, fake):
    status, _ = await post(server, file_share("Ev06F1L3SH4R"))
    assert status == 200
    [posted] = fake.calls_to("chat.postMessage")
    assert posted.args["channel"] == DM and posted.token == BOT_TOKEN
    assert posted.args["text"] == "Hi Pat Participant! Type `help` to see what I can do for you."


async def test_a_dm_whose_only_file_was_deleted_is_still_answered(server, fake):
    event = file_share("Ev06F1L3TOMB")
    event["event"]["files"] = [{"id": "F05S7CV1PDF", "mode": "tombstone"}]
    assert (await post(server, event))[0] == 200
    [posted] = fake.calls_to("chat.postMessage")
    assert "Type `help`" in posted.args["text"]


async def test_a_file_shared_with_a_command_gets_the_commands_answer(server, fake):
    assert (await post(server, file_share("Ev06F1L3HELP", text="help")))[0] == 200
    [posted] = fake.calls_to("chat.postMessage")
    assert "What I can do for you" in posted.args["text"]


# While applying: Pat applies to SIG-ALICE as a coach, whose third step is the CV, one file.


async def pat_at_the_cv_step(server: RunningServer, fake: FakeSlackApi) -> SlackUser:
    pat = SlackUser(server, fake, PAT, channel=DM)
    assert "(1 of 5) Would you like to take part as coach or partner?" in await pat.say("apply iatul")
    assert "(2 of 4) What areas of expertise" in await pat.click("Coach")
    assert "(3 of 4) Curriculum vitae. Attach the file" in await pat.say("Collections, reference and staff training")
    return pat


async def test_a_file_shared_while_applying_becomes_the_material_with_its_name_and_permalink(server, fake):
    pat = await pat_at_the_cv_step(server, fake)
    body = file_share("Ev06F1L3CV01")
    body["event"]["files"] = body["event"]["files"][:1]  # the CV alone
    text = await pat.send_event(body)
    assert "Got it: Pat_Participant_CV.pdf." in text and "(4 of 4) A brief statement" in text
    application = await application_of(server, PARTICIPANT, IATUL)
    assert application.materials == {"cv": {"files": [{"name": CV.name, "url": CV.url}], "done": True}}


async def test_two_files_for_a_one_file_material_are_refused_and_nothing_is_kept(server, fake):
    pat = await pat_at_the_cv_step(server, fake)
    text = await pat.send_event(file_share("Ev06F1L3TWO1"))  # the CV and the cover letter at once
    assert "You can give at most 1 for this, and you have given 0; you sent 2 more. Nothing was added." in text
    assert (await application_of(server, PARTICIPANT, IATUL)).materials == {}
    body = file_share("Ev06F1L3TWO2")
    body["event"]["files"] = body["event"]["files"][:1]
    assert "Got it: Pat_Participant_CV.pdf." in await pat.send_event(body)  # the question still waits
    assert (await application_of(server, PARTICIPANT, IATUL)).materials["cv"]["files"] == [
        {"name": CV.name, "url": CV.url}
    ]


@pytest.mark.parametrize(
    "files",
    [
        [{"id": "F05S7CV1PDF", "mode": "tombstone"}],
        [{"id": "F05S7CV1PDF", "mode": "file_access", "file_access": "check_file_info", "created": 0, "user": ""}],
    ],
    ids=["deleted", "slack-connect-check_file_info"],
)
async def test_a_share_without_a_usable_file_asks_for_the_file_and_changes_nothing(server, fake, files):
    pat = await pat_at_the_cv_step(server, fake)
    body = file_share("Ev06F1L3NONE")
    body["event"]["files"] = files
    text = await pat.send_event(body)
    assert "I need the file itself" in text and "Nothing was changed." in text
    assert (await application_of(server, PARTICIPANT, IATUL)).materials == {}
