"""A program year through the real server: a coordinator reads and moves next year's call on Slack (signed
slash command, then a button click), and an applicant on Teams sees the deadline as one instant, in their
own zone and the zone it was set in."""

from sqlalchemy import select

from bot.cycle import dated_phase
from storage.models import Cohort
from tests.server import running_server
from tests.test_relay_platforms import slack_api, teams_api  # noqa: F401 (fixtures)
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import slack_env

CASEY_SLACK = "U07CASEY001"
DANA_TEAMS = "29:1dana-teams-aad"


async def test_the_call_read_and_extended_on_slack_and_its_deadline_on_teams(database_url, slack_api, teams_api):  # noqa: F811
    slack_api.add_user(CASEY_SLACK, "coordinator@demo.example", "Casey Coordinator", "America/Chicago")
    async with running_server(database_url, slack_env(slack_api)) as server:
        casey = SlackUser(server, slack_api, CASEY_SLACK)
        shown = await casey.command("cohort calendar aahsl Demo 2027-28")
        assert "Call for applications (`call`)" in shown
        assert "closing 11 January 2027 at 23:59 Pacific Time, that is 12 January 2027 at 01:59 Central Time" in shown
        assert "One-to-one coaching sessions (`sessions`)" in shown

        preview = await casey.command("cohort dates call 2026-11-16 2027-01-14 aahsl Demo 2027-28")
        assert "Preview: AAHSL Demo 2027-28" in preview and "15 January 2027 at 01:59" in preview
        assert "Moved:" in await casey.click("Move it")
        async with server.db.transaction() as session:
            query = select(Cohort).where(Cohort.program_id == "aahsl-coaching-pilot", Cohort.name == "Demo 2027-28")
            cohort = (await session.execute(query)).scalar_one()
        call = dated_phase(cohort.calendar, "call")
        assert (call.closes.isoformat(), call.closes_at.strftime("%H:%M"), call.zone) == (
            "2027-01-14",
            "23:59",
            "America/Los_Angeles",
        )

        teams_api.add_member(DANA_TEAMS, "participant2@demo.example", "Dana Participant")
        dana = TeamsUser(server, teams_api, DANA_TEAMS, "Dana Participant", "America/Denver")
        started = await dana.say("apply aahsl")
        assert "Applications close on 14 January 2027 at 23:59 Pacific Time, that is " in started
        assert "15 January 2027 at 00:59 Mountain Time, your time" in started
        listed = await dana.say("programs")
        assert "applications open, closing on 14 January 2027 at 23:59 Pacific Time" in listed
