"""Evaluation surveys: opened on the program's schedule, invitations in each person's morning, one question
at a time with skip, stop and resume, at most two reminders, answers that cannot be joined back to anyone,
results that hide groups under five, and the check that keeps questions about sessions out of the files.

The demo's first survey of each program opened yesterday (Sunday 22 November) and closes on 13 December;
its reminders fall a third and two thirds into that window. The clock is moved; the scheduler, the
outbox and both databases are the real ones.
"""

import json
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from adapters.console import ConsoleDirectory
from bot import surveys
from bot.cycle import dated_phase, with_phase
from bot.demo import running_cohort, seed_demo
from bot.engine import Engine
from bot.messages import Inbound
from bot.outbox import reply_of
from bot.programs import ProgramCatalog, ProgramError, load_program
from storage.db import Database
from storage.models import Base, Cohort, ExportLink, Job, OutboxMessage, SurveyAnswer, SurveyInvitation
from tests.conftest import FIXED_NOW, PROGRAMS_DIR
from tests.crowd import add_crowd
from tests.test_checkins import at, person_id, rows
from tests.test_cli import run
from wiring import build_registry

AAHSL, ALCTS = "aahsl-coaching-pilot", "alcts-mentoring"
FINAL = "Final evaluation of the coaching program"
OPENS, CLOSES = date(2026, 11, 22), date(2026, 12, 13)
LOS_ANGELES_MORNING = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # Pat's 09:00


@pytest.fixture
async def engine(db: Database, catalog: ProgramCatalog) -> Engine:
    """The engine over the demo cohorts at FIXED_NOW, with the AAHSL pilot's final evaluation open."""
    await seed_demo(db, catalog, FIXED_NOW, open_survey=True)
    return Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW)


async def cohort_of(db: Database, program_id: str) -> Cohort:
    """The program's running demo cohort."""
    return min((c for c in await rows(db, Cohort) if c.program_id == program_id), key=lambda c: c.starts_on)


async def invitation_of(db: Database, email: str, survey_id: str = "final") -> SurveyInvitation:
    owner = await person_id(db, email)
    aahsl = await cohort_of(db, AAHSL)
    found = await rows(
        db,
        SurveyInvitation,
        SurveyInvitation.person_id == owner,
        SurveyInvitation.cohort_id == aahsl.id,
        SurveyInvitation.survey_id == survey_id,
    )
    return found[0]


async def answers(db: Database, question_id: str | None = None) -> list[SurveyAnswer]:
    if question_id is None:
        return await rows(db, SurveyAnswer)
    return await rows(db, SurveyAnswer, SurveyAnswer.question_id == question_id)


async def start_final(person) -> str:  # type: ignore[no-untyped-def]
    """Open the AAHSL final evaluation, whichever way `survey` offers it."""
    shown = await person.say("survey")
    if "Which" not in shown and "waiting for you" not in shown:  # only one: its current question at once
        return shown
    return await person.click(FINAL)


async def survey_results(coordinator) -> str:  # type: ignore[no-untyped-def]
    shown = await coordinator.say("report survey")
    return await coordinator.click(FINAL) if "Which survey?" in shown else shown


async def answer_final(person, overall: str, recommend: str = "Yes", text: str | None = None) -> str:  # type: ignore[no-untyped-def]
    await start_final(person)
    await person.click(overall)
    await person.say("4")
    await person.say("3")
    await person.click(recommend)
    return await person.say(text) if text else await person.click("Skip")


