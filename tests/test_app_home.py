"""The Slack App Home tab through the real running server: signed app_home_opened events and block_actions
clicks from a home view posted to /slack/events, with the Web API faked on 127.0.0.1 recording every
views.publish. On SQLite and PostgreSQL.

The demo at FIXED_NOW: Pat (participant) is paired with Cora (coach) in the AAHSL pilot, whose final
evaluation is open (`open_survey`); Sokha (partner) is paired with Cora in SIG-ALICE; Casey coordinates
every demo cohort.
"""

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from adapters.slack.home import REPUBLISH_GAP
from bot import booking
from bot.demo import next_cohort, running_cohort
from bot.messages import Reply
from storage.models import Account, Application, Cohort, OutboxMessage, Pair, Person
from tests.block_kit import problems
from tests.conftest import FIXED_NOW
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.server import RunningServer, running_server, settle
from tests.test_selection_platforms import SlackUser, blocks_of, eventually, slack_buttons, slack_dm_of
from tests.test_slack import PARTICIPANT, PAT, PAT_ZONE, slack_env, slash
from tests.test_slack import load_payload as load_slack_payload
from tests.test_slack import post as post_slack

AAHSL, IATUL = "aahsl-coaching-pilot", "iatul-sig-alice"
CORA, SOKHA, CASEY, DANA = "U07CORA0001", "U07SOKHA001", "U07CASEY001", "U07DANA0001"
NEWCOMER, NO_EMAIL = "U07NEW00001", "U07NOMAIL01"
PUBLISH_WAIT = REPUBLISH_GAP + 5.0  # seconds a publish after a change may take (it waits out the gap)
SECRET = "Zebra-lantern-41 my manager and I"  # a relayed message: it must never reach a home


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    api.add_user(CORA, "coach@demo.example", "Cora Coach", "America/New_York")
    api.add_user(SOKHA, "partner@demo.example", "Sokha Partner", "Asia/Phnom_Penh")
    api.add_user(CASEY, "coordinator@demo.example", "Casey Coordinator", "America/Chicago")
    api.add_user(DANA, "participant2@demo.example", "Dana Participant", "America/Denver")
    api.add_user(NEWCOMER, "newcomer@example.org", "Nell Newcomer", "Europe/Paris")
    api.add_user(NO_EMAIL, None, "Ned Nomail", "Europe/Paris")
    yield api
    await api.stop()


async def open_home(server: RunningServer, fake: FakeSlackApi, user: str) -> dict[str, Any]:
    """`user` opens the assistant's Home tab; the view published for them."""
    before = len(fake.calls)
    body = load_slack_payload("app_home_opened.json")
    body["event"].update(user=user, channel=slack_dm_of(user))
    body["event_id"] = f"EvH{user}{before}"
    status, answer = await post_slack(server, body)
    assert status == 200, answer
    return await next_view(fake, user, since=before)


def publishes(fake: FakeSlackApi, user: str, since: int = 0) -> list[Call]:
    return [call for call in fake.calls[since:] if call.method == "views.publish" and call.args["user_id"] == user]


async def next_view(fake: FakeSlackApi, user: str, since: int, within: float = 5.0) -> dict[str, Any]:
    """The view of the first views.publish for `user` after call number `since`, checked against Slack's
    limits for a home view."""
    [call, *_] = await eventually(lambda: publishes(fake, user, since), f"a home published for {user}", within)
    view = call.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view_problems(view) == []
    return view


