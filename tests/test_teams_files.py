"""Files shared in a Teams personal chat: the pure extraction from the activity's attachments, and the
activity through the real botbuilder CloudAdapter (posted to the running server's /api/messages, the Bot
Connector faked on 127.0.0.1), where an uploaded file becomes an application's material. The engine is
never wrapped: what a file does is seen in the bot's answers and in the database.

tests/payloads/teams/personal_file_attachment.json is the activity Teams posts when a person uploads two
files (a PDF and a Word document) in their chat with the bot without typing anything: no `text`, and one
`application/vnd.microsoft.teams.file.download.info` attachment per file, whose `contentUrl` is the file's
place in the sender's OneDrive and whose `content.downloadUrl` is a short-lived pre-authorised link.
We keep each file's name and link, never its bytes.
"""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from botbuilder.schema import Activity

from adapters.teams.inbound import files_of, from_message
from bot.messages import SharedFile
from tests.fakes.bot_connector import FakeBotConnector
from tests.server import RunningServer, running_server
from tests.test_selection_platforms import IATUL, TeamsUser, application_of, next_id
from tests.test_teams import PAT, PAT_CHAT, activity, load_payload, only_reply, post

FILE_INFO = "application/vnd.microsoft.teams.file.download.info"
PARTICIPANT = "participant@demo.example"  # Pat, the sender of the payloads
CHAT_FILES = "https://demoorg-my.sharepoint.com/personal/participant_demo_example/Documents/Microsoft Teams Chat Files"
CV = SharedFile("Pat_Participant_CV.pdf", f"{CHAT_FILES}/Pat_Participant_CV.pdf")
LETTER = SharedFile("Cover letter - AAHSL 2026.docx", f"{CHAT_FILES}/Cover letter - AAHSL 2026.docx")
UPLOAD = load_payload("personal_file_attachment")
CV_DOWNLOAD_URL = UPLOAD["attachments"][0]["content"]["downloadUrl"]
PASTED_IMAGE_URL = "https://smba.trafficmanager.net/amer/v3/attachments/0-eus-d4-5b9e1c7f2a/views/original"
HTML_COPY = {"contentType": "text/html", "content": "<p>Here are my CV and cover letter</p>"}


def parsed(sent: dict[str, Any]) -> Activity:
    return Activity().deserialize(sent)


def with_attachments(*attachments: dict[str, Any]) -> Activity:
    """The payload's activity with these attachments in place of its two files."""
    return parsed({**load_payload("personal_file_attachment"), "attachments": list(attachments)})


def cv_file(**changes: Any) -> dict[str, Any]:
    """The payload's CV attachment; a change to None removes that key."""
    cv = {**load_payload("personal_file_attachment")["attachments"][0], **changes}
    return {key: value for key, value in cv.items() if value is not None}


def test_an_upload_in_a_personal_chat_carries_each_files_name_and_link():
    message = from_message(parsed(UPLOAD))
    assert message.files == (CV, LETTER)
    assert (message.text, message.private, message.account_id) == ("", True, PAT)


def test_a_message_without_attachments_has_no_files():
    assert from_message(parsed(load_payload("personal_message"))).files == ()


@pytest.mark.parametrize(
    ("attachment", "expected"),
    [
        (HTML_COPY, ()),  # Teams' html copy of the message body
        (
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "Hi"}]},
            },
            (),
        ),
        ({"contentType": "application/vnd.microsoft.card.hero", "content": {"title": "A link preview"}}, ()),
        ({"contentType": "image/*", "contentUrl": PASTED_IMAGE_URL}, (SharedFile("image", PASTED_IMAGE_URL),)),
        (
            {"contentType": "image/png", "contentUrl": PASTED_IMAGE_URL, "name": "diagram.png"},
            (SharedFile("diagram.png", PASTED_IMAGE_URL),),
        ),
        ({"contentType": "image/png", "contentUrl": "data:image/png;base64,iVBORw0KGgo="}, ()),  # bytes, not a link
        (cv_file(contentUrl=None), (SharedFile(CV.name, CV_DOWNLOAD_URL),)),
        (cv_file(contentUrl=None, content={"uniqueId": "3f0c9b2e", "fileType": "pdf"}), ()),
        (cv_file(name=None), (SharedFile("file", CV.url),)),
        (
            {
                "contentType": "reference",
                "contentUrl": "https://demoorg-my.sharepoint.com/:b:/g/personal/participant_demo_example/EYpp3e7N4p9A",
                "name": "Letter of support.pdf",
            },
            (
                SharedFile(
                    "Letter of support.pdf",
                    "https://demoorg-my.sharepoint.com/:b:/g/personal/participant_demo_example/EYpp3e7N4p9A",
                ),
            ),
        ),
    ],
    ids=[
        "html-body-copy",
        "adaptive-card",
        "hero-card",
        "pasted-image",
        "named-image",
        "data-url-image",
        "no-contentUrl-uses-downloadUrl",
        "no-link-at-all",
        "no-name",
        "onedrive-reference",
    ],
)
def test_an_attachment_is_a_file_only_when_it_is_a_file_or_an_image_with_a_link(attachment, expected):
    assert files_of(with_attachments(attachment)) == expected


