"""Coach hours through the real server: a signed Slack slash command logs time, and the same coach reads
the month on Teams; a coordinator on Slack sees the coach's total."""

from sqlalchemy import select

from storage.models import HourEntry
from tests.server import running_server
from tests.test_relay_platforms import CORA_SLACK, CORA_TEAMS, slack_api, teams_api  # noqa: F401 (fixtures)
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import slack_env

CASEY_SLACK = "U07CASEY001"


async def test_log_on_slack_and_read_on_teams(database_url, slack_api, teams_api):  # noqa: F811
    slack_api.add_user(CASEY_SLACK, "coordinator@demo.example", "Casey Coordinator", "America/Chicago")
    async with running_server(database_url, slack_env(slack_api)) as server:
        cora_slack = SlackUser(server, slack_api, CORA_SLACK)
        answer = await cora_slack.command("log 90m answering questions yesterday")
        assert "Logged 1h 30m of answering questions on 22 November 2026 for SIG-ALICE coaching" in answer
        assert "Nothing was logged" in await cora_slack.command("log 0h resources")
        cora_teams = TeamsUser(server, teams_api, CORA_TEAMS, "Cora Coach", "America/New_York")
        shown = await cora_teams.say("hours")
        assert "November 2026 so far: 1h 30m, under" in shown
        casey = SlackUser(server, slack_api, CASEY_SLACK)
        overview = await casey.command("hours")
        assert "Cora Coach" in overview and "1h 30m" in overview
        async with server.db.transaction() as session:
            entries = list((await session.execute(select(HourEntry))).scalars())
        assert [(e.minutes, e.category) for e in entries] == [(90, "answering questions")]
