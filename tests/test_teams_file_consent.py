"""Files the assistant sends in a Teams personal chat, the Teams way: a FileConsentCard, then the person's
answer as the invoke `fileConsent/invoke` (adapters/teams/file_consent.py).

Through the running server on both databases: Cora (coach@demo.example, on Teams) books a session with
Sokha and gets its calendar invitation offered as a file. Her accept is posted as Teams posts it (the
shape of Microsoft's "Send and receive files using bot" page), with an `uploadUrl` on a fake upload
session on 127.0.0.1 standing in for OneDrive; her answers go to the fake Bot Connector. What she gets is
checked against what the server's own /calendar link serves.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from adapters.teams.file_consent import DECLINED, NOT_YOURS, UPLOAD_FAILED, consent_of, upload_allowed
from adapters.teams.render import render
from bot.messages import OfferedFile, Reply
from bot.outbox.queueing import _to_json, reply_of
from tests.fakes import serve_on_loopback
from tests.fakes.bot_connector import FakeBotConnector, Sent, message_activity
from tests.server import FIXED_NOW, RunningServer, running_server, settle
from tests.test_booking_platforms import CALENDAR_LINK, sessions_in
from tests.test_selection_platforms import IATUL, TeamsUser, application_of, next_id, outbox_of
from tests.test_teams import CORA, PAT, PAT_CHAT
from tests.test_teams_files import CV, cv_file, pat_at_the_cv_step, upload

CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
CORA_EMAIL, SOKHA_EMAIL = "coach@demo.example", "partner@demo.example"
CORA_ZONE = "America/New_York"
BOOK = "book with Sokha 2 December 2026 09:00"  # Wednesday, the first hour of Cora's default hours
ONEDRIVE_FILE = "https://demoorg-my.sharepoint.com/personal/coach_demo_example/Documents/Applications/{name}"


@dataclass
class FakeUploadSession:
    """OneDrive's upload session for one accepted file: takes PUTs at /upload/{n}, answering `status`."""

    status: int = 201
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_put("/upload/{n}", self._put)
        self._runner, port = await serve_on_loopback(app)
        self.url = f"http://127.0.0.1:{port}/upload/1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _put(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), dict(request.headers)))
        return web.json_response({"id": "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K"}, status=self.status)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(CORA, CORA_EMAIL, "Cora Coach")
    fake.add_member(PAT, "participant@demo.example", "Pat Participant")
    yield fake
    await fake.stop()


@pytest.fixture
async def onedrive() -> AsyncIterator[FakeUploadSession]:
    fake = FakeUploadSession()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[RunningServer]:
    async with running_server(database_url) as running:
        yield running


def without_stamp(ics: bytes) -> list[bytes]:
    """The invitation's lines but the DTSTAMP, which says when the file was made."""
    return [line for line in ics.split(b"\r\n") if not line.startswith(b"DTSTAMP:")]


def consent_card(sent: Sent) -> dict[str, Any]:
    [card] = [a for a in sent.activity.get("attachments") or [] if a.get("contentType") == CONSENT]
    return card


async def cora_books(server: RunningServer, connector: FakeBotConnector) -> tuple[TeamsUser, dict[str, Any], bytes]:
    """Cora books in her Teams chat; her consent card and the invitation's bytes as the link serves them."""
    cora = TeamsUser(server, connector, CORA, "Cora Coach", CORA_ZONE)
    text = await cora.say(BOOK)
    assert "Booked:" in text and "Calendar invitation:" in text  # the link stays, for a browser
    [booked] = [s for s in connector.sent if s.conversation_id == cora.conversation_id and "Booked:" in s.text]
    found = CALENDAR_LINK.search(booked.text)
    assert found
    async with server.http.get(f"{server.url}/calendar/{found['token']}.ics") as response:
        assert response.status == 200
        ics = await response.read()
    return cora, consent_card(booked), ics


def consent_answer(cora: TeamsUser, action: str, context: Any, upload_url: str, name: str) -> dict[str, Any]:
    """The invoke Teams posts when the person clicks Allow (accept) or Decline on the card."""
    sent = message_activity(
        cora.connector.service_url,
        cora.user_id,
        conversation_id=cora.conversation_id,
        user_name=cora.name,
        activity_id=next_id("invoke-"),
    )
    value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": context}
    if action == "accept":
        value["uploadInfo"] = {
            "contentUrl": ONEDRIVE_FILE.format(name=name),
            "name": name,
            "uploadUrl": upload_url,
            "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
            "fileType": "ics",
            "etag": "123",
        }
    del sent["text"]
    return {**sent, "type": "invoke", "name": "fileConsent/invoke", "value": value}


