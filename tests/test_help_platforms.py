"""Help at any time and changing a given file, on Slack and Teams through the real running server (issue 14,
points 7 and 8). Slack requests are signed and posted to /slack/events with the Web API faked on 127.0.0.1;
Teams activities are posted to /api/messages with the Bot Connector faked on 127.0.0.1; every click uses a
button the bot really posted."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from storage.models import OutboxMessage, Person
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server, settle
from tests.test_booking_platforms import CORA_EMAIL, SOKHA, cora_on_teams, fake_slack  # noqa: F401
from tests.test_selection_platforms import (
    CASEY_TEAMS,
    CV_URL,
    EXPERTISE,
    IATUL,
    NEW_COACH,
    NGOZI,
    STATEMENT,
    SlackUser,
    TeamsUser,
    application_of,
    slack_buttons,
    teams_file,
)
from tests.test_slack import slack_env
from tests.test_teams import CORA as CORA_TEAMS

CASEY_EMAIL, CHICAGO = "coordinator@demo.example", "America/Chicago"
NEW_CV_URL = CV_URL.replace("Ngozi_Coach_CV.pdf", "Ngozi_Coach_CV_2027.pdf")


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(CORA_TEAMS, CORA_EMAIL, "Cora Coach")
    fake.add_member(CASEY_TEAMS, CASEY_EMAIL, "Casey Coordinator")
    fake.add_member(NGOZI, NEW_COACH, "Ngozi Coach")
    yield fake
    await fake.stop()


async def help_requests_to(server: RunningServer, email: str) -> list[OutboxMessage]:
    async with server.db.transaction() as session:
        query = (
            select(OutboxMessage)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.email == email, OutboxMessage.kind == "help-request")
        )
        return list((await session.execute(query)).scalars())


async def test_a_slack_partner_asks_for_help_and_the_teams_coordinator_is_told_at_once(
    database_url: str,
    fake_slack: FakeSlackApi,  # noqa: F811
    connector: FakeBotConnector,
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        casey = TeamsUser(server, connector, CASEY_TEAMS, "Casey Coordinator", CHICAGO)
        assert "What I can do for you" in await casey.say("help")  # so the bot can write to Casey in Teams
        sokha = SlackUser(server, fake_slack, SOKHA)

        listed = await sokha.command("help")
        assert "`help me`: tell your program's coordinators" in listed
        assert "`assessment`" not in listed and "`group" not in listed  # not in the SIG-ALICE coaching

        asked = await sokha.command("help me")
        assert "I will tell the coordinators of the SIG-ALICE coaching at once" in asked
        assert list(slack_buttons(sokha.shown)) == [
            "Booking or sessions",
            "My pairing",
            "The program itself",
            "Using this assistant",
            "Something else",
            "Just tell them",
        ]
        done = await sokha.click("My pairing")
        assert "I have told the coordinators of the SIG-ALICE Demo 2026-27 cohort (Casey Coordinator)" in done

        notice = await casey.receives("Someone asks for help", "Sokha Partner (partner@demo.example)")
        assert "asks for help, about my pairing" in notice and "They are paired with Cora Coach" in notice
        await settle(server)  # Teams has the notice a moment before the worker writes down that it was sent
        [row] = await help_requests_to(server, CASEY_EMAIL)
        assert (row.status, row.platform) == ("sent", "teams")


async def test_the_need_help_button_in_status_on_teams_asks_which_program_then_tells_them(
    database_url: str, connector: FakeBotConnector
):
    async with running_server(database_url) as server:
        casey = TeamsUser(server, connector, CASEY_TEAMS, "Casey Coordinator", CHICAGO)
        assert "What I can do for you" in await casey.say("help")
        cora = await cora_on_teams(server, connector)

        status = await cora.say("status")
        assert "Your status" in status
        which = await cora.click("Need help")
        assert "Which program would you like help with?" in which
        await cora.click("SIG-ALICE Demo 2026-27")
        done = await cora.click("Just tell them")
        assert "I have told the coordinators of the SIG-ALICE Demo 2026-27 cohort" in done and "about" not in done

        notice = await casey.receives("Someone asks for help", "Cora Coach (coach@demo.example), coach in the SIG")
        assert "They are paired with Sokha Partner" in notice
        assert len(await help_requests_to(server, CASEY_EMAIL)) == 1


async def test_a_teams_coach_changes_the_cv_she_gave_and_the_new_file_replaces_it(
    database_url: str, connector: FakeBotConnector
):
    async with running_server(database_url) as server:
        ngozi = TeamsUser(server, connector, NGOZI, "Ngozi Coach", "Europe/Berlin")
        await ngozi.say("apply iatul")
        await ngozi.click("Coach")
        await ngozi.say(EXPERTISE)
        assert "Got it: Ngozi_Coach_CV.pdf." in await ngozi.say(attachments=[teams_file("Ngozi_Coach_CV.pdf", CV_URL)])
        assert "That is everything" in await ngozi.say(STATEMENT)

        await ngozi.click("Change an answer")
        asked = await ngozi.click("Curriculum vitae")
        assert "you gave Ngozi_Coach_CV.pdf" in asked and "replaces what you gave" in asked
        replaced = await ngozi.say(attachments=[teams_file("Ngozi_Coach_CV_2027.pdf", NEW_CV_URL)])
        assert "Got it: Ngozi_Coach_CV_2027.pdf replaces what you gave." in replaced
        application = await application_of(server, NEW_COACH, IATUL)
        assert application.materials["cv"] == {
            "files": [{"name": "Ngozi_Coach_CV_2027.pdf", "url": NEW_CV_URL}],
            "done": True,
        }
        assert "Submitted!" in await ngozi.click("Submit my application")
