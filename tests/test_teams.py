"""Microsoft Teams through the real botbuilder CloudAdapter: Activity JSON posted to the running server's
/api/messages, with `serviceUrl` pointing at a fake Bot Connector on 127.0.0.1 that records the bot's
calls. Only Microsoft's cloud is faked; the adapter, engine and SQLite database are the real ones.

The activities start from the JSON files in tests/payloads/teams/, modelled field for field on what Teams
posts (Microsoft's documented examples): a personal-chat message with its clientInfo entity, an older
card's Action.Submit click, a channel message with an <at> mention, and the install's conversationUpdate.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.test_utils import make_mocked_request
from botbuilder.schema import Activity
from sqlalchemy import func, select

from adapters.teams.app import MESSAGES_PATH, CoachingBot, build_adapter, messages_handler
from adapters.teams.card_state import CARD_KEY
from adapters.teams.inbound import ACTION_KEY, CHOICE_KEY, from_message
from adapters.teams.render import MAX_CARD_BUTTONS, card, render
from bot.config import TeamsSettings
from bot.messages import Button, Reply
from server import TEAMS_SENDER
from storage.models import Account, DialogState, Person
from tests.fakes.bot_connector import FakeBotConnector, Sent, message_activity
from tests.server import RunningServer, running_server

PAYLOADS = Path(__file__).parent / "payloads" / "teams"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
ANONYMOUS = TeamsSettings(app_id=None, app_password=None, app_type="MultiTenant", tenant_id=None)


def load_payload(name: str) -> dict[str, Any]:
    """A fresh copy of an activity from tests/payloads/teams/."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


PERSONAL, CHANNEL, INSTALL = (
    load_payload("personal_message"),
    load_payload("channel_mention"),
    load_payload("members_added"),
)
PAT, PAT_CHAT = PERSONAL["from"]["id"], PERSONAL["conversation"]["id"]  # participant@demo.example
CORA, TEAM_CHANNEL = CHANNEL["from"]["id"], CHANNEL["conversation"]["id"]  # coach@demo.example
TEAM = CHANNEL["channelData"]["team"]["id"]
SOKHA, SOKHA_CHAT = INSTALL["from"]["id"], INSTALL["conversation"]["id"]  # partner@demo.example


def activity(name: str, connector: FakeBotConnector, **fields: Any) -> dict[str, Any]:
    """An activity from tests/payloads/teams/ whose answers go to the fake connector, some fields changed."""
    return {**load_payload(name), "serviceUrl": connector.service_url, **fields}


def without_timezone(sent: dict[str, Any]) -> dict[str, Any]:
    """The activity as an install event or an older client sends it: no zone anywhere."""
    sent.pop("localTimezone", None)
    for entity in sent.get("entities", []):
        entity.pop("timezone", None)
    return sent


