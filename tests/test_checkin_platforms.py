"""Check-ins end to end on Slack and Teams, through the real running server.

The scheduler and the outbox worker the server runs (as `python app.py serve` does) send the check-ins;
the tests move the engine's clock, which both read on every tick, to make them due. Slack requests are
signed and posted to /slack/events with the Web API faked on 127.0.0.1; Teams activities are posted to
/api/messages with the Bot Connector faked on 127.0.0.1. Every click uses a button the bot really posted,
read back from the fakes' records.

The demo cohorts start 60 days before FIXED_NOW (Monday 23 November 2026, 15:00 UTC): the monthly
programs' next check-in is on Tuesday 24 November 2026, its job due at 19:00 UTC the day before (09:00
where the day comes first), and each person's message due at 09:00 in their own zone. Sokha
(partner@demo.example, Asia/Phnom_Penh) is paired with Cora (coach@demo.example, America/New_York) in
the SIG-ALICE coaching; Cora also coaches Pat in the AAHSL pilot; Dara (partner2@demo.example,
Asia/Phnom_Penh) is paired with Lee; Casey (coordinator@demo.example, America/Chicago) coordinates.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storage.models import CheckIn, Cohort, OutboxMessage, Person
from tests.fakes.bot_connector import FakeBotConnector, Sent
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server, settle
from tests.test_booking_platforms import CORA_EMAIL, SOKHA, SOKHA_EMAIL, cora_on_teams, fake_slack  # noqa: F401
from tests.test_selection_platforms import (
    AAHSL,
    CASEY_TEAMS,
    IATUL,
    RUNNING,
    SlackUser,
    TeamsUser,
    card_text,
    outbox_of,
    slack_buttons,
)
from tests.test_slack import slack_env
from tests.test_teams import CORA as CORA_TEAMS

DARA_TEAMS = "29:1DrA6pLm2Qx8Wn4Zk0Tb5Yc9Hv3Js7Gf1Rd6Ne0Ua4Ko8Xi2Pw5Sq9Mz3Lt7Cb1Vy"
DARA_EMAIL, CASEY_EMAIL = "partner2@demo.example", "coordinator@demo.example"
PHNOM_PENH, CHICAGO = "Asia/Phnom_Penh", "America/Chicago"

CHECK_IN_TITLE = f"Monthly check-in, SIG-ALICE {RUNNING}, 24 November 2026"
AAHSL_TITLE = f"Monthly check-in, AAHSL {RUNNING}, 24 November 2026"
ANSWER_LABELS = ["On track", "Some difficulties", "Need help"]
COUNT_LABELS = ["0", "1", "2", "3", "4"]
PHNOM_PENH_MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Phnom Penh, 20:00 (the 23rd) in Chicago
NEW_YORK_MORNING = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 in New York
# remind_after_days = 5: the reminder job is due when it is first 09:00 on 29 November anywhere (19:00 UTC on the
# 28th), which is 02:00 in Phnom Penh; Sokha's reminder waits for her 09:00.
REMINDER_JOB_RAN = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
PHNOM_PENH_REMINDER_MORNING = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
A_WEEK_LATER = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 09:00 in Phnom Penh, before the 24 December check-in


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(CORA_TEAMS, CORA_EMAIL, "Cora Coach")
    fake.add_member(CASEY_TEAMS, CASEY_EMAIL, "Casey Coordinator")
    fake.add_member(DARA_TEAMS, DARA_EMAIL, "Dara Partner")
    yield fake
    await fake.stop()


def at(server: RunningServer, moment: datetime) -> None:
    """Move the clock the server's engine, outbox worker and scheduler read."""
    server.engine.clock = lambda: moment


def slack_posts_with(user: SlackUser, phrase: str) -> list[str]:
    return [post.args["text"] for post in user.posts() if phrase in post.args["text"]]


def actions_of(sent: Sent) -> list[tuple[str, str]]:
    assert sent.card is not None, f"not a card: {sent.text!r}"
    return [(action["type"], action["title"]) for action in sent.card["actions"]]


async def check_in_of(server: RunningServer, email: str, program_id: str) -> CheckIn:
    async with server.db.transaction() as session:
        query = (
            select(CheckIn)
            .join(Person, Person.id == CheckIn.person_id)
            .join(Cohort, Cohort.id == CheckIn.cohort_id)
            .where(Person.email == email, Cohort.program_id == program_id)
        )
        return (await session.execute(query)).scalar_one()


