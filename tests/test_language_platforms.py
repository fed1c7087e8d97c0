"""Each person's language on Slack and Teams, through the real running server: taken from the platform's
locale (Teams sends it with every activity, Slack's users.info with include_locale) until the person
chooses with `language`; messages to others stay in the others' language.

Sokha (partner@demo.example, Phnom Penh) is paired with Cora (coach@demo.example, New York) in the
SIG-ALICE demo cohort; both start with English, as the demo made them."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.khmer_dates import has_khmer
from storage.models import Person
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import slack_env

SOKHA_EMAIL, CORA_EMAIL = "partner@demo.example", "coach@demo.example"
SOKHA_SLACK, CORA_SLACK = "U07SOKHA001", "U07CORA0001"
SOKHA_TEAMS, CORA_TEAMS = "29:1sokha-teams-aad", "29:1cora-teams-aad"
PHNOM_PENH, NEW_YORK = "Asia/Phnom_Penh", "America/New_York"


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(SOKHA_SLACK, SOKHA_EMAIL, "Sokha Partner", PHNOM_PENH, locale="km-KH")
    api.add_user(CORA_SLACK, CORA_EMAIL, "Cora Coach", NEW_YORK)
    yield api
    await api.stop()


@pytest.fixture
async def teams_api() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(SOKHA_TEAMS, SOKHA_EMAIL, "Sokha Partner")
    fake.add_member(CORA_TEAMS, CORA_EMAIL, "Cora Coach")
    yield fake
    await fake.stop()


async def language_of(server: RunningServer, email: str) -> tuple[str, bool]:
    async with server.db.transaction() as session:
        person = (await session.execute(select(Person).where(Person.email == email))).scalar_one()
        return person.language, person.language_chosen


async def test_teams_locale_sets_khmer_until_the_person_chooses(database_url, teams_api):
    async with running_server(database_url) as server:
        sokha = TeamsUser(server, teams_api, SOKHA_TEAMS, "Sokha Partner", PHNOM_PENH, locale="km-KH")
        cora = TeamsUser(server, teams_api, CORA_TEAMS, "Cora Coach", NEW_YORK, locale="en-US")
        answer = await sokha.say("help")
        assert has_khmer(answer)
        assert await language_of(server, SOKHA_EMAIL) == ("km", False)
        assert not has_khmer(await cora.say("help"))

        answer = await sokha.say("language en")
        assert answer.startswith("Done: I write to you in English from now on.")
        assert not has_khmer(await sokha.say("help"))  # her Teams still says km-KH: her choice holds
        assert await language_of(server, SOKHA_EMAIL) == ("en", True)


async def test_a_locale_we_do_not_write_in_leaves_english(database_url, teams_api):
    async with running_server(database_url) as server:
        sokha = TeamsUser(server, teams_api, SOKHA_TEAMS, "Sokha Partner", PHNOM_PENH, locale="fr-FR")
        assert "What I can do for you" in await sokha.say("help")
        assert await language_of(server, SOKHA_EMAIL) == ("en", False)


async def test_slack_locale_from_users_info_sets_khmer(database_url, slack_api):
    async with running_server(database_url, slack_env(slack_api)) as server:
        sokha = SlackUser(server, slack_api, SOKHA_SLACK)
        cora = SlackUser(server, slack_api, CORA_SLACK)
        assert has_khmer(await sokha.say("help"))
        assert [call.args.get("include_locale") for call in slack_api.calls if call.method == "users.info"]
        assert await language_of(server, SOKHA_EMAIL) == ("km", False)
        assert not has_khmer(await cora.say("help"))
        assert "What I can do for you" in await cora.command("help")
