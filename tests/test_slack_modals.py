"""Slack modals through the real server (issue 16 points 1 and 7): a form a turn offers opens as a modal
with the request's trigger_id, a submitted modal drives the same dialog as chat (its refusals shown beside
the fields, nothing changed), and a question someone must come back to lands in their DM.

Signed payloads are posted to /slack/events; only Slack's Web API is the fake on 127.0.0.1 (it records
views.open). The database is read as the witness.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import select

from adapters.slack import forms
from adapters.slack.modals import KEPT_NOTE, NOT_OPENED, OUT_OF_DATE
from bot.messages import Button, Form, FormField
from storage.models import CoachingSession
from tests.block_kit import problems
from tests.conftest import FIXED_NOW
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server
from tests.test_selection_platforms import (
    APPLICANT,
    AVERY,
    GOALS,
    SlackUser,
    application_of,
    blocks_of,
    eventually,
    slack_buttons,
)
from tests.test_slack import PARTICIPANT, PAT, PAT_ZONE, load_payload, post, slack_env, slash

AAHSL = "aahsl-coaching-pilot"
WRONG_ANSWER = ("dean, director", "completed the")  # eligibility questions whose keeping answer is "No"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(AVERY, APPLICANT, "Avery Applicant", "America/Chicago")
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    yield api
    await api.stop()


def submission(user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> str:
    """A view_submission of `view` (as views.open got it) with `values` as Slack's state.values, form-encoded."""
    payload = load_payload("view_submission.json")
    payload["user"].update(id=user, username=user.lower(), name=user.lower())
    payload["view"].update(
        blocks=view["blocks"],
        private_metadata=view["private_metadata"],
        callback_id=view["callback_id"],
        title=view["title"],
        state={"values": values},
    )
    return urlencode({"payload": json.dumps(payload)})


def filled(view: dict[str, Any], statement: str) -> dict[str, dict[str, Any]]:
    """Every field of the application's modal answered as Slack sends it: the keeping choice of each
    eligibility question, `statement` for the text, a link for each file."""
    values: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        element = block["element"]
        if element["type"] in ("radio_buttons", "static_select"):
            wanted = "No" if any(words in block["label"]["text"] for words in WRONG_ANSWER) else "Yes"
            option = next(option for option in element["options"] if option["text"]["text"] == wanted)
            answer = {"type": element["type"], "selected_option": option}
        elif element["type"] == "url_text_input":
            answer = {"type": element["type"], "value": f"https://drive.example.org/{block['block_id'][9:]}.pdf"}
        else:
            answer = {"type": element["type"], "value": statement}
        values[block["block_id"]] = {element["action_id"]: answer}
    return values


async def opened_form(server: RunningServer, fake: FakeSlackApi) -> tuple[SlackUser, dict[str, Any], str]:
    """Avery applies with the slash command (the question lands in the DM), then clicks "Answer in a form"
    there; the modal views.open got, and the DM answer to the click."""
    avery = SlackUser(server, fake, AVERY)
    ack = await slash(server, fake, "apply aahsl", user=AVERY, channel=avery.channel)
    assert KEPT_NOTE in ack["text"] and "Let's apply to the Demo 2027-28 cohort of the AAHSL" in ack["text"]
    assert slack_buttons(ack.get("blocks", [])) == {}  # the question and its buttons are in the DM
    kept = await eventually(avery.posts, "the application's question in the DM")
    assert "(1 of 12)" in kept[0].args["text"]
    avery.shown, avery.shown_ephemeral = blocks_of(kept[0].args), False
    assert {"Answer in a form", "Yes", "No"} <= set(slack_buttons(avery.shown))
    answer = await avery.click("Answer in a form")
    (opening,) = fake.calls_to("views.open")
    assert opening.args["trigger_id"] == load_payload("block_actions.json")["trigger_id"]
    # The message keeps its buttons: a form closed unsent leaves its question to answer in chat.
    assert fake.calls_to("chat.update") == []
    return avery, opening.args["view"], answer


async def submit(server: RunningServer, body: str) -> tuple[int, dict[str, Any] | str]:
    status, answer = await post(server, body)
    return status, (json.loads(answer) if answer.startswith("{") else answer)