async def test_a_survey_opens_on_schedule_and_invites_its_audience_in_their_morning(engine, db, chat, catalog):
    aahsl = await cohort_of(db, AAHSL)
    assert surveys.survey_dates(aahsl, catalog.get(AAHSL).surveys[0]) == (OPENS, CLOSES)
    # Cora (New York) is past 09:00: hers comes with her first turn after the opening.
    shown = await chat("coach@demo.example").say("status")
    assert "Final evaluation of the coaching program (for NNLM and AAHSL): AAHSL Demo 2026-27" in shown
    assert "Would you answer 5 short questions? It is open until 13 December 2026" in shown
    # The audience is the participants and the coaches; the coordinator is not asked.
    invited = {i.person_id: i.role for i in await rows(db, SurveyInvitation, SurveyInvitation.cohort_id == aahsl.id)}
    expected = {
        await person_id(db, "coach@demo.example"): "coach",
        await person_id(db, "coach2@demo.example"): "coach",
        await person_id(db, "participant@demo.example"): "participant",
        await person_id(db, "participant2@demo.example"): "participant",
    }
    assert invited == expected
    # Pat lives in Los Angeles: it waits for her 09:00.
    pat = await person_id(db, "participant@demo.example")
    waiting = await rows(db, OutboxMessage, OutboxMessage.person_id == pat, OutboxMessage.kind == "survey")
    assert {m.due_at for m in waiting if FINAL in (reply_of(m.reply).title or "")} == {LOS_ANGELES_MORNING}
    # The reminders and the closing are planned; ALCTS's final evaluation waits for May.
    planned = {(j.kind, j.subject.split(":", 2)[2]) for j in await rows(db, Job, Job.kind.like("survey%"))}
    assert {("survey-reminders", "final:2026-11-29"), ("survey-reminders", "final:2026-12-06")} <= planned
    assert ("survey-close", "final") in planned


async def test_one_question_at_a_time_with_skip_stop_and_resume(engine, db, chat):
    pat = chat("participant@demo.example")
    at(engine, LOS_ANGELES_MORNING)
    shown = await start_final(pat)
    assert "question 1 of 5" in shown and "Overall, how valuable was the program to you?" in shown
    assert [b.label for b in pat.console.buttons][-5:] == ["1", "2", "3", "4", "5"]
    assert "question 2 of 5" in await pat.click("4")
    # Words where a number is wanted: a clear answer, nothing stored, the same question again.
    shown = await pat.say("quite useful")
    assert "Please answer with a number from 1 to 5" in shown and "question 2 of 5" in shown
    assert len(await answers(db)) == 1
    assert "question 3 of 5" in await pat.say("5")
    # She stops; later `survey` carries on at the third question.
    await pat.say("cancel")
    assert (await invitation_of(db, "participant@demo.example")).progress == 2
    shown = await start_final(pat)
    assert "question 3 of 5" in shown
    await pat.say("3")
    shown = await pat.click("Maybe")
    assert "question 5 of 5" in shown and "This one is optional" in shown
    assert "That was the last question: thank you!" in await pat.click("Skip")
    invitation = await invitation_of(db, "participant@demo.example")
    assert invitation.finished and invitation.progress == 5
    stored = {a.question_id: a.answer for a in await answers(db)}
    assert stored == {"overall": 4, "one_to_one_value": 5, "peer_group_value": 3, "recommend": "Maybe"}
    # An old button from before cannot answer again, and the finished survey is not offered again.
    assert FINAL not in await pat.say("survey")
    assert len(await answers(db)) == 4


async def open_alcts_midway(db: Database, engine) -> None:  # type: ignore[no-untyped-def]
    """The demo opens only AAHSL's survey: open ALCTS's mid-way evaluation too, as its calendar would."""
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(ALCTS))).scalar_one()
        midway = dated_phase(cohort.calendar, "midway-survey").moved(OPENS, CLOSES)
        cohort.calendar = with_phase(cohort.calendar, midway)
        await surveys.plan(session, cohort, engine.programs.get(ALCTS), FIXED_NOW)


async def test_multiple_choice_ticks_live_in_the_buttons_and_typed_numbers_work(engine, db, chat):
    await open_alcts_midway(db, engine)
    pat, cora = chat("participant@demo.example"), chat("coach@demo.example")
    at(engine, LOS_ANGELES_MORNING)
    await pat.say("survey")
    await pat.click("Mid-way evaluation")
    shown = await pat.click("4")
    assert "How do you mostly keep in touch?" in shown and "Tick all that apply" in shown
    await pat.click("Video")
    await pat.click("Email")
    labels = [b.label for b in pat.console.buttons]
    assert "✓ Video" in labels and "✓ Email" in labels and "Telephone" in labels
    await pat.click("✓ Video")  # untick
    assert "That was the last question" in await pat.click("Done")
    await cora.say("survey")
    await cora.click("Mid-way evaluation")
    await cora.say("5")
    assert "Please tick at least one option" in await cora.say("1, 9")
    assert "That was the last question" in await cora.say("1, face to face")
    chosen = sorted(json.dumps(a.answer) for a in await answers(db, "contact_mode"))
    assert chosen == ['["Email"]', '["Video", "Face to face"]']


