"""The resource library through the real server: a coordinator adds a resource with a signed Slack slash
command (Slack sends the link wrapped as <https://...>), a mentee filters the library on Slack, and a
mentor on Teams filters it with the card's buttons."""

from sqlalchemy import select

from bot.demo import NETWORK
from storage.models import Resource
from tests.server import running_server
from tests.test_relay_platforms import CORA_TEAMS, PAT_SLACK, slack_api, teams_api  # noqa: F401 (fixtures)
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import slack_env

CASEY_SLACK = "U07CASEY001"


async def test_add_on_slack_and_filter_on_slack_and_teams(database_url, slack_api, teams_api):  # noqa: F811
    slack_api.add_user(CASEY_SLACK, "coordinator@demo.example", "Casey Coordinator", "America/Chicago")
    async with running_server(database_url, slack_env(slack_api)) as server:
        casey = SlackUser(server, slack_api, CASEY_SLACK)
        answer = await casey.command(
            'resources add "Mentoring agreement template" <https://example.org/agreement> toolkit '
            "stages: early career, mid career topics: mentoring practice"
        )
        assert "Added to the Coordinator network library as number 5" in answer
        assert "not `ftp:`" in await casey.command('resources add "Old files" ftp://example.org/files link')
        async with server.db.transaction() as session:
            query = select(Resource.number, Resource.url).where(Resource.program_id == NETWORK)
            stored = (await session.execute(query.order_by(Resource.number))).all()
        assert [tuple(row) for row in stored][-1] == (5, "https://example.org/agreement") and len(stored) == 5

        pat = SlackUser(server, slack_api, PAT_SLACK)
        answer = await pat.command("resources mentoring")
        assert "Coordinator network resource library: mentoring practice" in answer
        assert (
            "Mentoring agreement template (demo)" in answer and "5. *Mentoring agreement template* (toolkit)" in answer
        )
        assert "Leading through change" not in answer
        assert "Only the coordinators of Coordinator network" in await pat.command("resources retire 5")

        cora = TeamsUser(server, teams_api, CORA_TEAMS, "Cora Coach", "America/New_York")
        shown = await cora.say("resources")
        assert "Coordinator network resource library" in shown and "5 resources" in shown
        assert "Which topic?" in await cora.click("By topic")
        shown = await cora.click("leadership")  # nine topics: a drop-down list on the card
        assert "resource library: leadership" in shown and "Leading through change: training module (demo)" in shown
        assert "Mentoring agreement template" not in shown