def view_problems(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a home view (its documented limits, tests/block_kit.py)."""
    return list(problems("home", view))


def text_of(view: dict[str, Any]) -> str:
    """Everything a home view says, headers, sections and buttons, one line each."""
    parts = []
    for block in view["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(element["text"]["text"] for element in block.get("elements", []) if "text" in element)
    return "\n".join(parts)


def home_click(user: str, button: dict[str, Any]) -> str:
    """A block_actions payload for a click on a button of `user`'s home view: no channel, no response_url."""
    payload = load_slack_payload("block_actions_home.json")
    payload["user"].update(id=user, username=user.lower(), name=user.lower())
    payload["actions"][0].update(action_id=button["action_id"], value=button["value"], text=button["text"])
    return urlencode({"payload": json.dumps(payload)})


async def click_home(
    server: RunningServer, fake: FakeSlackApi, user: str, view: dict[str, Any], label: str
) -> dict[str, Any]:
    """A click on the home's button `label`; the answer posted in the person's DM (chat.postMessage's args)."""
    buttons = slack_buttons(view["blocks"])
    assert label in buttons, f"no button {label!r} on the home; it shows {list(buttons)}"
    before = len(fake.calls)
    status, answer = await post_slack(server, home_click(user, buttons[label]))
    assert status == 200, answer

    def answered() -> list[Call]:
        dm = slack_dm_of(user)
        return [c for c in fake.calls[before:] if c.method == "chat.postMessage" and c.args.get("channel") == dm]

    [posted] = await eventually(answered, f"an answer to {label!r} in the DM")
    assert not [c for c in fake.calls[before:] if c.method == "response_url"]  # a view has none
    return posted.args


async def book_for_pat(server: RunningServer) -> None:
    """A session of Pat with Cora in the AAHSL pilot, Wednesday 2 December 2026 at 09:00 in Los Angeles,
    booked as the `book` dialog books it."""
    async with server.db.transaction() as session:
        pat = (await session.execute(select(Person).where(Person.email == PARTICIPANT))).scalar_one()
        query = select(Pair).join(Cohort, Cohort.id == Pair.cohort_id)
        pair = (await session.execute(query.where(Pair.guided_id == pat.id, Cohort.program_id == AAHSL))).scalar_one()
        info = await booking.pair_info(session, pair.id, server.engine.programs)
        assert info is not None
        starts_at = FIXED_NOW.replace(day=2, month=12, hour=17)  # 09:00 in Los Angeles
        assert await booking.book(session, info, starts_at, pat, FIXED_NOW) is not None


async def test_a_participant_sees_their_session_pair_and_survey_and_a_click_runs_the_dialog_in_the_dm(
    database_url: str, fake: FakeSlackApi
):
    async with running_server(database_url, slack_env(fake), open_survey=True) as server:
        await settle(server)  # the scheduler has opened the AAHSL final evaluation and invited Pat
        await book_for_pat(server)
        view = await open_home(server, fake, PAT)

        shown = text_of(view)
        assert "Your next sessions" in shown
        assert "Wednesday 2 December, 09:00" in shown
        assert "with Cora Coach" in shown
        assert "your coach is Cora Coach" in shown
        assert "Open for you" in shown and "The survey “" in shown
        buttons = slack_buttons(view["blocks"])
        assert {"Answer the survey", "All my sessions", "Move the next one", "Book a session", "Help"} <= set(buttons)
        assert buttons["Answer the survey"]["value"].startswith("survey:start|")  # the survey's own button
        assert buttons["All my sessions"]["value"] == "command:sessions"
        async with server.db.transaction() as session:
            pat_account = (await session.execute(select(Account).where(Account.external_id.endswith(PAT)))).scalar_one()
        assert pat_account.home_opened_at == FIXED_NOW  # from now on kept up to date

        # A click on the home runs the survey's own dialog; the question arrives in Pat's DM.
        question = await click_home(server, fake, PAT, view, "Answer the survey")
        pat = SlackUser(server, fake, PAT, shown=blocks_of(question))
        first_answer = next(label for label in slack_buttons(pat.shown) if label != "Skip")
        since = len(fake.calls)
        await pat.click(first_answer)  # answered in the DM: one question done
        # A command button is the command typed: `sessions` lists the session in the DM.
        listed = await click_home(server, fake, PAT, view, "All my sessions")
        assert "with Cora Coach" in listed["text"] and "Your upcoming sessions" in listed["text"]
        # After the answer (a click), the home is published again in the background, as it now stands.
        again = await next_view(fake, PAT, since=since, within=PUBLISH_WAIT)
        assert "Continue the survey" in slack_buttons(again["blocks"])


async def test_after_a_booking_the_coachs_home_is_published_again_and_never_holds_relayed_words(
    database_url: str, fake: FakeSlackApi
):
    async with running_server(database_url, slack_env(fake)) as server:
        cora = SlackUser(server, fake, CORA)
        sokha = SlackUser(server, fake, SOKHA)
        await cora.say("help")  # Cora's Slack account is linked
        first = await open_home(server, fake, CORA)
        assert "with Sokha Partner" not in text_of(first)

        relayed = await sokha.say(SECRET)  # relayed to Cora, in memory only
        assert "Cora Coach" in relayed
        since = len(fake.calls)
        ack = await slash(server, fake, "book 2 December 2026 21:00", user=SOKHA, channel=slack_dm_of(SOKHA))
        assert "Booked:" in ack["text"]

        # The outbox tells Cora; her home is published again (she opened it), within the gap's wait.
        view = await next_view(fake, CORA, since=since, within=PUBLISH_WAIT)
        shown = text_of(view)
        assert "Wednesday 2 December, 09:00" in shown and "with Sokha Partner" in shown
        await settle(server)
        assert publishes(fake, SOKHA) == []  # Sokha never opened her home: nothing is published for her
        every_view = json.dumps([call.args for call in fake.calls_to("views.publish")])
        assert SECRET not in every_view and "Zebra" not in every_view


async def test_a_coordinator_sees_each_cohort_and_a_newcomer_gets_a_welcome(database_url: str, fake: FakeSlackApi):
    async with running_server(database_url, slack_env(fake)) as server:
        await SlackUser(server, fake, CASEY).say("help")
        dana = SlackUser(server, fake, DANA)
        await dana.say("help me")
        await dana.click("Just tell them")  # a request for help reaches the coordinators
        await settle(server)
        running, next_year = await cohorts_of(server, AAHSL)
        async with server.db.transaction() as session:
            dana_id = (
                await session.execute(select(Person.id).where(Person.email.startswith("participant2")))
            ).scalar_one()
            session.add(failed_delivery(dana_id))
            session.add(submitted_application(next_year.id, dana_id))

        view = await open_home(server, fake, CASEY)
        shown = text_of(view)
        program = server.engine.programs.get(AAHSL)
        assert program is not None
        [running_line] = [line for line in shown.split("\n") if f"{program.tag} {running.name}" in line]
        assert "0 applications waiting for review, 1 pair, 1 request for help, 1 failed delivery" in running_line
        [next_line] = [line for line in shown.split("\n") if f"{program.tag} {next_year.name}" in line]
        assert "1 application waiting for review, 0 pairs, 0 requests for help" in next_line
        assert "Casey" not in shown.split("Your cohorts")[1] and "booking" not in shown  # counts, no notices
        review = slack_buttons(view["blocks"])["Review applications"]
        assert review["value"] == "command:review" and review["style"] == "primary"
        reviewed = await click_home(server, fake, CASEY, view, "Review applications")
        assert "Dana Participant" in reviewed["text"]

        # Someone in no program yet: linked by email as a first message would link them, and welcomed.
        welcome = await open_home(server, fake, NEWCOMER)
        assert "Welcome" in text_of(welcome) and "Hello Nell Newcomer" in text_of(welcome)
        assert {"Help", "Apply to a program"} == set(slack_buttons(welcome["blocks"]))
        [account] = await accounts_of(server, NEWCOMER)
        assert account.home_opened_at is not None
        helped = await click_home(server, fake, NEWCOMER, welcome, "Help")
        assert "apply" in helped["text"]
        # Someone whose Slack profile shows no email: the welcome, and no account.
        unknown = await open_home(server, fake, NO_EMAIL)
        assert "Welcome" in text_of(unknown) and "Hello" not in text_of(unknown)
        assert not await accounts_of(server, NO_EMAIL)


async def test_a_home_event_that_is_not_a_persons_is_left_alone_and_a_forged_home_button_is_stale(
    database_url: str, fake: FakeSlackApi
):
    async with running_server(database_url, slack_env(fake)) as server:
        body = load_slack_payload("app_home_opened.json")
        body["event"].update(user=PAT, tab="messages")  # the Messages tab: nothing to publish
        assert (await post_slack(server, body))[0] == 200
        body["event"].update(user=["U1"], tab="home")  # not an id: refused before bolt reads it
        assert (await post_slack(server, body))[0] == 400
        body["event"].update(user="../../U1", tab="home")  # text, but no Slack id: acknowledged, left alone
        assert (await post_slack(server, body))[0] == 200
        await settle(server)
        assert not await accounts_of(server, PAT) and fake.calls_to("views.publish") == []
        # A forged value on a home button is answered in the DM as any stale button; the home it was clicked
        # on is then published as it stands (the click shows it was opened).
        forged = {
            "type": "button",
            "action_id": "coaching:0",
            "value": "nosuch:1",
            "text": {"type": "plain_text", "text": "Go"},
        }
        answer = await click_home(server, fake, PAT, {"blocks": [{"type": "actions", "elements": [forged]}]}, "Go")
        assert "older conversation" in answer["text"]
        view = await next_view(fake, PAT, since=0, within=PUBLISH_WAIT)
        assert "your coach is Cora Coach" in text_of(view)


async def cohorts_of(server: RunningServer, program_id: str) -> tuple[Cohort, Cohort]:
    """This year's demo cohort of the program and next year's."""
    async with server.db.transaction() as session:
        running = (await session.execute(running_cohort(program_id))).scalar_one()
        following = (await session.execute(next_cohort(program_id))).scalar_one()
    return running, following


async def accounts_of(server: RunningServer, user: str) -> list[Account]:
    async with server.db.transaction() as session:
        return list((await session.execute(select(Account).where(Account.external_id.endswith(f":{user}")))).scalars())


def failed_delivery(person_id: int) -> OutboxMessage:
    """A message the platform refused for good, as the outbox leaves it (its reply: our own words)."""
    return OutboxMessage(
        person_id=person_id,
        kind="booking",
        reply={"text": Reply("A session was booked.").text},
        status="failed",
        attempts=1,
        due_at=FIXED_NOW - timedelta(days=1),
        error="account_inactive",
        created_at=FIXED_NOW - timedelta(days=1),
    )


def submitted_application(cohort_id: int, person_id: int) -> Application:
    return Application(
        cohort_id=cohort_id,
        person_id=person_id,
        status="submitted",
        roles=["participant"],
        answers={},
        materials={},
        submitted_at=FIXED_NOW - timedelta(days=2),
        created_at=FIXED_NOW - timedelta(days=3),
        updated_at=FIXED_NOW - timedelta(days=2),
    )