async def click_as(engine, email: str, value: str) -> str:  # type: ignore[no-untyped-def]
    """A click on a button value, as if the person had been shown it."""
    replies = await engine.handle(Inbound("console", email, "console", action=value), ConsoleDirectory(email))
    return "\n".join(reply.plain_text() for reply in replies)


async def test_someone_elses_invitation_and_a_closed_survey_are_refused(engine, db, chat):
    pat = chat("participant@demo.example")
    at(engine, LOS_ANGELES_MORNING)
    await pat.say("status")
    pats = await invitation_of(db, "participant@demo.example")
    shown = await click_as(engine, "participant2@demo.example", f"survey:answer|{pats.id}|0|5")
    assert "That survey is not yours to answer" in shown
    assert await answers(db) == [] and (await invitation_of(db, "participant@demo.example")).progress == 0
    at(engine, datetime(2026, 12, 15, 17, 0, tzinfo=UTC))
    shown = await click_as(engine, "participant@demo.example", f"survey:start|{pats.id}")
    assert "closed on 13 December 2026, so it cannot be answered now" in shown
    assert "no survey to answer right now" in await pat.say("survey")


async def test_at_most_two_reminders_then_the_coordinators_hear_it_closed(engine, db, chat):
    pat, lee, casey = chat("participant@demo.example"), chat("coach2@demo.example"), chat("coordinator@demo.example")
    at(engine, LOS_ANGELES_MORNING)
    await answer_final(pat, "5")
    lee_id, pat_id = await person_id(db, "coach2@demo.example"), await person_id(db, "participant@demo.example")
    london_morning = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    at(engine, london_morning)
    assert "A reminder (1 of 2)" in await lee.say("status")
    at(engine, london_morning + timedelta(days=7))
    await lee.say("status")
    at(engine, london_morning + timedelta(days=7, hours=1))  # the scheduler runs again: nothing more
    assert "A reminder" not in await lee.say("status")
    reminders = [
        m
        for m in await rows(db, OutboxMessage, OutboxMessage.kind == "survey-reminder")
        if FINAL in (m.reply["title"] or "")
    ]
    texts = sorted(reply_of(m.reply).text[:21] for m in reminders if m.person_id == lee_id)
    assert texts == ["A reminder (1 of 2): ", "A reminder (2 of 2): "]
    assert pat_id not in {m.person_id for m in reminders}  # she finished
    assert (await invitation_of(db, "coach2@demo.example")).reminders == 2
    at(engine, datetime(2026, 12, 14, 15, 0, tzinfo=UTC))
    shown = await casey.say("status")
    assert "has closed" in shown and "1 of 4 people answered it (25%)" in shown


async def add_participants(db: Database, engine, count: int, role: str = "participant", first: int = 1) -> list[str]:  # type: ignore[no-untyped-def]
    aahsl = await cohort_of(db, AAHSL)
    await add_crowd(db, aahsl.id, count, FIXED_NOW, role=role, first=first)
    return [f"crowd{n}@example.org" for n in range(first, first + count)]