async def post_invoke(server: RunningServer, body: dict[str, Any]) -> tuple[int, str]:
    async with server.http.post(
        f"{server.url}/api/messages", data=json.dumps(body), headers={"Content-Type": "application/json"}
    ) as response:
        return response.status, await response.text()


def answers_to(connector: FakeBotConnector, invoke: dict[str, Any]) -> list[Sent]:
    return [s for s in connector.sent if s.reply_to == invoke["id"]]


async def test_a_booking_offers_its_invitation_as_a_file_whose_accept_puts_the_bytes_in_onedrive(
    server, connector, onedrive
):
    cora, card, ics = await cora_books(server, connector)
    [booked] = await sessions_in(server)
    assert card["name"] == f"coaching-session-{booked.starts_at:%Y-%m-%d}.ics"
    assert card["content"]["sizeInBytes"] == len(ics)
    assert (
        card["content"]["acceptContext"]
        == card["content"]["declineContext"]
        == {"ref": f"calendar:session:{booked.id}"}
    )
    assert "coaching session" in card["content"]["description"]

    invoke = consent_answer(cora, "accept", card["content"]["acceptContext"], onedrive.url, card["name"])
    assert await post_invoke(server, invoke) == (200, "null")
    [(body, headers)] = onedrive.received
    # The invitation as the link serves it, stamped with the engine's clock rather than the wall clock.
    assert without_stamp(body) == without_stamp(ics) and len(body) == len(ics)
    assert f"DTSTAMP:{FIXED_NOW:%Y%m%dT%H%M%SZ}".encode() in body
    assert headers["Content-Range"] == f"bytes 0-{len(ics) - 1}/{len(ics)}"
    assert headers["Content-Length"] == str(len(ics))
    [answer] = answers_to(connector, invoke)
    assert answer.text == f"Here it is: {card['name']}."
    [info] = answer.activity["attachments"]
    assert info == {
        "contentType": FILE_INFO,
        "contentUrl": ONEDRIVE_FILE.format(name=card["name"]),
        "name": card["name"],
        "content": {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": "ics"},
    }


async def test_the_partner_told_through_the_outbox_is_offered_the_same_file(server, connector):
    """Sokha has never written on any platform, so her notice waits in the outbox, with the file's ref."""
    _, card, _ = await cora_books(server, connector)
    await settle(server)
    [told] = [m for m in await outbox_of(server, SOKHA_EMAIL) if m.kind == "booking"]
    assert told.reply["file"] == {
        "name": card["name"],
        "description": card["content"]["description"],
        "size": card["content"]["sizeInBytes"],
        "ref": card["content"]["acceptContext"]["ref"],
    }


async def test_decline_is_answered_and_nothing_is_uploaded(server, connector, onedrive):
    cora, card, _ = await cora_books(server, connector)
    invoke = consent_answer(cora, "decline", card["content"]["declineContext"], onedrive.url, card["name"])
    assert (await post_invoke(server, invoke))[0] == 200
    assert [s.text for s in answers_to(connector, invoke)] == [DECLINED]
    assert onedrive.received == []


@pytest.mark.parametrize(
    "context",
    [
        {"ref": "calendar:session:999999"},  # no such session
        {"ref": "calendar:session:99999999999999999999999"},  # past the key's range
        {"ref": "calendar:session:-1"},
        {"ref": "calendar:session:１"},  # a digit, but not an ASCII one
        {"ref": "calendar:group:1"},
        {"ref": "calendar:session"},
        {"ref": 1},
        {"ref": "x" * 500},
        {},
        None,
        "calendar:session:1",
    ],
    ids=[
        "no-session",
        "huge-id",
        "negative",
        "fullwidth-digit",
        "other-kind",
        "no-id",
        "number",
        "long",
        "empty",
        "null",
        "string",
    ],
)
async def test_a_made_up_context_gets_a_clear_answer_and_nothing_is_uploaded(server, connector, onedrive, context):
    cora, card, _ = await cora_books(server, connector)
    invoke = consent_answer(cora, "accept", context, onedrive.url, card["name"])
    assert (await post_invoke(server, invoke))[0] == 200
    assert [s.text for s in answers_to(connector, invoke)] == [NOT_YOURS]
    assert onedrive.received == []


async def test_someone_elses_session_is_not_sent_to_them(server, connector, onedrive):
    """Pat copies the context of Cora's card into his own accept: he is not in that session's pair."""
    _, card, _ = await cora_books(server, connector)
    pat = TeamsUser(server, connector, PAT, "Pat Participant", "America/Los_Angeles", conversation_id=PAT_CHAT)
    assert "What I can do for you" in await pat.say("help")
    invoke = consent_answer(pat, "accept", card["content"]["acceptContext"], onedrive.url, card["name"])
    assert (await post_invoke(server, invoke))[0] == 200
    assert [s.text for s in answers_to(connector, invoke)] == [NOT_YOURS]
    assert onedrive.received == []

    stranger = TeamsUser(server, connector, "29:never-wrote", "Nobody", "UTC")  # no account at all
    invoke = consent_answer(stranger, "accept", card["content"]["acceptContext"], onedrive.url, card["name"])
    assert (await post_invoke(server, invoke))[0] == 200
    assert [s.text for s in answers_to(connector, invoke)] == [NOT_YOURS]
    assert onedrive.received == []


@pytest.mark.parametrize("status", [500, 403, 416])
async def test_an_upload_onedrive_refuses_gets_a_clear_answer(server, connector, onedrive, status):
    onedrive.status = status
    cora, card, ics = await cora_books(server, connector)
    invoke = consent_answer(cora, "accept", card["content"]["acceptContext"], onedrive.url, card["name"])
    assert (await post_invoke(server, invoke))[0] == 200
    assert [s.text for s in answers_to(connector, invoke)] == [UPLOAD_FAILED]
    # It was tried once, and no file card claims it arrived.
    assert [without_stamp(body) for body, _ in onedrive.received] == [without_stamp(ics)]


@pytest.mark.parametrize(
    "upload_url",
    ["http://198.51.100.7/upload/1", "ftp://127.0.0.1/upload/1", "not a url", "unreachable"],
)
async def test_an_upload_url_that_is_not_onedrives_or_is_unreachable_gets_a_clear_answer(
    server, connector, onedrive, upload_url
):
    cora, card, _ = await cora_books(server, connector)
    if upload_url == "unreachable":
        await onedrive.stop()  # the port closes: the connection is refused
        upload_url = onedrive.url
    invoke = consent_answer(cora, "accept", card["content"]["acceptContext"], upload_url, card["name"])
    assert (await post_invoke(server, invoke))[0] == 200
    assert [s.text for s in answers_to(connector, invoke)] == [UPLOAD_FAILED]
    assert onedrive.received == []


@pytest.mark.parametrize(
    "value",
    [None, "accept", {"type": "fileUpload"}, {"type": "fileUpload", "action": "maybe"}, {"action": ["accept"]}],
    ids=["none", "string", "no-action", "unknown-action", "list-action"],
)
async def test_a_consent_invoke_that_is_no_answer_is_refused_plainly(server, connector, onedrive, value):
    cora, card, _ = await cora_books(server, connector)
    invoke = consent_answer(cora, "accept", card["content"]["acceptContext"], onedrive.url, card["name"])
    invoke["value"] = value
    if value is None:
        del invoke["value"]
    assert (await post_invoke(server, invoke))[0] == 400
    assert answers_to(connector, invoke) == [] and onedrive.received == []


async def test_a_card_accepted_after_the_session_was_cancelled_gives_the_invitation_as_it_is_now(
    server, connector, onedrive
):
    cora, card, first = await cora_books(server, connector)
    assert "Your upcoming sessions" in await cora.say("sessions")
    assert "Cancelled:" in await cora.click("Cancel 1")
    invoke = consent_answer(cora, "accept", card["content"]["acceptContext"], onedrive.url, card["name"])
    assert (await post_invoke(server, invoke))[0] == 200
    [(body, _)] = onedrive.received
    assert b"METHOD:REQUEST" in first and b"METHOD:CANCEL" in body  # the calendar removes the event


async def test_moving_the_session_offers_the_updated_invitation(server, connector, onedrive):
    cora, booked_card, _ = await cora_books(server, connector)
    assert "Your upcoming sessions" in await cora.say("sessions")
    assert "When should the session" in await cora.click("Move 1")
    moved = await cora.say("3 December 2026 09:00")
    assert "Moved:" in moved
    [answer] = [s for s in connector.sent if s.conversation_id == cora.conversation_id and "Moved:" in s.text]
    card = consent_card(answer)
    assert card["content"]["acceptContext"] == booked_card["content"]["acceptContext"]  # the same event
    invoke = consent_answer(cora, "accept", card["content"]["acceptContext"], onedrive.url, card["name"])
    assert (await post_invoke(server, invoke))[0] == 200
    [(body, _)] = onedrive.received
    assert len(body) == card["content"]["sizeInBytes"]
    assert b"SEQUENCE:1" in body and b"DTSTART:20261203T140000Z" in body


async def test_an_applicant_attaches_a_file_in_the_personal_chat_on_either_database(server, connector):
    """The other direction, which supportsFiles enables: the download.info attachment Teams sends for an
    upload (as Microsoft documents it: contentUrl, name, content.downloadUrl, uniqueId, fileType) answers
    the application's CV question (tests/test_teams_files.py has the rest, on SQLite)."""
    pat = await pat_at_the_cv_step(server, connector)
    text = await pat.send(upload(connector, cv_file()))
    assert "Got it: Pat_Participant_CV.pdf." in text
    application = await application_of(server, "participant@demo.example", IATUL)
    assert application.materials == {"cv": {"files": [{"name": CV.name, "url": CV.url}], "done": True}}


# Without the server: the pure parts


def test_a_reply_with_a_file_renders_text_and_a_consent_card_and_survives_the_outbox():
    offered = OfferedFile("coaching-session-2026-12-02.ics", "An invitation", 812, "calendar:session:7")
    reply = Reply("Booked.", lines=("Calendar invitation: https://example.org/calendar/x.ics",), file=offered)
    activity = render(reply).serialize()
    assert "Booked." in activity["text"]
    assert activity["attachments"] == [
        {
            "contentType": CONSENT,
            "name": offered.name,
            "content": {
                "description": "An invitation",
                "sizeInBytes": 812,
                "acceptContext": {"ref": "calendar:session:7"},
                "declineContext": {"ref": "calendar:session:7"},
            },
        }
    ]
    assert reply_of(_to_json(reply)) == reply
    assert "file" not in _to_json(Reply("No file."))  # rows without a file keep their shape


@pytest.mark.parametrize(
    ("upload_url", "service_url", "allowed"),
    [
        ("https://demoorg-my.sharepoint.com/upload?x=1", "https://smba.trafficmanager.net/amer/", True),
        ("http://demoorg-my.sharepoint.com/upload", "https://smba.trafficmanager.net/amer/", False),
        ("http://127.0.0.1:5000/upload", "https://smba.trafficmanager.net/amer/", False),
        ("http://127.0.0.1:5000/upload", "http://127.0.0.1:6000/", True),  # the Emulator, the tests
        ("http://localhost/upload", "http://localhost:6000/", True),
        ("http://10.0.0.1/upload", "http://127.0.0.1:6000/", False),
        ("https:///upload", "https://smba.trafficmanager.net/amer/", False),
        ("http://[::1/upload", "http://127.0.0.1:6000/", False),
        ("file:///etc/passwd", "http://127.0.0.1:6000/", False),
    ],
)
def test_uploads_go_only_to_https_or_to_this_machine_in_anonymous_mode(upload_url, service_url, allowed):
    assert upload_allowed(upload_url, service_url) is allowed


def test_a_decline_needs_no_upload_info_and_a_wrong_type_is_absent():
    declined = consent_of({"type": "fileUpload", "action": "decline", "context": {"ref": "calendar:session:1"}})
    assert declined is not None and (declined.accepted, declined.ref) == (False, "calendar:session:1")
    accepted = consent_of({"action": "accept", "context": {"ref": "r"}, "uploadInfo": {"uploadUrl": 5, "name": ""}})
    assert accepted is not None and (accepted.upload_url, accepted.name) == (None, None)
