"""Peer-group sessions end to end across platforms, through the real running server.

Casey (coordinator@demo.example, America/Chicago) and Pat (participant@demo.example, America/Los_Angeles)
are on Slack; Ana (an extra accepted AAHSL participant, Europe/London) and Dana (participant2@demo.example,
America/Denver) are on Teams. Slack requests are signed and posted to /slack/events with the Web API faked on
127.0.0.1; Teams activities are posted to /api/messages with the Bot Connector faked on 127.0.0.1. What the
bot writes first goes through the durable outbox and the worker the server runs: the tests poll for it.

The server's clock is FIXED_NOW (Monday 23 November 2026, 15:00 UTC). The group meets on Wednesday
2 December 2026 at 15:00 in Chicago: 21:00 UTC, 13:00 for Pat, 14:00 for Dana, 21:00 for Ana.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.teams.inbound import ACTION_KEY
from storage.models import GroupSeat, GroupSession, GroupWaitlist, OutboxMessage
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server
from tests.test_groups import CASEY as CASEY_EMAIL
from tests.test_groups import DANA as DANA_EMAIL
from tests.test_groups import count as rows
from tests.test_groups import participant, seated, waiting
from tests.test_selection_platforms import CASEY, SlackUser, TeamsUser, blocks_of, card_text, eventually, outbox_of
from tests.test_slack import PARTICIPANT, PAT, PAT_ZONE, slack_env

ANA_EMAIL = "ana@example.org"
ANA_TEAMS = "29:1AnA5wQe9Rt3Yu7Io1Pa5Sd9Fg3Hj7Kl1Zx5Cv9Bn3Mq7We1Rt5Yu9Io3Pa7Sd1Fg"
DANA_TEAMS = "29:1DaN6pLk0Jh4Gf8Ds2Aq6Wz0Xs4Ed8Rf2Tg6Yh0Uj4Ik8Ol2Pm6Nb0Vc4Xz8As2Dq"
ANA_ZONE, DANA_ZONE, CASEY_ZONE = "Europe/London", "America/Denver", "America/Chicago"
SCHEDULE = "group schedule Leading change | 2 December 2026 15:00 | 2"
STARTS_AT = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)
PROGRAM = "AAHSL coaching pilot"
TAG = "AAHSL"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(CASEY, CASEY_EMAIL, "Casey Coordinator", CASEY_ZONE)
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    yield api
    await api.stop()


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(ANA_TEAMS, ANA_EMAIL, "Ana Participant")
    fake.add_member(DANA_TEAMS, DANA_EMAIL, "Dana Participant")
    yield fake
    await fake.stop()


async def the_group(server: RunningServer) -> GroupSession:
    async with server.db.transaction() as session:
        return (await session.execute(select(GroupSession))).scalar_one()


async def test_a_place_left_on_slack_goes_to_the_first_waiting_who_is_told_on_teams(
    database_url: str, fake_slack: FakeSlackApi, connector: FakeBotConnector
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        await participant(server.db, ANA_EMAIL, "Ana Participant", ANA_ZONE)
        casey, pat = SlackUser(server, fake_slack, CASEY), SlackUser(server, fake_slack, PAT)
        ana = TeamsUser(server, connector, ANA_TEAMS, "Ana Participant", ANA_ZONE)
        dana = TeamsUser(server, connector, DANA_TEAMS, "Dana Participant", DANA_ZONE)
        for person in (pat, ana, dana):  # each has written once, so the bot can write to them first
            assert "What I can do for you" in await person.say("help")

        # The coordinator schedules on Slack; every participant is told on their own platform.
        since = len(fake_slack.calls)
        text = await casey.command(SCHEDULE)
        assert (
            f"Scheduled: Leading change, Wednesday 2 December, 15:00 Central Time, 90 minutes, 2 places, "
            f"for the {TAG} Demo 2026-27 cohort. I told the 3 participants." in text
        )
        group = await the_group(server)
        assert (group.title, group.capacity, group.status, group.starts_at) == (
            "Leading change",
            2,
            "scheduled",
            STARTS_AT,
        )
        assert group.ends_at - group.starts_at == timedelta(minutes=90)
        assert f"/calendar/{group.calendar_token}.ics" in text
        join_value = f"group:join|{group.id}"

        # Pat clicks Join on the notice the bot wrote first into the Slack DM.
        notice = await pat.receives(
            since,
            f"A new peer-group session of the {PROGRAM}",
            "Leading change: Wednesday 2 December, 13:00 Pacific Time, 90 minutes, 2 places.",
        )
        [posted] = [call for call in pat.posts(since) if call.args["text"] == notice]
        pat.shown, pat.shown_ephemeral = blocks_of(posted.args), False
        assert pat.button("Join")["value"] == join_value
        text = await pat.click("Join")
        assert "You are in: Leading change, Wednesday 2 December, 13:00 Pacific Time, 90 minutes." in text
        assert f"You have joined 1 of up to 5 peer-group sessions of the {PROGRAM}." in text
        assert await seated(server.db) == {PARTICIPANT}

        # Ana clicks Join (Action.Execute) on the card the bot wrote first into her Teams chat.
        await ana.receives(f"A new peer-group session of the {PROGRAM}", "21:00 London time")
        [ana.shown] = [s.card for s in ana.written_first() if "A new peer-group session" in card_text(s)]
        assert ana.button("Join")[ACTION_KEY] == join_value
        text = await ana.click("Join")
        assert "You are in: Leading change, Wednesday 2 December, 21:00 London time, 90 minutes." in text
        assert await seated(server.db) == {PARTICIPANT, ANA_EMAIL}

        # Dana, on Teams, finds the group full and is waitlisted.
        text = await dana.say("group")
        assert "Leading change, Wednesday 2 December, 14:00 Mountain Time: full: 0 waiting" in text
        text = await dana.click("Join Leading change")
        assert "Leading change, Wednesday 2 December, 14:00 Mountain Time is full" in text
        assert "you are on its waitlist: number 1" in text
        assert await seated(server.db) == {PARTICIPANT, ANA_EMAIL}
        assert await waiting(server.db) == [DANA_EMAIL]

        # Pat leaves on Slack: the place is Dana's, and she is told in Teams, unasked.
        slack_before = len(fake_slack.calls)
        text = await pat.click("Leave")
        assert "You left Leading change, Wednesday 2 December, 13:00 Pacific Time." in text
        assert f"You have joined 0 of up to 5 peer-group sessions of the {PROGRAM}." in text
        told = await dana.receives(
            "You have a place in a peer-group session",
            "A place freed up in Leading change, Wednesday 2 December, 14:00 Mountain Time, and it is yours: "
            "you are in.",
        )
        assert f"You have joined 1 of up to 5 peer-group sessions of the {PROGRAM}." in told
        assert f"/calendar/{group.calendar_token}.ics" in told
        assert ("POST", f"/v3/conversations/{dana.conversation_id}/activities") in connector.requests

        async def both_sent_to_dana_on_teams() -> bool:  # the worker marks a message sent after sending it
            to_dana = [(m.status, m.platform) for m in await outbox_of(server, DANA_EMAIL) if m.kind == "group"]
            return to_dana == [("sent", "teams"), ("sent", "teams")]  # the notice of the group, then the place

        await eventually(both_sent_to_dana_on_teams, "Dana's two group messages marked sent on Teams")
        slack_posts = [
            c.args.get("text", "") for c in fake_slack.calls[slack_before:] if c.method == "chat.postMessage"
        ]
        assert not any("A place freed up" in posted for posted in slack_posts)  # nothing of it went to Slack

        # The database: two seats (Ana and Dana), nobody waiting.
        assert await rows(server.db, GroupSeat, GroupSeat.group_id == group.id) == 2
        assert await seated(server.db) == {ANA_EMAIL, DANA_EMAIL}
        assert await rows(server.db, GroupWaitlist) == 0 and await waiting(server.db) == []
        assert await rows(server.db, OutboxMessage, OutboxMessage.kind == "group") == 4  # 3 notices, 1 place