async def post(
    server: RunningServer,
    body: dict[str, Any] | str,
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> int:
    """POST one activity (or raw text) to /api/messages as the Bot Framework service would; the status."""
    data = body if isinstance(body, str) else json.dumps(body)
    async with server.http.post(
        server.url + MESSAGES_PATH, data=data, headers={"Content-Type": content_type, **(headers or {})}
    ) as response:
        await response.read()
        return response.status


async def accounts(server: RunningServer) -> list[Account]:
    async with server.db.transaction() as session:
        return list((await session.execute(select(Account).order_by(Account.id))).scalars())


async def person(server: RunningServer, email: str) -> Person:
    async with server.db.transaction() as session:
        return (await session.execute(select(Person).where(Person.email == email))).scalar_one()


async def email_of(server: RunningServer, account: Account) -> str:
    async with server.db.transaction() as session:
        return (await session.get_one(Person, account.person_id)).email


def only_reply(connector: FakeBotConnector) -> Sent:
    assert len(connector.sent) == 1, [s.text for s in connector.sent]
    return connector.sent[0]


def choice_set(adaptive_card: dict[str, Any]) -> dict[str, Any] | None:
    return next((item for item in adaptive_card["body"] if item["type"] == "Input.ChoiceSet"), None)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(PAT, "participant@demo.example", "Pat Participant")
    fake.add_member(CORA, "coach@demo.example", "Cora Coach")
    fake.add_member(SOKHA, "partner@demo.example", "Sokha Partner")
    yield fake
    await fake.stop()


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[RunningServer]:
    async with running_server(sqlite_url) as running:
        yield running


async def test_help_in_a_personal_chat_links_the_account_and_keeps_only_the_address(server, connector):
    sent = activity("personal_message", connector)
    assert 200 <= await post(server, sent) < 300
    reply = only_reply(connector)
    assert (reply.conversation_id, reply.reply_to) == (PAT_CHAT, sent["id"])
    assert ("POST", f"/v3/conversations/{PAT_CHAT}/activities/{sent['id']}") in connector.requests
    assert reply.activity["textFormat"] == "markdown"
    assert reply.text.startswith("**What I can do for you**")
    assert "`timezone [ZONE|auto]`: see or change the time zone" in reply.text
    assert "`help [VERB]`" in reply.text
    assert ("GET", f"/v3/conversations/{PAT_CHAT}/members/{PAT}") in connector.requests

    [account] = await accounts(server)
    assert (account.platform, account.external_id) == ("teams", PAT)
    assert await email_of(server, account) == "participant@demo.example"
    reference = account.conversation_ref
    assert reference is not None
    assert reference["serviceUrl"] == connector.service_url
    assert reference["conversation"]["id"] == PAT_CHAT
    assert reference["user"]["id"] == PAT and reference["channelId"] == "msteams"
    assert "text" not in reference and "activityId" not in reference
    assert "help" not in json.dumps(reference)


@pytest.mark.parametrize(
    ("local_timezone", "client_info_timezone", "expected"),
    [("Asia/Bangkok", None, "Asia/Bangkok"), (None, "Europe/Berlin", "Europe/Berlin")],
    ids=["localTimezone", "clientInfo"],
)
async def test_the_zone_teams_reports_becomes_the_persons_zone(
    server, connector, local_timezone, client_info_timezone, expected
):
    assert (await person(server, "participant@demo.example")).timezone == "America/Los_Angeles"
    sent = without_timezone(activity("personal_message", connector, text="me"))
    if local_timezone:
        sent["localTimezone"] = local_timezone
    if client_info_timezone:
        sent["entities"][0]["timezone"] = client_info_timezone
    assert 200 <= await post(server, sent) < 300
    assert f"{expected.split('/')[1]} time" in only_reply(connector).text  # "Bangkok time"
    assert (await person(server, "participant@demo.example")).timezone == expected
    [account] = await accounts(server)
    assert account.platform_timezone == expected


async def test_a_zone_the_person_chose_is_not_overridden_by_teams(server, connector):
    await post(server, activity("personal_message", connector, text="timezone Europe/Paris"))
    await post(server, activity("personal_message", connector, text="me", id="1795446009999"))
    pat = await person(server, "participant@demo.example")
    assert (pat.timezone, pat.timezone_chosen) == ("Europe/Paris", True)
    [account] = await accounts(server)
    assert account.platform_timezone == "Asia/Bangkok"  # kept for `timezone auto`


async def test_seven_zone_choices_become_a_drop_down_whose_answer_comes_back(server, connector):
    await post(server, activity("personal_message", connector, text="timezone"))
    shown = only_reply(connector).card
    assert shown is not None
    choices = choice_set(shown)
    assert choices is not None and choices["id"] == CHOICE_KEY
    titles = [choice["title"] for choice in choices["choices"]]
    assert len(titles) == 7 > MAX_CARD_BUTTONS
    assert titles[-2:] == ["Phnom Penh", "Use my chat profile's zone"]
    [send] = shown["actions"]
    assert (send["type"], send["title"], send["verb"], set(send["data"])) == (
        "Action.Execute",
        "Send",
        "coaching",
        {CARD_KEY},
    )

    phnom_penh = next(choice["value"] for choice in choices["choices"] if choice["title"] == "Phnom Penh")
    connector.sent.clear()
    click = activity("card_submit", connector, value={CHOICE_KEY: phnom_penh})
    assert "text" not in click
    assert 200 <= await post(server, click) < 300
    assert "Done: your time zone is now Asia/Phnom_Penh (Phnom Penh time)" in only_reply(connector).text
    pat = await person(server, "participant@demo.example")
    assert (pat.timezone, pat.timezone_chosen) == ("Asia/Phnom_Penh", True)


async def test_six_zone_choices_become_buttons_whose_click_comes_back(server, connector):
    await post(server, without_timezone(activity("personal_message", connector, text="timezone")))
    shown = only_reply(connector).card
    assert shown is not None and choice_set(shown) is None
    assert [(action["type"], action["verb"]) for action in shown["actions"]] == [("Action.Execute", "coaching")] * 6
    assert all(set(action["data"]) == {ACTION_KEY, CARD_KEY} for action in shown["actions"])
    london = next(action for action in shown["actions"] if action["title"] == "London")

    connector.sent.clear()
    await post(server, without_timezone(activity("card_submit", connector, value=london["data"])))
    assert "Done: your time zone is now Europe/London (London time)" in only_reply(connector).text
    assert (await person(server, "participant@demo.example")).timezone == "Europe/London"


@pytest.mark.parametrize("buttons", [MAX_CARD_BUTTONS, MAX_CARD_BUTTONS + 1])
def test_a_reply_renders_as_an_adaptive_card(buttons):
    reply = Reply(
        "Pick *one* of these",
        title="Choose",
        lines=("first *line*",),
        buttons=tuple(Button(f"Option {n}", f"dialog:{n}") for n in range(buttons)),
    )
    rendered = card(reply)
    assert rendered["version"] == "1.5" and "refresh" not in rendered  # a card asking no open question
    texts = [item["text"] for item in rendered["body"] if item["type"] == "TextBlock"]
    assert texts == ["Choose", "Pick **one** of these", "- first **line**"]
    if buttons <= MAX_CARD_BUTTONS:
        kept = {
            "title": "Choose",
            "text": "Pick *one* of these",
            "lines": ["first *line*"],
            "buttons": [[f"Option {n}", f"dialog:{n}", "default"] for n in range(buttons)],
        }
        assert rendered["actions"] == [
            {
                "type": "Action.Execute",
                "title": f"Option {n}",
                "verb": "coaching",
                "data": {ACTION_KEY: f"dialog:{n}", CARD_KEY: kept},
            }
            for n in range(buttons)
        ]
        assert choice_set(rendered) is None
    else:
        choices = choice_set(rendered)
        assert choices is not None
        assert [c["value"] for c in choices["choices"]] == [f"dialog:{n}" for n in range(buttons)]
        assert choices["value"] == "dialog:0"  # something is always chosen, so Send always answers
        assert [(a["type"], a["title"], a["verb"]) for a in rendered["actions"]] == [
            ("Action.Execute", "Send", "coaching")
        ]
    [attachment] = render(reply).attachments
    assert (attachment.content_type, attachment.content) == (ADAPTIVE_CARD, rendered)


def test_a_reply_without_buttons_is_markdown_text():
    rendered = render(Reply("It is *now*", title="Time", lines=("a", "b")))
    assert (rendered.text, rendered.text_format) == ("**Time**\n\nIt is **now**\n\n- a\n\n- b", "markdown")
    assert not rendered.attachments


def test_an_at_mention_is_stripped_from_a_channel_message(connector):
    message = from_message(Activity().deserialize(activity("channel_mention", connector)))
    assert (message.text, message.private, message.address) == ("help", False, None)


async def test_in_a_channel_nothing_private_is_said_and_the_channel_is_no_address(server, connector):
    assert 200 <= await post(server, activity("channel_mention", connector)) < 300
    reply = only_reply(connector)
    assert reply.conversation_id == TEAM_CHANNEL
    assert "only answer in a one-to-one chat" in reply.text
    assert "AAHSL" not in reply.text and "@" not in reply.text  # no roles, no email in front of the team
    assert connector.member_lookups == [] and await accounts(server) == []

    cora_chat = "a:1Cw8Nq5Xr2Tb7Lk0Vz4Hm9Pd3Js6Fg1Ya8Ue5Io2Oc7Kb4Wn9Mx0Rt3Ey6Qu1Sp5Dh8Gj2"
    await post(server, message_activity(connector.service_url, CORA, text="me", conversation_id=cora_chat))
    await post(server, activity("channel_mention", connector, id="1795446399999"))
    [account] = await accounts(server)
    assert await email_of(server, account) == "coach@demo.example"
    assert account.conversation_ref is not None and account.conversation_ref["conversation"]["id"] == cora_chat
    assert len(connector.sent) == 3


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (lambda url: '{"type": "message", "text": "help"', "application/json", 400),
        (lambda url: json.dumps({"text": "help", "serviceUrl": url}), "application/json", 400),
        (lambda url: json.dumps([{"type": "message"}]), "application/json", 400),
        (lambda url: json.dumps({"type": "message", "text": "help"}), "application/json", 400),
        (lambda url: json.dumps({**load_payload("personal_message"), "serviceUrl": url}), "text/plain", 415),
    ],
    ids=["malformed-json", "no-type", "not-an-object", "no-conversation", "wrong-content-type"],
)
async def test_a_request_that_is_not_an_activity_is_refused_and_changes_nothing(
    server, connector, body: Callable[[str], str], content_type, status
):
    assert await post(server, body(connector.service_url), content_type=content_type) == status
    assert await accounts(server) == []
    assert connector.requests == []