def test_the_files_are_kept_in_order_among_the_other_attachments():
    image = {"contentType": "image/*", "contentUrl": PASTED_IMAGE_URL}
    sent = with_attachments(cv_file(), HTML_COPY, image, load_payload("personal_file_attachment")["attachments"][1])
    assert files_of(sent) == (CV, SharedFile("image", PASTED_IMAGE_URL), LETTER)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(PAT, PARTICIPANT, "Pat Participant")
    yield fake
    await fake.stop()


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[RunningServer]:
    async with running_server(sqlite_url) as running:
        yield running


async def test_an_upload_with_no_text_and_no_open_question_is_greeted(server, connector):
    sent = activity("personal_file_attachment", connector)
    assert "text" not in sent
    assert 200 <= await post(server, sent) < 300
    reply = only_reply(connector)
    assert (reply.conversation_id, reply.reply_to) == (PAT_CHAT, sent["id"])
    assert reply.text == "Hi Pat Participant! Type `help` to see what I can do for you."


async def test_a_file_sent_with_a_command_gets_the_commands_answer(server, connector):
    html = {**HTML_COPY, "content": "<p>help</p>"}
    sent = activity("personal_file_attachment", connector, text="help", attachments=[cv_file(), html])
    assert 200 <= await post(server, sent) < 300
    assert "What I can do for you" in only_reply(connector).text


# While applying: Pat applies to SIG-ALICE as a coach, whose third step is the CV, one file.


async def pat_at_the_cv_step(server: RunningServer, connector: FakeBotConnector) -> TeamsUser:
    pat = TeamsUser(server, connector, PAT, "Pat Participant", "Asia/Bangkok", conversation_id=PAT_CHAT)
    assert "(1 of 5) Would you like to take part as coach or partner?" in await pat.say("apply iatul")
    assert "(2 of 4) What areas of expertise" in await pat.click("Coach")
    assert "(3 of 4) Curriculum vitae. Attach the file" in await pat.say("Collections, reference and staff training")
    return pat


def upload(connector: FakeBotConnector, *attachments: dict[str, Any]) -> dict[str, Any]:
    """The payload's upload activity (no text), with these attachments and a fresh id."""
    return activity("personal_file_attachment", connector, attachments=list(attachments), id=next_id("upload-"))


async def test_an_uploaded_file_becomes_the_material_with_its_name_and_lasting_link(server, connector):
    pat = await pat_at_the_cv_step(server, connector)
    text = await pat.send(upload(connector, cv_file(), HTML_COPY))
    assert "Got it: Pat_Participant_CV.pdf." in text and "(4 of 4) A brief statement" in text
    application = await application_of(server, PARTICIPANT, IATUL)
    assert application.materials == {"cv": {"files": [{"name": CV.name, "url": CV.url}], "done": True}}
    assert CV_DOWNLOAD_URL not in str(application.materials)  # the short-lived pre-authorised link is not kept


async def test_two_files_for_a_one_file_material_are_refused_and_nothing_is_kept(server, connector):
    pat = await pat_at_the_cv_step(server, connector)
    text = await pat.send(upload(connector, *UPLOAD["attachments"]))  # the CV and the cover letter at once
    assert "You can give at most 1 for this, and you have given 0; you sent 2 more. Nothing was added." in text
    assert (await application_of(server, PARTICIPANT, IATUL)).materials == {}
    assert "Got it: Pat_Participant_CV.pdf." in await pat.send(upload(connector, cv_file()))  # it still waits


@pytest.mark.parametrize(
    "attachments",
    [
        [HTML_COPY],
        [cv_file(contentUrl=None, content={"uniqueId": "3f0c9b2e", "fileType": "pdf"})],
    ],
    ids=["only-the-html-copy", "file-without-a-link"],
)
async def test_an_upload_without_a_usable_file_asks_for_the_file_and_changes_nothing(server, connector, attachments):
    pat = await pat_at_the_cv_step(server, connector)
    text = await pat.send(upload(connector, *attachments))
    assert "I need the file itself" in text and "Nothing was changed." in text
    assert (await application_of(server, PARTICIPANT, IATUL)).materials == {}
