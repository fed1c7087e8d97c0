"""Profiles and shared applications end to end, through the real running server: Lee (coach2@demo.example)
sets her profile on Slack with signed requests, and Cora (coach@demo.example) on Teams reads the application
of Pat, the participant matched to her in the AAHSL pilot, which shares applications with coaches."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.demo import running_cohort
from storage.models import Application, Person, Profile
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import running_server
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import slack_env
from tests.test_teams import CORA as CORA_TEAMS

LEE = "U07LEECOACH"  # coach2@demo.example on Slack
LEE_EMAIL, CORA_EMAIL, PAT_EMAIL = "coach2@demo.example", "coach@demo.example", "participant@demo.example"
GOALS = "Lead the merger of two branch libraries and learn to run difficult conversations."


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(LEE, LEE_EMAIL, "Lee Coach", "Europe/London")
    yield api
    await api.stop()


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(CORA_TEAMS, CORA_EMAIL, "Cora Coach")
    yield fake
    await fake.stop()


async def test_slack_coach_sets_profile_fields(database_url: str, fake_slack: FakeSlackApi):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        lee = SlackUser(server, fake_slack, LEE)
        answer = await lee.command("profile capacity 2")
        assert "Done: your profile now says People you take: 2" in answer
        refused = await lee.command("profile capacity 40")
        assert "a whole number from 1 to 20" in refused and "Nothing was changed" in refused
        shown = await lee.say("profile")
        assert "People you take: 2" in shown
        assert "What do you offer" in await lee.click("Change expertise")
        assert "Done: your profile now says Expertise: Archives" in await lee.say("Archives and outreach")
        async with server.db.transaction() as session:
            query = select(Profile).join(Person, Person.id == Profile.person_id).where(Person.email == LEE_EMAIL)
            profile = (await session.execute(query)).scalar_one()
        assert (profile.capacity, profile.expertise) == (2, "Archives and outreach")


async def test_teams_coach_reads_the_matched_participants_application(
    database_url: str, fake_slack: FakeSlackApi, connector: FakeBotConnector
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        async with server.db.transaction() as session:
            cohort = (await session.execute(running_cohort("aahsl-coaching-pilot"))).scalar_one()
            pat = (await session.execute(select(Person).where(Person.email == PAT_EMAIL))).scalar_one()
            session.add(
                Application(
                    cohort_id=cohort.id,
                    person_id=pat.id,
                    status="accepted",
                    roles=["participant"],
                    answers={"degree": "yes"},
                    materials={"goals_statement": {"text": GOALS, "done": True}},
                    created_at=pat.created_at,
                    updated_at=pat.created_at,
                )
            )
        cora = TeamsUser(server, connector, CORA_TEAMS, "Cora Coach", "America/New_York")
        assert "your participant is Pat Participant" in await cora.say("partner")
        shown = await cora.click("See Pat Participant's application")
        assert "Pat Participant's application to AAHSL Demo 2026-27" in shown
        assert GOALS in shown
        dana = await cora.say("materials Dana")
        assert "None of the participants matched to you is `Dana`" in dana and GOALS not in dana