async def messages_of(server: RunningServer, email: str, kind: str) -> list[OutboxMessage]:
    return [message for message in await outbox_of(server, email) if message.kind == kind]


async def test_slack_partner_asks_for_help_and_the_teams_coordinator_is_told_at_once(
    database_url: str,
    fake_slack: FakeSlackApi,  # noqa: F811
    connector: FakeBotConnector,
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        # Each has written to the bot once, so that it can write to them: Sokha on Slack, Cora and Casey on Teams.
        sokha = SlackUser(server, fake_slack, SOKHA)
        assert "What I can do for you" in await sokha.say("help")
        cora = await cora_on_teams(server, connector)
        casey = TeamsUser(server, connector, CASEY_TEAMS, "Casey Coordinator", CHICAGO)
        assert "What I can do for you" in await casey.say("help")
        since = len(fake_slack.calls)

        # 09:00 in Phnom Penh: the scheduler asks, the worker opens Sokha's DM and posts the check-in there.
        at(server, PHNOM_PENH_MORNING)
        asked = await sokha.receives_and_shows(since, "How is it going with Cora Coach?")
        assert {c.args["users"] for c in fake_slack.calls[since:] if c.method == "conversations.open"} == {SOKHA}
        assert asked.args["text"].startswith(CHECK_IN_TITLE)
        assert sokha.shown[0] == {"type": "header", "text": {"type": "plain_text", "text": CHECK_IN_TITLE}}
        buttons = slack_buttons(sokha.shown)
        assert list(buttons) == ANSWER_LABELS
        assert buttons["Need help"]["style"] == "danger" and "style" not in buttons["On track"]
        row = await check_in_of(server, SOKHA_EMAIL, IATUL)
        assert buttons["Need help"]["value"] == f"check-in:answer|{row.id}|need_help"
        await settle(server)
        [message] = await messages_of(server, SOKHA_EMAIL, "check-in")
        assert (message.status, message.platform, message.due_at) == ("sent", "slack", PHNOM_PENH_MORNING)

        # Cora lives in New York (21:00 the evening before): hers, both pairings', wait for her 09:00.
        await settle(server)
        assert cora.written_first() == []
        # Casey hears only that Dara (who never wrote, and whom Slack does not know) cannot be reached yet.
        assert [
            ("cannot reach yet" in card_text(s), "Dara Partner" in card_text(s)) for s in casey.written_first()
        ] == [(True, True)]
        waiting = await messages_of(server, CORA_EMAIL, "check-in")
        assert [(m.status, m.due_at) for m in waiting] == [("pending", NEW_YORK_MORNING)] * 2

        # "Need help": Sokha is asked for her count, and Casey is told at once, at 20:00 in Chicago.
        text = await sokha.click("Need help")
        assert "I have told the coordinators that you would like help; they will be in touch." in text
        assert "how many sessions have you had with Cora Coach since the last check-in?" in text
        assert list(slack_buttons(sokha.shown)) == COUNT_LABELS
        notice = await casey.receives(
            "Sokha Partner (partner@demo.example) answered **Need help**",
            f"in the 24 November 2026 check-in of the SIG-ALICE {RUNNING} cohort, about their pairing with Cora Coach",
        )
        assert notice.startswith("**A check-in asks for help**")
        await settle(server)
        [told] = await messages_of(server, CASEY_EMAIL, "check-in-help")
        assert (told.status, told.platform, told.due_at) == ("sent", "teams", PHNOM_PENH_MORNING)
        assert told.ref == f"check-in:{row.id}"

        text = await sokha.click("2")
        assert "Thank you, that is all for this check-in." in text
        row = await check_in_of(server, SOKHA_EMAIL, IATUL)
        assert (row.status, row.sessions, row.hours) == ("need_help", 2, None)
        assert row.answered_at == PHNOM_PENH_MORNING
        # Only the coordinators hear about it: not her coach, and only once.
        await settle(server)
        assert cora.written_first() == []
        assert len([s for s in casey.written_first() if "asks for help" in card_text(s)]) == 1


async def test_teams_coach_answers_with_a_card_click_and_a_typed_number(database_url: str, connector: FakeBotConnector):
    async with running_server(database_url) as server:
        cora = await cora_on_teams(server, connector)

        # 09:00 in New York: both her pairings' check-ins arrive as Adaptive Cards in her own chat.
        at(server, NEW_YORK_MORNING)
        iatul = await cora.receives_and_shows("How is it going with Sokha Partner?")
        aahsl = await cora.receives_and_shows("How is it going with Pat Participant?")
        assert card_text(iatul).startswith(CHECK_IN_TITLE) and card_text(aahsl).startswith(AAHSL_TITLE)
        assert actions_of(iatul) == actions_of(aahsl) == [("Action.Execute", label) for label in ANSWER_LABELS]
        await settle(server)
        assert len([s for s in cora.written_first() if "check-in" in card_text(s)]) == 2
        assert ("POST", f"/v3/conversations/{cora.conversation_id}/activities") in connector.requests
        assert {(m.status, m.platform) for m in await messages_of(server, CORA_EMAIL, "check-in")} == {
            ("sent", "teams")
        }

        cora.shown = iatul.card
        text = await cora.click("On track")
        assert "Good to hear, thank you." in text
        assert "how many sessions have you had with Sokha Partner since the last check-in?" in text
        assert cora.shown is not None
        assert [action["title"] for action in cora.shown["actions"]] == COUNT_LABELS
        text = await cora.say("3")
        assert "Thank you, that is all for this check-in." in text

        answered = await check_in_of(server, CORA_EMAIL, IATUL)
        assert (answered.status, answered.sessions, answered.hours) == ("on_track", 3, None)
        assert answered.answered_at == NEW_YORK_MORNING
        other = await check_in_of(server, CORA_EMAIL, AAHSL)
        assert (other.status, other.sessions, other.answered_at) == (None, None, None)  # answered separately
        async with server.db.transaction() as session:
            helps = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "check-in-help")
            assert (await session.execute(helps)).scalar_one() == 0  # "on track" tells nobody


