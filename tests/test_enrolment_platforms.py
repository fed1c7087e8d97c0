"""Enrolment through the real platforms: a coordinator's CSV shared as a Slack file (signed events; the
fake Slack Web API serves url_private only with the bot token) and as a Teams attachment (the fake serves
its downloadUrl); and a person enrolled who never wrote to the assistant gets their notice on Slack, found
with users.lookupByEmail."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Account, OutboxMessage, Person
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import BOT_TOKEN, TEAM_ID, FakeSlackApi
from tests.server import RunningServer, running_server, settle
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import slack_env

CASEY_SLACK = "U0CASEY01"
CASEY = "coordinator@demo.example"
FILE_INFO = "application/vnd.microsoft.teams.file.download.info"
CSV = (
    b"email,name,role,time zone\n"
    b"kim@lib.example.org,Kim Okafor,coach,Africa/Lagos\n"
    b"ola@lib.example.org,Ola Berg,participant,Europe/Oslo\n"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(CASEY_SLACK, CASEY, "Casey Coordinator", "America/Chicago")
    yield api
    await api.stop()


@pytest.fixture
async def server(sqlite_url: str, fake: FakeSlackApi) -> AsyncIterator[RunningServer]:
    async with running_server(sqlite_url, slack_env(fake)) as running:
        yield running


def slack_file(fake: FakeSlackApi, name: str, data: bytes) -> dict[str, Any]:
    url = fake.share_file(name, data)
    return {"id": "F0CSV0001", "name": name, "mimetype": "text/csv", "url_private": url, "permalink": url + "?p"}


async def all_settled(server: RunningServer) -> None:
    """Until every enrolment notice was sent or waits for a person no platform knows yet, and the
    coordinators were told about those (a look-up by email runs between two rounds of the worker)."""
    for _ in range(100):
        await settle(server)
        async with server.db.transaction() as session:
            pending = select(OutboxMessage.person_id).where(
                OutboxMessage.kind == "enrolment", OutboxMessage.status == "pending"
            )
            waiting = set((await session.execute(pending)).scalars())
            told = select(OutboxMessage.ref).where(OutboxMessage.ref.like("unreached:%"))
            unreached = {int(ref.split(":")[1]) for ref in (await session.execute(told)).scalars()}
            if waiting <= unreached:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("enrolment notices still pending")


async def person(server: RunningServer, email: str) -> Person | None:
    async with server.db.transaction() as session:
        return (await session.execute(select(Person).where(Person.email == email))).scalar_one_or_none()


async def test_a_csv_shared_as_a_slack_file_is_read_with_the_token_and_imported(server, fake):
    casey = SlackUser(server, fake, CASEY_SLACK)
    shown = await casey.share(slack_file(fake, "people.csv", CSV), text="enrol aahsl Demo 2027-28")
    assert "2 rows: 2 to add, 0 to change, 0 unchanged." in shown
    [download] = fake.calls_to("files-pri")
    assert download.token == BOT_TOKEN
    assert await person(server, "kim@lib.example.org") is None  # the preview wrote nothing
    done = await casey.click("Confirm")
    assert "Imported into the AAHSL" in done and "2 to add" in done
    kim = await person(server, "kim@lib.example.org")
    assert kim is not None and (kim.display_name, kim.timezone) == ("Kim Okafor", "Africa/Lagos")


async def test_a_new_person_is_found_on_slack_by_email_and_told(server, fake):
    fake.add_user("U0KIM0001", "kim@lib.example.org", "Kim Okafor", "Africa/Lagos")
    casey = SlackUser(server, fake, CASEY_SLACK)
    await casey.share(slack_file(fake, "people.csv", CSV), text="enrol aahsl Demo 2027-28")
    await casey.click("Confirm")
    await all_settled(server)
    looked_up = sorted(c.args["email"] for c in fake.calls_to("users.lookupByEmail"))
    assert looked_up == ["kim@lib.example.org", "ola@lib.example.org"]  # each once
    async with server.db.transaction() as session:
        kim = (await session.execute(select(Person).where(Person.email == "kim@lib.example.org"))).scalar_one()
        account = (await session.execute(select(Account).where(Account.person_id == kim.id))).scalar_one()
        notices = {
            m.person_id: m
            for m in (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "enrolment"))).scalars()
        }
    assert (account.platform, account.external_id) == ("slack", f"{TEAM_ID}:U0KIM0001")
    assert notices[kim.id].status == "sent"
    told = [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == "D0KIM0001"]
    assert told and "cohort of the AAHSL" in told[0].args["text"]
    # Ola is not on Slack: her notice waits for her to write (on Teams, say), and Casey is told once.
    ola = next(m for pid, m in notices.items() if pid != kim.id)
    assert (ola.status, ola.error) == ("pending", "no reachable account")
    async with server.db.transaction() as session:
        query = select(OutboxMessage).where(OutboxMessage.ref == f"unreached:{ola.person_id}")
        [told] = (await session.execute(query)).scalars()
        casey_id = (await session.execute(select(Person.id).where(Person.email == CASEY))).scalar_one()
    assert told.person_id == casey_id and told.kind == "delivery-failure"
    assert "ola@lib.example.org" in told.reply["text"] and "no Slack account has their email" in told.reply["text"]
    await all_settled(server)  # another round of the worker does not ask Slack again the same day
    assert sorted(c.args["email"] for c in fake.calls_to("users.lookupByEmail")) == looked_up


async def test_a_csv_from_a_slack_user_who_coordinates_nothing_is_answered(server, fake):
    fake.add_user("U0PAT0001", "participant@demo.example", "Pat Participant", "America/Los_Angeles")
    pat = SlackUser(server, fake, "U0PAT0001")
    answer = await pat.share(slack_file(fake, "people.csv", CSV))
    assert "Only a program's coordinators share CSV files with me" in answer
    assert fake.calls_to("files-pri") == []


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member("29:casey-teams", CASEY, "Casey Coordinator")
    yield fake
    await fake.stop()


@pytest.fixture
async def teams_server(sqlite_url: str) -> AsyncIterator[RunningServer]:
    async with running_server(sqlite_url) as running:
        yield running


async def test_a_csv_uploaded_in_teams_is_read_from_its_download_url(teams_server, connector):
    casey = TeamsUser(teams_server, connector, "29:casey-teams", "Casey Coordinator", "America/Chicago")
    attachment = {
        "contentType": FILE_INFO,
        "name": "people.csv",
        "contentUrl": "https://demoorg-my.sharepoint.com/personal/casey/Documents/people.csv",
        "content": {"downloadUrl": connector.share_file("people.csv", CSV), "fileType": "csv"},
    }
    shown = await casey.say("enrol aahsl Demo 2027-28", attachments=[attachment])
    assert "2 rows: 2 to add, 0 to change, 0 unchanged." in shown
    assert ("GET", "/download/people.csv") in connector.requests
    done = await casey.click("Confirm")
    assert "Imported into the AAHSL" in done
    assert await person(teams_server, "ola@lib.example.org") is not None