async def test_with_an_app_id_a_request_without_a_token_is_401(sqlite_url, connector):
    env = {"MICROSOFT_APP_ID": "0e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "MICROSOFT_APP_PASSWORD": "not-a-secret"}
    async with running_server(sqlite_url, env) as server:
        assert await post(server, activity("personal_message", connector)) == 401
        assert await accounts(server) == []
    assert connector.requests == []


def request_from(peer: str, body: dict[str, Any], headers: Mapping[str, str]) -> web.Request:
    """A request as aiohttp builds it, from a chosen network peer: the one thing a loopback server can't do."""
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (peer, 5000) if key == "peername" else default
    payload = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop())
    payload.feed_data(json.dumps(body).encode())
    payload.feed_eof()
    return make_mocked_request(
        "POST",
        MESSAGES_PATH,
        headers={"Content-Type": "application/json", **headers},
        transport=transport,
        payload=payload,
    )


@pytest.mark.parametrize(
    ("peer", "headers", "status"),
    [
        ("203.0.113.7", {}, 401),
        ("2001:db8::7", {}, 401),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}, 401),  # a local proxy or tunnel relaying
        ("127.0.0.1", {}, 201),
        ("::1", {}, 201),
        ("::ffff:127.0.0.1", {}, 201),
    ],
)
async def test_anonymous_mode_answers_only_callers_on_this_machine(server, connector, peer, headers, status):
    handler = messages_handler(build_adapter(ANONYMOUS), CoachingBot(server.engine), ANONYMOUS)
    response = await handler(request_from(peer, activity("personal_message", connector), headers))
    assert response.status == status
    if status == 401:
        assert connector.requests == [] and await accounts(server) == []
    else:
        assert "What I can do for you" in only_reply(connector).text
        assert len(await accounts(server)) == 1