async def test_no_answer_gets_one_reminder_in_the_persons_morning_and_never_a_second(
    database_url: str,
    fake_slack: FakeSlackApi,  # noqa: F811
    connector: FakeBotConnector,
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        sokha = SlackUser(server, fake_slack, SOKHA)
        assert "What I can do for you" in await sokha.say("help")
        dara = TeamsUser(server, connector, DARA_TEAMS, "Dara Partner", PHNOM_PENH)
        assert "What I can do for you" in await dara.say("help")
        since = len(fake_slack.calls)

        at(server, PHNOM_PENH_MORNING)
        await sokha.receives_and_shows(since, "How is it going with Cora Coach?")  # Sokha does not answer
        await dara.receives_and_shows("How is it going with Lee Coach?")
        assert "Thank you for telling me." in await dara.click("Some difficulties")  # Dara does
        assert "that is all for this check-in" in await dara.say("1")

        # The reminder job runs when it is first 29 November somewhere; in Phnom Penh it is 03:00: it waits.
        at(server, REMINDER_JOB_RAN)
        await settle(server)
        [reminder] = await messages_of(server, SOKHA_EMAIL, "check-in-reminder")
        assert (reminder.status, reminder.due_at) == ("pending", PHNOM_PENH_REMINDER_MORNING)
        assert slack_posts_with(sokha, "A reminder") == []
        assert await messages_of(server, DARA_EMAIL, "check-in-reminder") == []  # she answered

        at(server, PHNOM_PENH_REMINDER_MORNING)
        reminded = await sokha.receives_and_shows(since, "A reminder: I have not heard from you yet.")
        assert reminded.args["text"].startswith(CHECK_IN_TITLE)
        assert "How is it going with Cora Coach?" in reminded.args["text"]
        assert list(slack_buttons(sokha.shown)) == ANSWER_LABELS
        reminder_blocks = sokha.shown

        # Days later, still no answer: no second reminder, on Slack or queued.
        at(server, A_WEEK_LATER)
        await settle(server)
        assert len(slack_posts_with(sokha, "A reminder")) == 1
        [reminder] = await messages_of(server, SOKHA_EMAIL, "check-in-reminder")
        assert (reminder.status, reminder.platform) == ("sent", "slack")
        assert not [s for s in dara.written_first() if "A reminder" in card_text(s)]
        row = await check_in_of(server, SOKHA_EMAIL, IATUL)
        assert (row.status, row.reminded_at) == (None, REMINDER_JOB_RAN)

        # The reminder's buttons answer the same check-in.
        sokha.shown = reminder_blocks
        assert "Good to hear, thank you." in await sokha.click("On track")
        assert "that is all for this check-in" in await sokha.click("0")
        row = await check_in_of(server, SOKHA_EMAIL, IATUL)
        assert (row.status, row.sessions, row.answered_at) == ("on_track", 0, A_WEEK_LATER)
