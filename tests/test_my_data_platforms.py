"""`my data` through the real running server: asked with a signed Slack slash command and in a Teams chat, the
links download the person's own export (JSON that validates, and the plain text), read when opened; an
expired, forged or malformed link gets 404 with words that say what to do, and changes nothing."""

import json
import re
from datetime import timedelta

from jsonschema import Draft202012Validator
from sqlalchemy import select

from adapters.console import ConsoleChat
from storage.models import DataExportLink, Person
from tests.conftest import FIXED_NOW
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server
from tests.test_forget import dump
from tests.test_my_data import SCHEMA
from tests.test_pair_platforms import at, connector, fake_slack  # noqa: F401 (fixtures)
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import PARTICIPANT, PAT, PAT_ZONE, slack_env
from tests.test_teams import PAT as PAT_TEAMS
from tests.test_teams import PAT_CHAT

DANA = "participant2@demo.example"
EXPIRED = "This link is unknown or has expired. Type `my data` for a new one."
LINK = re.compile(r"http://\S+?/my-data/([A-Za-z0-9_-]+)\.json")


async def fetch(server: RunningServer, path: str) -> tuple[int, str, str]:
    async with server.http.get(f"{server.url}{path}") as response:
        return response.status, response.content_type, await response.text()


def token_in(shown: str) -> str:
    found = LINK.search(shown)
    assert found is not None, shown
    return found.group(1)


async def test_my_data_on_slack_downloads_the_persons_own_export(
    database_url: str,
    fake_slack: FakeSlackApi,  # noqa: F811
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        pat = SlackUser(server, fake_slack, PAT)
        shown = await pat.command("my data")
        assert "You: Pat Participant" in shown and "The links work for 15 minutes" in shown
        token = token_in(shown)
        status, kind, body = await fetch(server, f"/my-data/{token}.json")
        assert (status, kind) == (200, "application/json")
        data = json.loads(body)
        assert list(Draft202012Validator(SCHEMA).iter_errors(data)) == []
        assert data["tables"]["persons"]["rows"][0]["email"] == PARTICIPANT
        assert [row["platform"] for row in data["tables"]["accounts"]["rows"]] == ["slack"]
        assert PAT in data["tables"]["accounts"]["rows"][0]["external_id"]
        status, kind, text = await fetch(server, f"/my-data/{token}.txt")
        assert (status, kind) == (200, "text/plain")
        assert text.startswith("What the coaching assistant holds about you") and "you write from Slack" in text
        # Read when opened: a change since the link was made is in the file.
        await pat.command("timezone Asia/Tokyo")
        assert '"timezone": "Asia/Tokyo"' in (await fetch(server, f"/my-data/{token}.json"))[2]
        # After its 15 minutes the link is gone; a forged or malformed one never worked.
        before = await dump(server.db)
        at(server, FIXED_NOW + timedelta(minutes=16))
        for path in (
            f"/my-data/{token}.json",
            f"/my-data/{token}.txt",
            f"/my-data/{'A' * 43}.json",
            "/my-data/..%2F..%2Fetc%2Fpasswd.json",
            f"/my-data/{'x' * 5000}.json",
            "/my-data/%E1%9E%80%E1%9E%81.json",
            f"/my-data/{token}.csv",
        ):
            status, _, answer = await fetch(server, path)
            assert (status, answer) == (404, EXPIRED), path
        assert await dump(server.db) == before


async def test_my_data_on_teams_serves_only_its_maker(
    database_url: str,
    connector: FakeBotConnector,  # noqa: F811
):
    connector.add_member(PAT_TEAMS, PARTICIPANT, "Pat Participant")
    async with running_server(database_url, {}) as server:
        pat = TeamsUser(server, connector, PAT_TEAMS, "Pat Participant", PAT_ZONE, conversation_id=PAT_CHAT)
        shown = await pat.say("my data")
        assert "with Cora Coach in AAHSL Demo 2026-27, active" in shown
        token = token_in(shown)
        status, _, body = await fetch(server, f"/my-data/{token}.json")
        assert status == 200
        data = json.loads(body)
        assert data["tables"]["persons"]["rows"][0]["email"] == PARTICIPANT
        assert any(row["platform"] == "teams" for row in data["tables"]["accounts"]["rows"])
        assert "coordinator@demo.example" not in body and "coach@demo.example" not in body
        # Dana's link, made in her own chat, serves Dana and never Pat: a link is only for its maker.
        dana = ConsoleChat(server.engine, DANA, write=lambda _text: None)
        await dana.say("my data")
        async with server.db.transaction() as session:
            dana_id = (await session.execute(select(Person.id).where(Person.email == DANA))).scalar_one()
            [dana_token] = (
                await session.execute(select(DataExportLink.token).where(DataExportLink.person_id == dana_id))
            ).scalars()
        status, _, body = await fetch(server, f"/my-data/{dana_token}.json")
        assert status == 200
        assert json.loads(body)["tables"]["persons"]["rows"][0]["email"] == DANA and PARTICIPANT not in body
        status, _, text = await fetch(server, f"/my-data/{dana_token}.txt")
        assert "Dana Participant" in text and "Pat Participant" not in text
