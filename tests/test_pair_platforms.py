"""Coordinators change pairs, a person pauses, and quiet pairs are looked after, through the real running server.

Slack requests are signed and posted to /slack/events with the Web API faked on 127.0.0.1; Teams activities
are posted to /api/messages with the Bot Connector faked on 127.0.0.1. Every click uses a button the bot
really posted, read back from the fakes' records. What one person does reaches the others through the
durable outbox and the worker the server runs (people who never wrote are found on Slack by email).

The demo at FIXED_NOW (Monday 23 November 2026, 15:00 UTC): in the SIG-ALICE coaching Sokha
(partner@demo.example) is paired with Cora (coach@demo.example) and Dara with Lee (coach2@demo.example, whose
one place is then taken); in the AAHSL pilot and the ALCTS mentoring Cora coaches Pat
(participant@demo.example); Casey (coordinator@demo.example) coordinates all three.
"""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.demo import running_cohort
from storage.models import OutboxMessage, Pair, Person, Profile
from tests.conftest import FIXED_NOW
from tests.fakes.bot_connector import FakeBotConnector, Sent
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server, settle
from tests.test_booking_platforms import CORA_EMAIL, CORA_ZONE, SOKHA, SOKHA_EMAIL, SOKHA_ZONE, cora_on_teams
from tests.test_selection_platforms import (
    AAHSL,
    CASEY,
    CASEY_TEAMS,
    CORA,
    IATUL,
    LEE,
    SlackUser,
    TeamsUser,
    card_text,
    outbox_of,
    slack_buttons,
)
from tests.test_slack import PARTICIPANT, PAT, PAT_ZONE, slack_env
from tests.test_teams import CORA as CORA_TEAMS

CASEY_EMAIL, LEE_EMAIL, DARA_EMAIL = "coordinator@demo.example", "coach2@demo.example", "partner2@demo.example"
DARA = "U07DARA0001"
CHICAGO = "America/Chicago"
END_LABELS = [
    "Not a good fit",
    "Schedules do not work",
    "One side left the program",
    "Personal reasons",
    "Goals reached early",
    "Other",
]
SOKHA_AND_CORA = "Sokha Partner with their coach Cora Coach in the SIG-ALICE Demo 2026-27 cohort"
NEXT_LOOK = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # the daily quiet-pairs look: 19:00 in Phnom Penh
NEW_YORK_MORNING = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in New York, 09:00 in Chicago
PHNOM_PENH_MORNING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 09:00 in Phnom Penh


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    """Everyone is on Slack too: whoever has not written on Teams is found there by email."""
    api = FakeSlackApi()
    await api.start()
    api.add_user(SOKHA, SOKHA_EMAIL, "Sokha Partner", SOKHA_ZONE)
    api.add_user(DARA, DARA_EMAIL, "Dara Partner", SOKHA_ZONE)
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    api.add_user(CASEY, CASEY_EMAIL, "Casey Coordinator", CHICAGO)
    api.add_user(CORA, CORA_EMAIL, "Cora Coach", CORA_ZONE)
    api.add_user(LEE, LEE_EMAIL, "Lee Coach", "Europe/London")
    yield api
    await api.stop()


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(CORA_TEAMS, CORA_EMAIL, "Cora Coach")
    fake.add_member(CASEY_TEAMS, CASEY_EMAIL, "Casey Coordinator")
    yield fake
    await fake.stop()


async def casey_on_teams(server: RunningServer, connector: FakeBotConnector) -> TeamsUser:
    casey = TeamsUser(server, connector, CASEY_TEAMS, "Casey Coordinator", CHICAGO)
    assert "What I can do for you" in await casey.say("help")
    return casey


def at(server: RunningServer, moment: datetime) -> None:
    """Move the clock the server's engine, outbox worker and scheduler read."""
    server.engine.clock = lambda: moment


async def pairs_of(server: RunningServer, email: str, program_id: str) -> list[tuple[Any, ...]]:
    """(guide email, status, end reason, paused until) of each pairing of `email` in the program's running cohort."""
    async with server.db.transaction() as session:
        cohort = (await session.execute(running_cohort(program_id))).scalar_one()
        guided = (await session.execute(select(Person).where(Person.email == email))).scalar_one()
        query = (
            select(Person.email, Pair.status, Pair.end_reason, Pair.paused_until)
            .join(Person, Person.id == Pair.guide_id)
            .where(Pair.cohort_id == cohort.id, Pair.guided_id == guided.id)
            .order_by(Pair.id)
        )
        return [tuple(row) for row in (await session.execute(query)).all()]