async def test_the_application_in_a_modal_is_saved_and_summed_up_in_the_dm(database_url: str, fake: FakeSlackApi):
    async with running_server(database_url, slack_env(fake)) as server:
        avery, view, answer = await opened_form(server, fake)
        assert problems("modal", view) == []
        assert view["callback_id"] == "coaching_form" and view["title"]["text"] == "Your application"
        steps = [block["block_id"] for block in view["blocks"]]
        assert len(steps) == 12 and steps[0].startswith("eligibility:") and "material:goals_statement" in steps
        statement = next(block for block in view["blocks"] if block["block_id"] == "material:goals_statement")
        assert statement["element"]["multiline"] and "500 words" in statement["hint"]["text"]
        assert json.loads(view["private_metadata"])["c"] == avery.channel
        assert "The questions left are in the form" in answer

        since = len(fake.calls)
        status, acked = await submit(server, submission(AVERY, view, filled(view, GOALS)))
        assert (status, acked) == (200, {"response_action": "clear"})
        posted = await eventually(lambda: avery.posts(since), "the form's answer in the DM")
        assert "That is everything" in posted[0].args["text"]
        assert "Submit my application" in slack_buttons(blocks_of(posted[0].args))
        application = await application_of(server, APPLICANT, AAHSL)
        assert application.status == "draft" and len(application.answers) == 7
        assert application.materials["goals_statement"] == {"text": GOALS, "done": True}
        assert application.materials["cv"]["files"] == [{"name": "cv.pdf", "url": "https://drive.example.org/cv.pdf"}]


async def test_a_statement_over_the_word_limit_is_refused_beside_its_field(database_url: str, fake: FakeSlackApi):
    async with running_server(database_url, slack_env(fake)) as server:
        avery, view, _ = await opened_form(server, fake)
        since = len(fake.calls)
        status, acked = await submit(server, submission(AVERY, view, filled(view, "word " * 501)))
        assert status == 200 and isinstance(acked, dict) and acked["response_action"] == "errors"
        assert list(acked["errors"]) == ["material:goals_statement"]
        assert acked["errors"]["material:goals_statement"].startswith("Your text has 501 words; the limit is 500")
        application = await application_of(server, APPLICANT, AAHSL)
        assert (application.answers, application.materials) == ({}, {})
        assert avery.posts(since) == []


async def test_a_session_booked_with_slacks_date_and_time_pickers(database_url: str, fake: FakeSlackApi):
    async with running_server(database_url, slack_env(fake)) as server:
        pat = SlackUser(server, fake, PAT)
        await pat.command("book")
        coach = next(label for label in slack_buttons(pat.shown) if label.startswith("Cora Coach"))
        await pat.click(coach)
        await pat.click("Pick a date and time")
        [opening] = fake.calls_to("views.open")
        view = opening.args["view"]
        assert problems("modal", view) == []
        date, time = view["blocks"]
        assert (date["element"]["type"], time["element"]["type"]) == ("datepicker", "timepicker")
        values = {
            "date": {date["element"]["action_id"]: {"type": "datepicker", "selected_date": "2026-11-25"}},
            "time": {time["element"]["action_id"]: {"type": "timepicker", "selected_time": "09:00"}},
        }
        since = len(fake.calls)
        status, acked = await submit(server, submission(PAT, view, values))
        assert (status, acked) == (200, {"response_action": "clear"})
        posted = await eventually(lambda: pat.posts(since), "the booking in the DM")
        assert posted[0].args["text"].startswith("Booked: Wednesday 25 November, 09:00 Pacific Time")
        async with server.db.transaction() as session:
            booked = (await session.execute(select(CoachingSession))).scalars().all()
        assert [s.starts_at.replace(tzinfo=None) for s in booked] == [datetime(2026, 11, 25, 17, 0)]


