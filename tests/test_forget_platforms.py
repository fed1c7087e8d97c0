"""`forget me` through the real running server: a signed Slack slash command and click, a Teams card and its
click. Afterwards no table holds the person's email, name, Slack or Teams ids, or their person id; their
coach, on the other platform, is told their pairing ended, without the name."""

import logging

import pytest
from sqlalchemy import select

from storage.models import Person
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import running_server, settle
from tests.test_booking_platforms import cora_on_teams
from tests.test_forget import dump, rows_naming
from tests.test_pair_platforms import connector, fake_slack  # noqa: F401 (fixtures)
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import PARTICIPANT, PAT, PAT_ZONE, TEAM, slack_env
from tests.test_teams import PAT as PAT_TEAMS
from tests.test_teams import PAT_CHAT

PAT_NAME = "Pat Participant"


async def person_id(server, email: str) -> int:  # type: ignore[no-untyped-def]
    async with server.db.transaction() as session:
        return (await session.execute(select(Person.id).where(Person.email == email))).scalar_one()


async def test_forget_me_on_slack_leaves_no_slack_id_and_tells_the_coach_on_teams(
    database_url: str,
    fake_slack: FakeSlackApi,  # noqa: F811
    connector: FakeBotConnector,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        cora = await cora_on_teams(server, connector)
        pat = SlackUser(server, fake_slack, PAT)
        asked = await pat.command("forget me")
        assert "This deletes, for good" in asked
        pat_id = await person_id(server, PARTICIPANT)
        assert PAT in await dump(server.db)  # the Slack account, before
        done = await pat.click("Forget me")
        assert "Done: I have deleted what I held about you" in done
        everything = await dump(server.db)
        for trace in (PARTICIPANT, PAT_NAME, f"{TEAM}:{PAT}", PAT):
            assert trace not in everything, trace
        assert await rows_naming(server.db, pat_id) == {}
        notice = await cora.receives("has left the AAHSL Demo 2026-27 cohort")
        assert "Your participant" in notice and "Pat" not in notice
        await settle(server)
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]  # nothing broke after


async def test_forget_me_on_teams_leaves_no_teams_id(
    database_url: str,
    connector: FakeBotConnector,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
):
    connector.add_member(PAT_TEAMS, PARTICIPANT, PAT_NAME)
    async with running_server(database_url, {}) as server:
        pat = TeamsUser(server, connector, PAT_TEAMS, PAT_NAME, PAT_ZONE, conversation_id=PAT_CHAT)
        asked = await pat.say("forget me")
        assert "This deletes, for good" in asked
        pat_id = await person_id(server, PARTICIPANT)
        assert PAT_TEAMS in await dump(server.db)
        assert "Done: I have deleted what I held about you" in await pat.click("Forget me")
        everything = await dump(server.db)
        for trace in (PARTICIPANT, PAT_NAME, PAT_TEAMS, PAT_CHAT):
            assert trace not in everything, trace
        assert await rows_naming(server.db, pat_id) == {}
        await settle(server)
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]  # nothing broke after