async def test_answers_cannot_be_joined_back_to_the_people_who_gave_them(engine, db, chat, database_url):
    emails = await add_participants(db, engine, 6)
    at(engine, datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    markers = {}
    for n, email in enumerate(emails):
        markers[email] = f"marker-{uuid.uuid4().hex[:8]}-{n}"
        await answer_final(chat(email), str(n % 5 + 1), text=markers[email])
    # No column could hold a person, a pair, an account or a time.
    columns = {c.name for c in Base.metadata.tables["survey_answers"].columns}
    assert columns == {"id", "cohort_id", "survey_id", "question_id", "role", "answer"}
    invitation_columns = {c.name for c in Base.metadata.tables["survey_invitations"].columns}
    assert not invitation_columns & {"answer", "answered_at", "updated_at", "question_id"}
    # Try every way back: a person's id, email or account in any answer's values ...
    stored = await answers(db)
    assert len(stored) == 6 * 5
    people = {email: await person_id(db, email) for email in emails}
    for answer in stored:
        values = json.dumps([answer.id, answer.cohort_id, answer.survey_id, answer.question_id, answer.answer])
        assert not any(email in values for email in emails)
        assert answer.role == "participant"  # eight participants were asked: the role is kept
    # ... or the order: keys are random (uuid4), and there is no sequence to sort by.
    assert all(uuid.UUID(a.id).version == 4 for a in stored)
    async with db.transaction() as session:
        if database_url.startswith("sqlite"):
            with pytest.raises(Exception, match="rowid"):
                await session.execute(text("SELECT rowid FROM survey_answers"))
            # The table read as stored (the answer is in no index): in the random key's order, not as they came.
            stored_order = list((await session.execute(text("SELECT id, answer FROM survey_answers"))).scalars())
            assert stored_order == sorted(stored_order)
    # ... or the invitations: they hold no time of answering, and all carry the one time the survey opened.
    invitations = await rows(db, SurveyInvitation, SurveyInvitation.person_id.in_(list(people.values())))
    assert len({i.created_at for i in invitations}) == 1 and all(i.finished for i in invitations)
    # The text someone wrote is in the answers table and nowhere else.
    async with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "survey_answers":
                continue
            dumped = json.dumps([list(r) for r in (await session.execute(table.select())).all()], default=str)
            assert not any(marker in dumped for marker in markers.values()), table.name
    # Two coaches were asked: too few to keep their role with an answer.
    await answer_final(chat("coach@demo.example"), "3")
    assert {a.role for a in await answers(db, "overall")} == {"participant", None}


async def test_results_hide_groups_under_five_and_roles_that_could_be_worked_out(engine, db, chat):
    emails = await add_participants(db, engine, 4)
    casey = chat("coordinator@demo.example")
    at(engine, datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    for n, email in enumerate(emails):
        await answer_final(chat(email), str(n + 1))
    shown = await survey_results(casey)
    assert "4 of 8 people answered (50%)" in shown
    assert "Overall, how valuable was the program to you?* — hidden\n" in shown + "\n"
    # A hidden question shows no count of its answers: in a small group that says who wrote.
    assert "4 answers" not in shown and "of the 5" not in shown
    assert "Download the answers" not in shown  # nothing to download yet
    await answer_final(chat("coach@demo.example"), "5", text="More evening slots, please")
    shown = await survey_results(casey)
    assert "average 3.0 of 5 from 5 answers (1: 1, 2: 1, 3: 1, 4: 1, 5: 1)" in shown
    # Four participants and a coach whose role was not kept: no breakdown by role (it would show the coach).
    assert "By role" not in shown
    # One text answer: hidden.
    assert "More evening slots" not in shown and "coaching topics.* — hidden" in shown
    assert "1 answer" not in shown and "1 of" not in shown
    assert "Download the answers (CSV)" in shown


async def test_results_by_role_when_every_group_has_five(engine, db, chat):
    participants = await add_participants(db, engine, 5)
    coaches = await add_participants(db, engine, 5, role="coach", first=100)
    casey = chat("coordinator@demo.example")
    at(engine, datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    for email in participants:
        await answer_final(chat(email), "4", recommend="Yes")
    for email in coaches:
        await answer_final(chat(email), "2", recommend="No")
    shown = await survey_results(casey)
    assert "coaches average 2.0 of 5 from 5 answers" in shown
    assert "participants average 4.0 of 5 from 5 answers" in shown
    assert "Yes 5, Maybe 0, No 5 (10 answers)" in shown


async def test_the_anonymous_answers_as_csv(engine, db, chat):
    emails = await add_participants(db, engine, 5)
    at(engine, datetime(2026, 11, 24, 16, 0, tzinfo=UTC))
    for n, email in enumerate(emails):
        await answer_final(chat(email), str(n + 1), text=f"suggestion {n}")
    aahsl = await cohort_of(db, AAHSL)
    survey = engine.programs.get(AAHSL).surveys[0]
    async with db.transaction() as session:
        results = await surveys.question_results(session, aahsl, survey)
    lines = surveys.export_csv(results, aahsl, survey).splitlines()
    assert lines[0] == "cohort,survey,question_id,question,role,answer"
    overall = [line.rsplit(",", 1)[1] for line in lines if ",overall," in line]
    assert overall == ["1", "2", "3", "4", "5"]  # sorted by answer, not by who came first
    assert sum(",format_improvement," in line for line in lines) == 5
    assert not any(email in "\n".join(lines) for email in emails)


def test_programs_check_flags_a_question_about_coaching_topics(tmp_path):
    folder = tmp_path / "programs"
    shutil.copytree(PROGRAMS_DIR, folder)
    path = folder / "aahsl-coaching-pilot.toml"
    path.write_text(
        path.read_text().replace(
            "Overall, how valuable was the program to you?", "Which topics did you discuss with your coach?"
        )
    )
    with pytest.raises(ProgramError, match="looks like it asks about coaching topics or sessions"):
        load_program(path)
    result = run(["programs", "check"], {"PROGRAMS_DIR": str(folder)})
    assert result.returncode == 2
    assert "aahsl-coaching-pilot.toml" in result.stderr and "coaching topics or sessions ('topics')" in result.stderr
    # The shipped files rule such questions out in their own words, and pass.
    assert load_program(PROGRAMS_DIR / "aahsl-coaching-pilot.toml").surveys


def test_a_text_question_must_be_optional(tmp_path):
    path = tmp_path / "alcts.toml"
    path.write_text((PROGRAMS_DIR / "alcts-mentoring.toml").read_text().replace("optional = true", "optional = false"))
    with pytest.raises(ProgramError, match="must be true for a text question"):
        load_program(path)


async def test_a_regional_coordinator_reports_on_their_region_only(engine, db, chat):
    nora = chat("northeast@demo.example")
    shown = await nora.say("report")
    assert "Report: Coordinator network Demo 2026-27 Northeast" in shown and "Which cohort?" not in shown
    west = next(c for c in await rows(db, Cohort) if c.name.endswith("West"))
    refused = await click_as(engine, "northeast@demo.example", f"report:cohort|{west.id}")
    assert "you do not coordinate that one" in refused and "Report:" not in refused
    refused = await click_as(engine, "northeast@demo.example", f"report:csv|{west.id}|feedback")
    assert "you do not coordinate that one" in refused
    assert await rows(db, ExportLink) == []
    casey = await chat("coordinator@demo.example").say("report")
    assert "Coordinator network Demo 2026-27 Northeast" in casey and "Coordinator network Demo 2026-27 West" in casey


async def test_the_report_counts_coaches_against_their_hours_commitment(engine, db, chat):
    casey = chat("coordinator@demo.example")
    await casey.say("report")
    shown = await casey.click("SIG-ALICE Demo 2026-27")
    hours = "*Coach hours, November 2026:* 0.0 hours logged; coaches under the commitment (2-5 hours a month): 2"
    assert hours in shown
    assert "Chart saved:" in shown and "coaches by hours" in shown


async def test_a_survey_question_is_kept_in_the_persons_dm_and_a_quick_answer_is_not(engine):
    """Slack's ephemeral answers are not kept: a survey's question is marked to go to the DM as well."""
    at(engine, LOS_ANGELES_MORNING)
    directory = ConsoleDirectory("participant@demo.example")
    pat = Inbound("slack", "T1:UPAT", "D1", text="survey", is_command=True)
    replies = await engine.handle(pat, directory)
    while not any("question 1 of 5" in reply.plain_text() for reply in replies):
        final = [b for reply in replies for b in reply.buttons if FINAL.split()[0] in b.label]
        assert final, [reply.text for reply in replies]
        replies = await engine.handle(Inbound("slack", "T1:UPAT", "D1", action=final[0].value), directory)
    assert all(reply.keep_in_dm for reply in replies)
    quick = await engine.handle(Inbound("slack", "T1:UPAT", "D1", text="me", is_command=True), directory)
    assert not any(reply.keep_in_dm for reply in quick)
