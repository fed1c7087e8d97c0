"""A turn slower than Slack's 3 seconds, for real: Pat is known, but a day has passed, so the engine asks
Slack's users.info about her again, and the fake Slack holds that call until the engine's look-up gives up
(2 s) and the turn goes on with what it knows. Slack hears "ok" after ANSWER_WITHIN (1.5 s), before the turn
can have ended; the answer follows when the turn is committed, never cut short. Both databases: the turn
commits its change after Slack has been acknowledged.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.slack.answers import WORKING
from tests.conftest import FIXED_NOW
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server
from tests.test_selection_platforms import eventually
from tests.test_slack import (
    DM,
    PARTICIPANT,
    PAT,
    PAT_ZONE,
    button_named,
    click_body,
    dm_event,
    person,
    post,
    slack_env,
    slash,
)

SLOW_TURN = "slack turn slower than 1.5 s: answered after the acknowledgement"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    yield api
    api.held.pop("users.info", asyncio.Event()).set()  # let the held look-ups end before the fake stops
    await api.stop()


@pytest.fixture
async def server(database_url: str, fake: FakeSlackApi) -> AsyncIterator[RunningServer]:
    async with running_server(database_url, slack_env(fake)) as running:
        assert "What I can do for you" in (await slash(running, fake, "help"))["text"]  # Pat is known now
        yield running


def slack_answers_slowly(server: RunningServer, fake: FakeSlackApi) -> None:
    """A day later (Pat's profile is asked for again), and Slack does not answer users.info."""
    server.engine.clock = lambda: FIXED_NOW + timedelta(days=1, minutes=1)
    fake.held["users.info"] = asyncio.Event()


def slow_turns(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(SLOW_TURN)]


async def test_a_slow_command_is_acknowledged_at_once_and_answered_when_its_turn_is_committed(server, fake, caplog):
    slack_answers_slowly(server, fake)
    with caplog.at_level(logging.INFO, logger="adapters.slack.app"):
        ack = await slash(server, fake, "timezone Asia/Phnom_Penh", follow_late=False)
    assert ack == {"text": WORKING, "response_type": "ephemeral"}
    [answer] = await eventually(lambda: fake.calls_to("response_url"), "the answer at the response_url")
    assert answer.args["response_type"] == "ephemeral" and answer.args["replace_original"] is False
    assert "now Asia/Phnom_Penh" in answer.args["text"]
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    assert slow_turns(caplog) == [f"{SLOW_TURN} kind=command"]
    assert fake.calls_to("chat.postMessage") == []


async def test_a_slow_direct_message_is_acknowledged_and_answered_in_the_dm_afterwards(server, fake, caplog):
    slack_answers_slowly(server, fake)
    with caplog.at_level(logging.INFO, logger="adapters.slack.app"):
        status, _ = await post(server, dm_event("timezone Asia/Phnom_Penh", "Ev0SLOWDM"))
    assert status == 200
    [posted] = await eventually(lambda: fake.calls_to("chat.postMessage"), "the answer in the DM")
    assert posted.args["channel"] == DM and "now Asia/Phnom_Penh" in posted.args["text"]
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    assert slow_turns(caplog) == [f"{SLOW_TURN} kind=message"]


async def test_a_slow_click_is_acknowledged_and_answered_at_the_response_url_afterwards(server, fake, caplog):
    button = button_named(await slash(server, fake, "timezone"), "Phnom Penh")
    slack_answers_slowly(server, fake)
    with caplog.at_level(logging.INFO, logger="adapters.slack.app"):
        status, answer = await post(server, click_body(button, fake.response_url))
    assert (status, answer) == (200, "")
    [responded] = await eventually(lambda: fake.calls_to("response_url"), "the answer at the response_url")
    assert responded.args["response_type"] == "ephemeral" and "now Asia/Phnom_Penh" in responded.args["text"]
    assert (await person(server)).timezone == "Asia/Phnom_Penh"
    assert slow_turns(caplog) == [f"{SLOW_TURN} kind=click"]


async def test_a_quick_command_is_answered_in_its_acknowledgement(server, fake, caplog):
    with caplog.at_level(logging.INFO, logger="adapters.slack.app"):
        ack = await slash(server, fake, "timezone Asia/Phnom_Penh")
    assert "now Asia/Phnom_Penh" in ack["text"] and ack["response_type"] == "ephemeral"
    assert fake.calls_to("response_url") == [] and slow_turns(caplog) == []
    assert json.dumps(ack).count(WORKING) == 0