async def test_the_emulator_names_its_user_by_email_without_a_member_look_up(server, connector):
    sent = message_activity(
        connector.service_url, "3e1f0c2a-user", text="help", channel_id="emulator", user_name="participant@demo.example"
    )
    sent["conversation"] = {"id": "7a9c1e3f-5b2d-4f8a-9c0e-1d2f3a4b5c6d|livechat"}  # no type, as the Emulator sends
    assert 200 <= await post(server, sent) < 300
    assert "participant in AAHSL Demo 2026-27" in only_reply(connector).text
    assert connector.member_lookups == []
    [account] = await accounts(server)
    assert await email_of(server, account) == "participant@demo.example"
    assert account.conversation_ref is not None and account.conversation_ref["channelId"] == "emulator"


async def test_a_name_typed_into_web_chat_is_not_trusted_as_an_email(server, connector):
    sent = message_activity(
        connector.service_url, "dl_intruder", text="help", channel_id="webchat", user_name="coordinator@demo.example"
    )
    assert 200 <= await post(server, sent) < 300
    assert "couldn't read an email address" in only_reply(connector).text
    assert await accounts(server) == []


async def test_the_bot_can_write_first_with_the_stored_reference(server, connector):
    await post(server, activity("personal_message", connector))
    [account] = await accounts(server)
    assert account.conversation_ref is not None
    connector.sent.clear()

    await server.web_app[TEAMS_SENDER].send(account.conversation_ref, [Reply("hello", title="Reminder")])
    proactive = only_reply(connector)
    assert (proactive.conversation_id, proactive.reply_to) == (PAT_CHAT, None)
    assert ("POST", f"/v3/conversations/{PAT_CHAT}/activities") in connector.requests
    assert proactive.text == "**Reminder**\n\nhello"
    assert proactive.activity["recipient"]["id"] == PAT