async def all_pairs(server: RunningServer) -> list[tuple[Any, ...]]:
    async with server.db.transaction() as session:
        query = select(
            Pair.id, Pair.guide_id, Pair.guided_id, Pair.status, Pair.end_reason, Pair.paused_until, Pair.created_at
        )
        return sorted(tuple(row) for row in (await session.execute(query)).all())


async def count_of(server: RunningServer, kind: str) -> int:
    async with server.db.transaction() as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind)
        return (await session.execute(query)).scalar_one()


async def away_until(server: RunningServer, email: str) -> date | None:
    async with server.db.transaction() as session:
        return (await session.execute(select(Person.away_until).where(Person.email == email))).scalar_one()


async def sent_to(server: RunningServer, email: str, kind: str) -> list[tuple[str, str | None]]:
    """(status, platform) of each message of `kind` to `email`."""
    return [(m.status, m.platform) for m in await outbox_of(server, email) if m.kind == kind]


def teams_texts(user: TeamsUser, phrase: str) -> list[str]:
    return [card_text(s) for s in user.written_first() if phrase in card_text(s)]


def actions_of(sent: Sent) -> list[str]:
    assert sent.card is not None, f"not a card: {sent.text!r}"
    return [action["title"] for action in sent.card.get("actions", [])]


# Ending a pair