async def test_a_form_slower_than_slacks_seconds_is_cleared_at_once_and_answered_in_the_dm(
    database_url: str, fake: FakeSlackApi, caplog: pytest.LogCaptureFixture
):
    async with running_server(database_url, slack_env(fake)) as server:
        avery, view, _ = await opened_form(server, fake)
        server.engine.clock = lambda: FIXED_NOW + timedelta(days=1, minutes=1)  # Avery's profile is asked again
        fake.held["users.info"] = asyncio.Event()  # and Slack does not answer: the turn outlasts ANSWER_WITHIN
        since = len(fake.calls)
        with caplog.at_level(logging.INFO, logger="adapters.slack.modals"):
            status, acked = await submit(server, submission(AVERY, view, filled(view, GOALS)))
        assert (status, acked) == (200, {"response_action": "clear"})
        assert any("slack form slower than" in r.getMessage() for r in caplog.records)
        posted = await eventually(lambda: avery.posts(since), "the form's answer in the DM")
        fake.held.pop("users.info").set()
        assert "That is everything" in posted[0].args["text"]
        assert (await application_of(server, APPLICANT, AAHSL)).materials["goals_statement"]["text"] == GOALS


async def test_a_kept_question_answered_from_an_ephemeral_message_goes_on_in_the_dm(
    database_url: str, fake: FakeSlackApi
):
    async with running_server(database_url, slack_env(fake)) as server:
        avery = SlackUser(server, fake, AVERY)
        await avery.command("apply aahsl")  # the question, kept in the DM
        since = len(fake.calls)
        answer = await avery.click_button(avery.button("Yes"), ephemeral=True)  # as if on an ephemeral copy
        assert answer.startswith("(2 of 12) Do you") and answer.endswith(KEPT_NOTE)  # its headline, then where
        assert slack_buttons(avery.shown) == {}  # its buttons are in the DM
        [kept] = await eventually(lambda: avery.posts(since), "the next question in the DM")
        assert "(2 of 12)" in kept.args["text"] and {"Yes", "No"} <= set(slack_buttons(blocks_of(kept.args)))
        assert len((await application_of(server, APPLICANT, AAHSL)).answers) == 1


async def test_a_form_slack_cannot_open_leaves_the_question_in_chat(sqlite_url: str, fake: FakeSlackApi):
    fake.fail_next("views.open", 200, {"ok": False, "error": "expired_trigger_id"})
    async with running_server(sqlite_url, slack_env(fake)) as server:
        _, _, answer = await opened_form(server, fake)
        assert NOT_OPENED in answer


async def test_forged_or_malformed_submissions_change_nothing_and_never_fail(
    database_url: str, fake: FakeSlackApi, caplog: pytest.LogCaptureFixture
):
    async with running_server(database_url, slack_env(fake)) as server:
        avery, view, _ = await opened_form(server, fake)
        values = filled(view, GOALS)
        caplog.set_level(logging.WARNING)
        since = len(fake.calls)

        def bent(**changes: Any) -> str:
            payload = json.loads(dict(parse_qsl(submission(AVERY, view, values)))["payload"])
            for path, value in changes.items():
                holder = payload
                *parents, last = path.split("__")
                for key in parents:
                    holder = holder[key]
                holder[last] = value
            return urlencode({"payload": json.dumps(payload)})

        refused = {
            "`view` must be an object": bent(view=3),
            "`user.id` must be a Slack id": bent(user={"id": 7}),
            "`view.private_metadata` must be text": bent(view__private_metadata={"s": "apply:resume|1"}),
            "`view.state` must be an object": bent(view__state=[]),
            "`view.state.values`": bent(view__state={"values": {"material:cv": {"value2": {"value": "x\x00y"}}}}),
        }
        for reason, body in refused.items():
            status, answer = await submit(server, body)
            assert (status, reason in str(answer)) == (400, True), (reason, answer)

        status, answer = await submit(server, bent(view__callback_id="another_apps_form"))
        assert (status, answer) == (200, "")  # another app's modal: left alone

        first = view["blocks"][0]["block_id"]
        status, answer = await submit(server, bent(view__private_metadata="not json"))
        assert (status, answer) == (200, {"response_action": "errors", "errors": {first: OUT_OF_DATE}})
        # A start of another dialog: the engine's own checks refuse it, beside the first field.
        forged = json.dumps({"s": "review:accept|1", "t": [], "c": ""})
        status, answer = await submit(server, bent(view__private_metadata=forged))
        assert status == 200 and isinstance(answer, dict) and answer["response_action"] == "errors"
        assert "That button is for a coordinator" in answer["errors"][first]

        application = await application_of(server, APPLICANT, AAHSL)
        assert (application.answers, application.materials) == ({}, {})
        assert avery.posts(since) == []
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