@pytest.mark.parametrize(
    ("member", "answer"),
    [
        (None, "couldn't reach Teams to look up your profile just now. Please try again"),
        ({"email": None, "upn": "pat_example.org#EXT#@demoorg.onmicrosoft.com"}, "make your email visible to apps"),
    ],
    ids=["look-up-fails", "guest-without-email"],
)
async def test_an_account_teams_cannot_tell_us_about_gets_a_clear_answer(server, connector, member, answer):
    stranger = "29:1Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7Mm6Ll5Kk4Jj3Ii2Hh1Gg0Ff9Ee8Dd7Cc6Bb5Aa4"
    if member is not None:
        connector.add_member(stranger, member["email"], "A Guest", upn=member["upn"])
    sent = activity("personal_message", connector, **{"from": {"id": stranger, "name": "A Guest"}})
    assert 200 <= await post(server, sent) < 300
    assert answer in only_reply(connector).text
    assert connector.member_lookups == [stranger]
    assert await accounts(server) == []


async def test_installing_the_bot_greets_the_person_and_keeps_the_address(server, connector):
    assert 200 <= await post(server, activity("members_added", connector)) < 300
    greeting = only_reply(connector)  # one: the bot itself, also in membersAdded, is not greeted
    assert greeting.conversation_id == SOKHA_CHAT
    assert greeting.text == "Hi Sokha Partner! Type `help` to see what I can do for you."
    assert connector.member_lookups == [SOKHA]
    [account] = await accounts(server)
    assert (account.external_id, await email_of(server, account)) == (SOKHA, "partner@demo.example")
    assert account.conversation_ref is not None
    assert account.conversation_ref["conversation"]["id"] == SOKHA_CHAT
    assert account.conversation_ref["serviceUrl"] == connector.service_url


async def test_someone_joining_a_team_is_not_greeted_in_front_of_the_team(server, connector):
    joined = activity(
        "members_added",
        connector,
        membersAdded=[{"id": SOKHA}],
        conversation={"isGroup": True, "conversationType": "channel", "id": TEAM},
        channelData={"team": {"id": TEAM}, "eventType": "teamMemberAdded", "tenant": INSTALL["channelData"]["tenant"]},
    )
    assert 200 <= await post(server, joined) < 300
    assert connector.requests == []
    assert await accounts(server) == []


async def test_an_open_question_survives_a_server_restart(sqlite_url, connector):
    async with running_server(sqlite_url) as before:
        await post(before, activity("personal_message", connector, text="timezone"))
        assert only_reply(connector).card is not None
    connector.sent.clear()
    async with running_server(sqlite_url) as after:
        await post(after, activity("personal_message", connector, text="Phnom Penh", id="1795446077777"))
        assert "Done: your time zone is now Asia/Phnom_Penh (Phnom Penh time)" in only_reply(connector).text
        async with after.db.transaction() as session:
            assert (await session.execute(select(func.count()).select_from(DialogState))).scalar_one() == 0


async def test_a_reply_that_fails_to_arrive_gets_an_apology_that_does_not_claim_nothing_changed(server, connector):
    connector.failures.append((502, {}))
    await post(server, activity("personal_message", connector, text="timezone Asia/Phnom_Penh"))
    apology = only_reply(connector)
    assert apology.text.startswith("Sorry, something went wrong on my side")
    assert "nothing was changed" not in apology.text.lower()
    assert (await person(server, "participant@demo.example")).timezone == "Asia/Phnom_Penh"  # the turn committed
