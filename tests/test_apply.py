"""Applying, as conversations through the engine, for every shipped program, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.cycle import dated_phase, with_phase
from bot.demo import next_cohort
from bot.engine import Engine
from bot.messages import Inbound, SharedFile
from storage.models import Application, DialogState, OutboxMessage, Person
from tests.conftest import FIXED_NOW, Chat
from wiring import build_registry

AAHSL_YES_NO = ("Yes", "Yes", "Yes", "Yes", "Yes", "No", "No")  # all seven rules met


async def application_of(db, email: str) -> Application:
    async with db.transaction() as session:
        query = select(Application).join(Person, Person.id == Application.person_id).where(Person.email == email)
        return (await session.execute(query)).scalar_one()


async def answer_aahsl_until_summary(dana: Chat, additional_letters: str = "") -> str:
    await dana.say("apply aahsl")
    for answer in AAHSL_YES_NO:
        await dana.click(answer)
    await dana.say("https://files.example.org/cover-letter.pdf")
    await dana.say("I want to lead a team. I chaired our caucus and learnt to listen.")
    await dana.say("https://files.example.org/cv.pdf")
    await dana.say("https://files.example.org/support.pdf")
    return await (dana.say(additional_letters) if additional_letters else dana.click("Skip"))


async def test_aahsl_application_from_first_question_to_submitted(chat, db):
    dana = chat("participant2@demo.example")
    first = await dana.say("apply aahsl")
    # Next year's cohort takes applications; its call closes at 23:59 Pacific, shown in Dana's zone too.
    assert (
        "Demo 2027-28 cohort of the AAHSL/NNLM coaching program for mid-level managers. "
        "Applications close on 11 January 2027 at 23:59 Pacific Time, that is "
    ) in first
    assert "12 January 2027 at 00:59 Mountain Time, your time" in first
    assert "(1 of 12)" in first and "middle management" in first
    summary = await answer_aahsl_until_summary(dana)
    assert "Please check your answers" in summary
    assert "cover-letter.pdf <https://files.example.org/cover-letter.pdf>" in summary
    assert "(14 words)" in summary
    assert "Additional letters of support (at most two): (skipped)" in summary
    assert "Submitted!" in await dana.click("Submit my application")

    application = await application_of(db, "participant2@demo.example")
    assert application.status == "submitted" and application.roles == ["participant"]
    assert application.answers["not_director"] == "no"
    assert application.materials["cv"]["files"] == [{"name": "cv.pdf", "url": "https://files.example.org/cv.pdf"}]
    status = await dana.say("status")
    assert "application submitted on 23 November 2026" in status
    coordinator = await chat("coordinator@demo.example").say("help")
    assert "New application: Dana Participant applied to AAHSL Demo 2027-28" in coordinator


async def test_an_ineligible_answer_ends_the_application_with_the_rule(chat, db):
    dana = chat("participant2@demo.example")
    await dana.say("apply aahsl")
    for answer in AAHSL_YES_NO[:5]:
        await dana.click(answer)
    ended = await dana.click("Yes")  # "Are you an AAHSL library dean, director ...?"
    assert "deans, directors, associate directors and assistant directors are not eligible" in ended
    assert "(7 of 12)" not in ended and dana.console.buttons == []
    assert (await application_of(db, "participant2@demo.example")).status == "ineligible"
    async with db.transaction() as session:
        assert (await session.execute(select(DialogState))).first() is None  # nothing else is asked


async def test_a_statement_over_the_word_limit_is_counted_kept_and_not_accepted(chat, db):
    dana = chat("participant2@demo.example")
    await dana.say("apply aahsl")
    for answer in AAHSL_YES_NO:
        await dana.click(answer)
    await dana.say("https://files.example.org/cover.pdf")
    long_text = " ".join(["goal"] * 512)
    refused = await dana.say(long_text)
    assert "Your text has 512 words; the limit is 500, so it is 12 words over" in refused
    application = await application_of(db, "participant2@demo.example")
    assert application.materials["goals_statement"] == {"draft": long_text}
    assert "(9 of 12)" in refused  # the same question again
    shown = await dana.click("Show the text I kept")
    assert long_text in shown
    saved = await dana.say(" ".join(["goal"] * 500))
    assert "saved (500 words)" in saved and "(10 of 12)" in saved


async def test_an_application_continues_where_it_stopped_after_a_restart(chat, db, catalog):
    dana = chat("participant2@demo.example")
    await dana.say("apply aahsl")
    for answer in AAHSL_YES_NO[:3]:
        await dana.click(answer)
    restarted = Chat(
        Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW + timedelta(days=3)), "participant2@demo.example"
    )
    again = await restarted.say("apply")
    assert "Welcome back" in again and "(4 of 12)" in again
    assert "led a project, committee or caucus" in again


async def test_any_answer_can_be_changed_before_submitting(chat, db):
    dana = chat("participant2@demo.example")
    await answer_aahsl_until_summary(dana)
    await dana.click("Change an answer")
    asked = await dana.click("Leadership goals statement")
    assert "(9 of 12)" in asked
    summary = await dana.say("A new statement of eight words in total.")
    assert "A new statement of eight words in total. (8 words)" in summary
    assert "Please check your answers" in summary


async def test_withdrawing_after_submitting_tells_the_coordinators(chat, db):
    dana = chat("participant2@demo.example")
    await answer_aahsl_until_summary(dana)
    await dana.click("Submit my application")
    asked = await dana.say("withdraw")
    assert "Withdraw your application to AAHSL Demo 2027-28?" in asked
    assert "is withdrawn" in await dana.click("Yes, withdraw")
    assert (await application_of(db, "participant2@demo.example")).status == "withdrawn"
    assert "application withdrawn" in await dana.say("status")
    seen = await chat("coordinator@demo.example").say("help")
    assert "Dana Participant withdrew their application" in seen


async def test_alcts_is_for_members_only(chat, db):
    newcomer = chat("new.member@example.org")
    asked = await newcomer.say("apply alcts")
    assert "mentor, mentee or mentor and mentee?" in asked
    await newcomer.click("Mentor and mentee")
    ended = await newcomer.click("No")  # "Are you a member of ALCTS?"
    assert "the program is open to ALCTS members only" in ended
    application = await application_of(db, "new.member@example.org")
    assert application.status == "ineligible" and application.roles == ["mentor", "mentee"]


async def test_alcts_role_choice_rejects_a_role_the_program_lacks(chat, db):
    newcomer = chat("new.member@example.org")
    await newcomer.say("apply alcts")
    refused = await newcomer.say("coach")
    assert "Please answer with one of: Mentor, Mentee, Mentor and mentee. Nothing was changed." in refused
    assert (await application_of(db, "new.member@example.org")).roles == []
    await newcomer.say("mentee")
    await newcomer.click("Yes")
    await newcomer.click("Yes")
    summary = await newcomer.say("Cataloguing and metadata, and moving into a management role.")
    assert "Applying as: mentee" in summary
    await newcomer.click("Submit")
    assert (await application_of(db, "new.member@example.org")).status == "submitted"


async def test_an_iatul_partner_chooses_one_objective_of_four(chat, db):
    director = chat("director@library.example.kh")
    await director.say("apply iatul")
    asked = await director.click("Partner")
    assert "Which one objective" in asked
    assert [b.label for b in director.console.buttons] == [
        "Library facilities and spaces",
        "Collections and/or information access",
        "Library advocacy and/or services",
        "Human resources and training needs",
    ]
    assert "Nothing was changed" in await director.say("7")
    summary = await director.click("Collections")
    assert "Collections and/or information access" in summary
    assert "Curriculum vitae" not in summary  # materials are asked of coaches only
    await director.click("Submit")
    application = await application_of(db, "director@library.example.kh")
    assert application.answers == {"objective": "Collections and/or information access"}


async def test_an_iatul_coach_gives_expertise_cv_and_statement(chat, engine, db):
    coach = chat("new.coach@university.example")
    await coach.say("apply SIG-ALICE")
    await coach.click("Coach")
    asked = await coach.say("Library spaces, advocacy and staff training")
    assert "Curriculum vitae" in asked
    refused = await coach.say("my CV is on my website")
    assert "I need the file itself" in refused and "Nothing was changed" in refused
    shared = Inbound(
        "console",
        "new.coach@university.example",
        "console",
        files=(SharedFile("cv-2026.pdf", "https://files.example.org/cv-2026.pdf"),),
    )
    replies = await engine.handle(shared, coach.console.directory)
    assert "Got it: cv-2026.pdf" in replies[0].plain_text()
    summary = await coach.say("I coached two new library directors and would like to help again.")
    assert "cv-2026.pdf <https://files.example.org/cv-2026.pdf>" in summary
    application = await application_of(db, "new.coach@university.example")
    assert application.roles == ["coach"] and application.answers["expertise"].startswith("Library spaces")


async def test_a_closed_call_names_the_next_one_really_coming(chat, db):
    async with db.transaction() as session:
        cohort = (await session.execute(next_cohort("aahsl-coaching-pilot"))).scalar_one()
        call = dated_phase(cohort.calendar, "call").moved(date(2027, 7, 1), date(2027, 8, 26))
        cohort.calendar = with_phase(cohort.calendar, call)
    answer = await chat("participant2@demo.example").say("apply aahsl")
    assert "Applications for the AAHSL coaching pilot are closed now. The next call is open from " in answer
    assert (
        "1 July to 26 August 2027, closing 26 August 2027 at 23:59 Pacific Time, that is 27 August 2027 "
        "at 00:59 Mountain Time, your time" in answer
    )
    async with db.transaction() as session:
        assert (await session.execute(select(Application))).first() is None


async def test_apply_without_a_program_offers_the_open_ones(chat):
    answer = await chat("new.person@example.org").say("apply")
    assert "Which program would you like to apply to?" in answer
    assert "I don't know a program called `chess`" in await chat("new.person@example.org").say("apply chess")


async def test_the_coordinator_notice_is_an_outbox_row_without_applicant_text(chat, db):
    dana = chat("participant2@demo.example")
    await answer_aahsl_until_summary(dana)
    await dana.click("Submit my application")
    async with db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    assert [row.kind for row in rows] == ["application"]
    assert "caucus" not in str(rows[0].reply)  # the statement stays in the application only


async def test_status_offers_to_continue_the_application_in_progress(chat):
    dana = chat("participant2@demo.example")
    await dana.say("apply aahsl")
    for answer in AAHSL_YES_NO[:3]:
        await dana.click(answer)
    shown = await dana.say("status")
    assert "AAHSL Demo 2027-28: application in progress, not submitted yet" in shown
    assert "(4 of 12)" in await dana.click("Continue my application")


async def test_a_deadline_that_passes_while_answering_keeps_the_draft_as_it_was(engine, chat, db):
    dana = chat("participant2@demo.example")
    await dana.say("apply aahsl")
    for answer in AAHSL_YES_NO[:3]:
        await dana.click(answer)
    before = (await application_of(db, "participant2@demo.example")).answers
    # Next year's call closes on 11 January 2027 at 23:59 in Los Angeles: 07:59 UTC on the 12th, the minute
    # included. Dana answers the fourth question a minute after.
    engine.clock = lambda: datetime(2027, 1, 12, 8, 0, 30, tzinfo=UTC)
    answered = await dana.click(AAHSL_YES_NO[3])
    assert "closed on 11 January 2027 at 23:59 Pacific Time, that is 12 January 2027 at 00:59 Mountain" in answered
    assert "Your draft is kept as it is" in answered
    application = await application_of(db, "participant2@demo.example")
    assert (application.status, application.answers) == ("draft", before)
    assert "closed" in await dana.say("apply")  # coming back to it says the same, and asks nothing


async def test_changing_a_file_that_was_given_replaces_it(chat, db):
    dana = chat("participant2@demo.example")
    await answer_aahsl_until_summary(dana)
    await dana.click("Change an answer")
    asked = await dana.click("Current curriculum vitae")
    assert "you gave cv.pdf" in asked and "replaces what you gave" in asked
    replaced = await dana.say("https://files.example.org/cv-2027.pdf")
    assert "Got it: cv-2027.pdf replaces what you gave." in replaced
    assert "cv-2027.pdf <https://files.example.org/cv-2027.pdf>" in replaced and "cv.pdf <" not in replaced
    application = await application_of(db, "participant2@demo.example")
    assert application.materials["cv"] == {
        "files": [{"name": "cv-2027.pdf", "url": "https://files.example.org/cv-2027.pdf"}],
        "done": True,
    }


async def test_changing_a_material_of_two_files_starts_it_again(chat, db):
    dana = chat("participant2@demo.example")
    await answer_aahsl_until_summary(
        dana, "https://files.example.org/extra-1.pdf https://files.example.org/extra-2.pdf"
    )
    await dana.click("Change an answer")
    asked = await dana.click("Additional letters")
    assert "you gave extra-1.pdf, extra-2.pdf" in asked
    again = await dana.say("https://files.example.org/extra-3.pdf")
    assert "Got it: extra-3.pdf replaces what you gave. Add another, or press *That's all*." in again
    summary = await dana.click("That's all")
    assert "extra-3.pdf <" in summary and "extra-1.pdf" not in summary
    application = await application_of(db, "participant2@demo.example")
    assert [f["name"] for f in application.materials["additional_letters"]["files"]] == ["extra-3.pdf"]
