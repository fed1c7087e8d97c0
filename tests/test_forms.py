"""Forms drive the same dialogs as chat: the application and a booking sent as one form, through the engine.

A refused answer refuses the whole form, by field, and changes nothing; the rest of the application
goes on in chat. The Slack modal and the Teams dialog are tested through the real server elsewhere.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.engine import Engine
from bot.messages import Form, FormAnswers, Inbound, Profile, Reply
from storage.models import Application, CoachingSession, DialogState


class Directory:
    async def lookup(self, account_id: str) -> Profile:
        return Profile(email="new.applicant@example.org", display_name="Nia Applicant", timezone="America/New_York")


ACCOUNT = "T1:UNEW"


async def turn(engine: Engine, **fields: Any) -> list[Reply]:
    return await engine.handle(Inbound("slack", ACCOUNT, "D1", **fields), Directory())


def form_in(replies: list[Reply]) -> Form:
    forms = [reply.form for reply in replies if reply.form is not None]
    assert len(forms) == 1, [reply.text for reply in replies]
    return forms[0]


def button_value(replies: list[Reply], label: str) -> str:
    values = [b.value for reply in replies for b in reply.buttons if b.label == label]
    assert values, [b.label for reply in replies for b in reply.buttons]
    return values[0]


def answers_for(form: Form, statement: str) -> FormAnswers:
    """Yes to every eligibility question asked as "Do you..." ("No" to the ones whose right answer is no),
    the statement for the text material, and links for the files."""
    given = []
    for field in form.fields:
        if field.kind == "choice":
            wanted = "No" if any(word in field.label for word in ("dean, director", "completed the")) else "Yes"
            given.append((field.step, next(b.value for b in field.choices if b.label == wanted)))
        elif field.kind == "long_text":
            given.append((field.step, statement))
        elif field.kind == "link":
            given.append((field.step, f"https://files.example.org/{field.step.split(':')[1]}.pdf"))
    return FormAnswers.of(form, dict(given))


async def application_row(engine: Engine) -> Application:
    async with engine.db.transaction() as session:
        return (await session.execute(select(Application).order_by(Application.id.desc()))).scalars().first()


async def open_form(engine: Engine) -> Form:
    started = await turn(engine, text="apply aahsl")
    assert all(reply.keep_in_dm for reply in started)  # an application is kept in the DM
    opened = await turn(engine, action=button_value(started, "Answer in a form"))
    return form_in(opened)


async def test_the_whole_application_in_one_form(engine: Engine) -> None:
    form = await open_form(engine)
    kinds = {field.kind for field in form.fields}
    assert kinds == {"choice", "long_text", "link"}
    assert len(form.fields) == 12  # seven eligibility questions, one statement, four files
    statement = "I want to lead a team through change. " * 20
    replies = await turn(engine, form=answers_for(form, statement))
    assert not any(reply.field_errors for reply in replies)
    shown = "\n".join(reply.plain_text() for reply in replies)
    assert "That is everything" in shown  # the dialog's own summary, asked in chat
    assert "Submit my application" in [b.label for reply in replies for b in reply.buttons]
    application = await application_row(engine)
    assert application.materials["goals_statement"]["text"] == statement.strip()
    assert application.materials["cv"]["files"][0]["url"].endswith("/cv.pdf")
    assert set(application.answers) == {field.step.split(":")[1] for field in form.fields if field.kind == "choice"}


async def test_an_answer_over_the_word_limit_refuses_the_form_and_changes_nothing(engine: Engine) -> None:
    form = await open_form(engine)
    before = await application_row(engine)
    replies = await turn(engine, form=answers_for(form, "word " * 501))
    errors = dict(replies[0].field_errors)
    assert list(errors) == ["material:goals_statement"]
    assert errors["material:goals_statement"] == (
        "Your text has 501 words; the limit is 500, so it is 1 words over. Please shorten it to at most 500 words."
    )
    after = await application_row(engine)
    assert (after.answers, after.materials) == (before.answers, before.materials) == ({}, {})


async def test_an_ineligible_answer_is_an_answer_not_an_error(engine: Engine) -> None:
    form = await open_form(engine)
    answers = answers_for(form, "Short goals.")
    first = form.fields[0]
    no = next(b.value for b in first.choices if b.label == "No")
    answers = FormAnswers(answers.start, ((first.step, no), *answers.answers[1:]), answers.then)
    replies = await turn(engine, form=answers)
    assert not any(reply.field_errors for reply in replies)
    assert (await application_row(engine)).status == "ineligible"


async def test_a_forged_choice_is_refused_by_the_dialog(engine: Engine) -> None:
    form = await open_form(engine)
    answers = answers_for(form, "Short goals.")
    forged = FormAnswers(answers.start, ((form.fields[0].step, "apply:answer|999|eligibility:degree|0"),))
    replies = await turn(engine, form=forged)
    assert dict(replies[0].field_errors)[form.fields[0].step].startswith("Please answer with one of: yes, no.")
    assert (await application_row(engine)).answers == {}


async def test_empty_fields_are_left_for_the_chat(engine: Engine) -> None:
    form = await open_form(engine)
    answers = answers_for(form, "Short goals.")
    without_files = tuple((step, "" if step.startswith("material:c") else value) for step, value in answers.answers)
    replies = await turn(engine, form=FormAnswers(answers.start, without_files, answers.then))
    assert "Cover letter" in replies[-1].text  # the dialog asks for the first file in chat
    async with engine.db.transaction() as session:
        state = (await session.execute(select(DialogState))).scalars().one()
    assert state.step == "material:cover_letter"


class PatOnSlack:
    async def lookup(self, account_id: str) -> Profile:
        return Profile(email="participant@demo.example", display_name="Pat", timezone="America/Los_Angeles")


async def pat(engine: Engine, **fields: Any) -> list[Reply]:
    return await engine.handle(Inbound("slack", "T1:UPAT", "D2", **fields), PatOnSlack())


async def booking_form(engine: Engine) -> Form:
    whom = await pat(engine, text="book")
    offered = await pat(engine, action=button_value(whom, "Cora Coach (AAHSL coaching pilot)"))
    form = form_in(await pat(engine, action=button_value(offered, "Pick a date and time")))
    assert [(field.step, field.kind) for field in form.fields] == [("date", "date"), ("time", "time")]
    assert "Pacific Time" in form.fields[1].label
    return form


async def test_a_booking_picked_in_a_form_is_booked_as_typed(engine: Engine) -> None:
    form = await booking_form(engine)
    replies = await pat(engine, form=FormAnswers.of(form, {"date": "2026-11-25", "time": "09:00"}))
    assert not any(reply.field_errors for reply in replies)
    assert replies[0].text.startswith("Booked: Wednesday 25 November, 09:00 Pacific Time for you")
    async with engine.db.transaction() as session:
        booked = (await session.execute(select(CoachingSession))).scalars().all()
    assert [s.starts_at.replace(tzinfo=None) for s in booked] == [datetime(2026, 11, 25, 17, 0)]


async def test_a_picked_time_outside_the_coachs_hours_is_refused_beside_the_time(engine: Engine) -> None:
    form = await booking_form(engine)
    replies = await pat(engine, form=FormAnswers.of(form, {"date": "2026-11-25", "time": "03:00"}))
    errors = dict(replies[0].field_errors)
    assert list(errors) == ["time"] and "is outside Cora" in errors["time"]
    async with engine.db.transaction() as session:
        assert (await session.execute(select(CoachingSession))).scalars().all() == []


async def test_a_forged_start_is_a_stale_button(engine: Engine) -> None:
    form = await booking_form(engine)
    forged = FormAnswers("nosuchdialog:when|1|{date} {time}", (("date", "2026-11-25"), ("time", "09:00")))
    replies = await pat(engine, form=forged)
    assert dict(replies[0].field_errors)["time"].startswith("That button is from an older conversation")
    assert form.start.startswith("book:when|")


async def test_a_forged_day_is_refused(engine: Engine) -> None:
    form = await booking_form(engine)
    replies = await pat(engine, form=FormAnswers.of(form, {"date": "next week; drop", "time": "09:00"}))
    assert dict(replies[0].field_errors) == {"time": "Please pick a day and a time. Nothing was booked."}


class CaseyOnSlack:
    async def lookup(self, account_id: str) -> Profile:
        return Profile(email="coordinator@demo.example", display_name="Casey", timezone="America/Chicago")


async def casey(engine: Engine, **fields: Any) -> list[Reply]:
    return await engine.handle(Inbound("slack", "T1:UCASEY", "D3", **fields), CaseyOnSlack())


async def test_an_announcement_written_in_a_form_comes_back_as_a_preview_to_confirm(engine: Engine) -> None:
    asked = await casey(engine, text="announce")
    assert asked[-1].text == "Which cohort is the announcement for?"  # Casey coordinates several
    asked = await casey(engine, action=asked[-1].buttons[0].value)
    form = form_in(await casey(engine, action=button_value(asked, "Write it in a form")))
    audience = next(field for field in form.fields if field.step == "audience")
    everyone = next(b.value for b in audience.choices if b.label == "Everyone in the cohort")
    message = "cancel the Friday call: we meet Monday instead"  # typed into a form it is text, not `cancel`
    replies = await casey(engine, form=FormAnswers.of(form, {"audience": everyone, "message": message}))
    assert replies[0].title is not None and replies[0].title.startswith("Preview")
    assert message in replies[0].text
    assert [b.label for b in replies[-1].buttons][1] == "Don't send"  # nothing goes without the click
    empty = await casey(engine, form=FormAnswers.of(form, {"audience": everyone, "message": "x" * 3001}))
    assert dict(empty[0].field_errors)["message"].startswith("Please type the announcement")


async def test_a_resource_added_in_a_form_is_checked_as_typed(engine: Engine) -> None:
    asked = await casey(engine, text="resources add")
    form = form_in(await casey(engine, action=button_value(asked, "Use a form")))
    kind = next(field for field in form.fields if field.step == "kind").choices[0].value
    given = {"title": "Agreement template", "url": "https://example.org/agreement", "kind": kind}
    replies = await casey(engine, form=FormAnswers.of(form, given | {"stages": "all", "topics": "all"}))
    assert "Added to the" in replies[0].text
    again = await casey(engine, form=FormAnswers.of(form, given | {"stages": "all", "topics": "all"}))
    assert "already in the library" in dict(again[0].field_errors)["url"]
    unknown = await casey(engine, form=FormAnswers.of(form, {**given, "url": "https://x.org/a", "stages": "teens"}))
    assert "is not one of the career stages" in dict(unknown[0].field_errors)["stages"]