# The modal itself, for forms the dialogs do not make today


def test_a_choice_value_longer_than_slack_takes_is_sent_by_its_place_and_read_back() -> None:
    long_value = "book:slot|" + "x" * 200
    choices = (Button("Monday", "book:slot|1"), Button("Tuesday", long_value))
    form = Form("Book a session", "book:start|1", (FormField("slot", "When", "choice", choices=choices),))
    view = forms.modal_view(form)
    assert problems("modal", view) == []
    options = view["blocks"][0]["element"]["options"]
    assert [option["value"] for option in options] == ["book:slot|1", "#0"]
    metadata = forms.read_metadata(view["private_metadata"])
    assert metadata is not None
    state = {"values": {"slot": {"value0": {"type": "radio_buttons", "selected_option": options[1]}}}}
    assert forms.answers_of({"state": state}, metadata).get("slot") == long_value


def test_every_kind_of_field_and_a_step_too_long_for_a_block_id() -> None:
    long_step = "s" * 300
    fields = (
        FormField("date", "Day", "date", initial="2026-11-25"),
        FormField("time", "Time", "time", initial="9am"),  # not Slack's HH:mm: no initial time
        FormField(long_step, "Note", "text", optional=True, hint="A line or two.", max_length=99999),
        FormField("pick", "Pick", "choice", choices=tuple(Button(f"Option {n}", f"v|{n}") for n in range(8))),
    )
    view = forms.modal_view(Form("A title longer than Slack's twenty-four", "cmd {date}", fields), "D0DM")
    assert problems("modal", view) == []
    date, time, note, pick = view["blocks"]
    assert date["element"] == {"type": "datepicker", "action_id": "value0", "initial_date": "2026-11-25"}
    assert time["element"] == {"type": "timepicker", "action_id": "value1"}
    assert note["element"]["max_length"] == 3000 and note["optional"] and len(note["block_id"]) < 255
    assert pick["element"]["type"] == "static_select" and len(view["title"]["text"]) == 24
    metadata = forms.read_metadata(view["private_metadata"])
    assert metadata is not None and metadata.dm_channel == "D0DM"
    state = {"values": {note["block_id"]: {"value2": {"type": "plain_text_input", "value": "hello"}}}}
    assert forms.answers_of({"state": state}, metadata).get(long_step) == "hello"
    reasons = forms.error_blocks(view | {"state": state}, ((long_step, "Too long. Say less."), ("", "Whole form.")))
    assert reasons == {note["block_id"]: "Too long. Whole form."}


def test_a_modal_never_passes_slacks_metadata_limit() -> None:
    many = tuple(FormField(f"step{n}", "Link", "link", then="done" * 40) for n in range(30))
    view = forms.modal_view(Form("Files", "apply:resume|1", many))
    assert problems("modal", view) == [] and json.loads(view["private_metadata"])["t"] == []
    with pytest.raises(forms.FormTooLarge):
        forms.modal_view(Form("Huge", "x" * 3000, many))


def test_a_form_without_fields_is_still_a_modal_slack_takes() -> None:
    assert problems("modal", forms.modal_view(Form("Nothing left", "apply:resume|1", ()))) == []


def test_metadata_is_read_only_when_it_is_ours() -> None:
    assert forms.read_metadata("[1]") is None and forms.read_metadata('{"s": 3}') is None
    assert forms.read_metadata(r'{"s": "apply:resume|1\u0000"}') is None  # no database stores a NUL
    assert forms.read_metadata(r'{"s": "x", "t": [["a", "\ud800"]]}') is None  # nor half a surrogate pair
    forged = forms.read_metadata('{"s": "x", "c": "C0PUBLIC", "t": [["a", 1], ["b", "done"]], "v": {"k": [1]}}')
    assert forged == forms.Metadata("x", (("b", "done"),), "", (), ())