async def test_a_slack_coordinator_ends_a_pair_and_the_teams_coach_is_told_not_why(
    database_url: str, fake_slack: FakeSlackApi, connector: FakeBotConnector
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        cora = await cora_on_teams(server, connector)
        casey, sokha = SlackUser(server, fake_slack, CASEY), SlackUser(server, fake_slack, SOKHA)

        reasons = await casey.command("pair end Sokha")
        assert f"{SOKHA_AND_CORA}. Why does this pair end?" in reasons
        assert list(slack_buttons(casey.shown)) == END_LABELS
        preview = await casey.click("Not a good fit")
        assert f"End the pairing of {SOKHA_AND_CORA}, for: not a good fit?" in preview
        assert "both are told, not why." in preview
        assert list(slack_buttons(casey.shown)) == ["Confirm", "Cancel"]
        assert await pairs_of(server, SOKHA_EMAIL, IATUL) == [(CORA_EMAIL, "active", None, None)]  # a preview only
        done = await casey.click("Confirm")
        assert f"Ended: {SOKHA_AND_CORA} (not a good fit). I told them both; the record stays." in done
        assert await pairs_of(server, SOKHA_EMAIL, IATUL) == [(CORA_EMAIL, "ended", "not_a_good_fit", None)]

        # Cora, on Teams, gets a proactive message in her own chat; Sokha, who never wrote, is found on Slack.
        notice = await cora.receives("have ended your pairing with Sokha Partner")
        assert "The coordinators of the SIG-ALICE Demo 2026-27 cohort" in notice
        assert "fit" not in notice and "reason" not in notice.lower()
        assert ("POST", f"/v3/conversations/{cora.conversation_id}/activities") in connector.requests
        told = await sokha.receives(0, "have ended your pairing with Cora Coach")
        assert "fit" not in told
        await settle(server)
        assert await sent_to(server, CORA_EMAIL, "pair-change") == [("sent", "teams")]
        assert await sent_to(server, SOKHA_EMAIL, "pair-change") == [("sent", "slack")]

        # A neutral reason is the one they are told; typed in the DM this time, for a name in two programs.
        several = await casey.say("pair end Pat")
        assert "Several pairs match `Pat`. Which one?" in several
        await casey.click("AAHSL coaching pilot: Pat Participant / Cora Coach")
        await casey.click("Goals reached early")
        assert "both are told that it ended (the goals were reached early)." in casey.shown[0]["text"]["text"]
        assert "Ended: Pat Participant with their coach Cora Coach" in await casey.click("Confirm")
        neutral = await cora.receives("have ended your pairing with Pat Participant")
        assert "(the goals were reached early)" in neutral
        assert await pairs_of(server, PARTICIPANT, AAHSL) == [(CORA_EMAIL, "ended", "goals_reached", None)]


async def test_a_coordinator_who_cancels_or_types_a_reason_changes_nothing_on_slack(
    database_url: str, fake_slack: FakeSlackApi
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        casey = SlackUser(server, fake_slack, CASEY)
        before = await all_pairs(server)
        await casey.say("pair end Sokha")
        reasons = casey.shown
        assert "Please choose from the buttons" in await casey.say("she never answers")  # reasons are not typed
        casey.shown = reasons  # the reason buttons are still in the DM above
        await casey.click("Personal reasons")
        assert "Nothing changed." in await casey.click("Cancel")
        cora = SlackUser(server, fake_slack, CORA)
        refused = await cora.say("pair end Sokha")
        assert "Only a coordinator can use `pair`" in refused
        await settle(server)
        assert await all_pairs(server) == before and await count_of(server, "pair-change") == 0


# Moving a participant


async def test_a_teams_coordinator_moves_a_participant_and_the_slack_people_are_told(
    database_url: str, fake_slack: FakeSlackApi, connector: FakeBotConnector
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        casey = await casey_on_teams(server, connector)

        # Lee's one place in the SIG-ALICE coaching is Dara's: the move is refused and nothing changes.
        before = await all_pairs(server)
        full = await casey.say("pair move Sokha to Lee")
        assert "Lee Coach is at capacity: all 1 of their places are taken. Nothing changed." in full
        assert "Moved" not in full
        assert await all_pairs(server) == before
        assert await pairs_of(server, SOKHA_EMAIL, IATUL) == [(CORA_EMAIL, "active", None, None)]

        several = await casey.say("pair move Pat to Lee")
        assert "Several pairs match `Pat`. Which one?" in several
        reasons = await casey.click("AAHSL coaching pilot: Pat Participant / Cora Coach")
        assert "Why does Pat Participant move to Lee Coach?" in reasons
        preview = await casey.click("Schedules do not work")
        assert "Move Pat Participant from Cora Coach to Lee Coach in the AAHSL Demo 2026-27 cohort" in preview
        assert "all three are told, not why." in preview
        assert await all_pairs(server) == before  # still a preview
        assert "Moved: Pat Participant now works with Lee Coach. I told all three." in await casey.click("Confirm")
        assert await pairs_of(server, PARTICIPANT, AAHSL) == [
            (CORA_EMAIL, "ended", "moved_schedules", None),
            (LEE_EMAIL, "active", None, None),
        ]

        # Pat, Cora and Lee never wrote: each is found on Slack by email and told, none of them why.
        pat, cora, lee = (SlackUser(server, fake_slack, user) for user in (PAT, CORA, LEE))
        moved = await pat.receives(0, "paired you with a new coach", "Lee Coach", LEE_EMAIL)
        assert "Your pairing with Cora Coach has ended." in moved
        old = await cora.receives(0, "have paired Pat Participant with another coach")
        new = await lee.receives(0, "have paired you with", "Pat Participant", PARTICIPANT)
        for text in (moved, old, new):
            assert "schedule" not in text.lower()
        await settle(server)
        for email in (PARTICIPANT, CORA_EMAIL, LEE_EMAIL):
            assert await sent_to(server, email, "pair-change") == [("sent", "slack")]


# A person's own pause


async def test_a_slack_partner_pauses_and_the_teams_coach_is_told_only_the_day(
    database_url: str, fake_slack: FakeSlackApi, connector: FakeBotConnector
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        cora = await cora_on_teams(server, connector)
        sokha = SlackUser(server, fake_slack, SOKHA)

        past = await sokha.say("pause until 20 November 2026")
        assert "20 November 2026 is not after today: give a day to come." in past and "Nothing changed." in past
        assert await away_until(server, SOKHA_EMAIL) is None
        await settle(server)
        assert await count_of(server, "away") == 0 and teams_texts(cora, "away") == []

        away = await sokha.command("pause until 31 January 2027")
        assert "You are away until 31 January 2027 (included)" in away
        assert await away_until(server, SOKHA_EMAIL) == date(2027, 1, 31)
        told = await cora.receives("Sokha Partner is away until 31 January 2027 (included).")
        assert told == "**Away**\n\nSokha Partner is away until 31 January 2027 (included)."  # only that
        casey = SlackUser(server, fake_slack, CASEY)
        await casey.receives(0, "Sokha Partner is away until 31 January 2027 (included).")

        assert "Welcome back" in await sokha.say("back")
        assert await away_until(server, SOKHA_EMAIL) == date(2026, 11, 22)  # her yesterday: the time away is over
        await cora.receives("Sokha Partner is back (they had been away until 31 January 2027).")
        await settle(server)
        assert await sent_to(server, CORA_EMAIL, "away") == [("sent", "teams")] * 2
        assert "You are not away" in await sokha.say("back")
        await settle(server)
        assert await count_of(server, "away") == 4  # Cora and Casey, twice each


# Quiet pairs


async def make_sokha_and_cora_quiet(server: RunningServer) -> None:
    """The pair made when the cohort started (60 days before FIXED_NOW), with no session since: past the
    SIG-ALICE coaching's 8 quiet weeks. Lee gets a second place, so there is a coach to reassign to."""
    await settle(server)  # today's look (at start) is done; the next is NEXT_LOOK
    async with server.db.transaction() as session:
        cohort = (await session.execute(running_cohort(IATUL))).scalar_one()
        sokha_id = (await session.execute(select(Person.id).where(Person.email == SOKHA_EMAIL))).scalar_one()
        lee_id = (await session.execute(select(Person.id).where(Person.email == LEE_EMAIL))).scalar_one()
        started = datetime.combine(cohort.starts_on, datetime.min.time(), UTC)
        await session.execute(
            update(Pair).where(Pair.cohort_id == cohort.id, Pair.guided_id == sokha_id).values(created_at=started)
        )
        session.add(
            Profile(person_id=lee_id, expertise="", interests="", languages=[], capacity=2, updated_at=FIXED_NOW)
        )
    assert (FIXED_NOW - started).days == 60


async def test_quiet_pair_cant_reach_contact_and_reassign_across_platforms(
    database_url: str, fake_slack: FakeSlackApi, connector: FakeBotConnector
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        cora = await cora_on_teams(server, connector)
        casey = await casey_on_teams(server, connector)
        sokha = SlackUser(server, fake_slack, SOKHA)
        await make_sokha_and_cora_quiet(server)
        since = len(fake_slack.calls)

        at(server, NEXT_LOOK)  # the server's scheduler runs the cohort's daily look
        asked = await sokha.receives_and_shows(since, "It has been quiet between you and Cora Coach")
        assert (
            "Is all well? Only the coordinators hear about it, and only if you cannot reach them."
            in (asked.args["text"])
        )
        assert list(slack_buttons(sokha.shown)) == ["All is well", "I can't reach them"]
        # 07:00 in New York and 06:00 in Chicago: theirs wait for the morning (never a message at night).
        await settle(server)
        assert not teams_texts(cora, "It has been quiet") and not teams_texts(casey, "A quiet pair")
        at(server, NEW_YORK_MORNING)
        cora_asked = await cora.receives_and_shows("It has been quiet between you and Sokha Partner")
        notice = await casey.receives_and_shows("A quiet pair in the SIG-ALICE Demo 2026-27 cohort")
        assert "Sokha Partner with their coach Cora Coach. Why: no session was held or booked for 8 weeks." in (
            card_text(notice)
        )
        assert actions_of(notice) == ["Contact the pair", "Reassign"]
        await settle(server)
        assert len(teams_texts(casey, "A quiet pair")) == 1
        async with server.db.transaction() as session:
            flagged = select(Pair.quiet_flagged_on).where(Pair.quiet_flagged_on.is_not(None))
            assert list((await session.execute(flagged)).scalars()) == [NEXT_LOOK.date()]

        # "All is well" from Cora: thanks, and the coordinators hear nothing more.
        assert actions_of(cora_asked) == ["All is well", "I can't reach them"]
        assert "Good to hear, thank you." in await cora.click("All is well")
        await settle(server)
        assert len(teams_texts(casey, "A quiet pair")) == 1

        # "I can't reach them" from Sokha on Slack: Casey, on Teams, is told at once.
        assert "I have told the coordinators, who will be in touch." in await sokha.click("I can't reach them")
        cant = await casey.receives_and_shows("Why: Sokha Partner says they cannot reach Cora Coach.")
        assert actions_of(cant) == ["Contact the pair", "Reassign"]

        # "Contact the pair": both get the same gentle message, each on their own platform.
        sent = await casey.click("Contact the pair")
        assert "I sent Sokha Partner and Cora Coach a short message from you." in sent
        gentle = "Casey Coordinator, a coordinator of the SIG-ALICE Demo 2026-27 cohort, asks how it is going with"
        assert "to meet again, type `book`" in await cora.receives(gentle, "Sokha Partner")
        at(server, PHNOM_PENH_MORNING)  # 21:00 in Phnom Penh when it was sent: hers comes in her morning
        assert "to meet again, type `book`" in await sokha.receives(since, gentle, "Cora Coach")

        # "Reassign" starts `pair move`: a coach with a free place, then the reason, and nothing changes yet.
        before = await all_pairs(server)
        casey.shown = cant.card
        which = await casey.click("Reassign")
        assert "Move Sokha Partner to which coach?" in which
        assert casey.shown is not None and [a["title"] for a in casey.shown["actions"]] == ["Lee Coach"]
        why = await casey.click("Lee Coach")
        assert f"{SOKHA_AND_CORA}. Why does Sokha Partner move to Lee Coach?" in why
        assert [a["title"] for a in casey.shown["actions"]] == END_LABELS
        assert "Stopped." in await casey.say("cancel")
        assert await all_pairs(server) == before
