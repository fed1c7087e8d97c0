"""Coordinators manage a cohort's dated calendar in chat: `cohort calendar`, `cohort dates` (with its
preview and the scheduled work planned again), `cohort new`, and `review reopen` for one draft after the
call closed. Through the engine, on SQLite and PostgreSQL, at FIXED_NOW (Monday 23 November 2026, 15:00
UTC, 09:00 for Casey in Chicago); the scheduler and the outbox are the real ones.

The demo AAHSL cohorts: "Demo 2026-27" works from 24 September 2026 to 23 May 2027 (its call closed on 18
September, one-to-one sessions from 24 October, peer groups to 23 April, the final evaluation from 24
April); "Demo 2027-28" has its call open until 11 January 2027 at 23:59 Los Angeles time and its work
from 17 January 2027.
"""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.messages import Button
from bot.surveys import reminder_days
from storage.db import Database
from storage.models import Application, CoachingSession, Cohort, GroupSession, Job, OutboxMessage, Person

CASEY = "coordinator@demo.example"  # national coordinator of every program (America/Chicago)
NORA = "northeast@demo.example"  # the network's Northeast coordinator only
WES = "west@demo.example"  # the network's West coordinator only
PAT, DANA = "participant@demo.example", "participant2@demo.example"
AAHSL, NETWORK = "aahsl-coaching-pilot", "mentorship-coordinator-network"
RUNNING, NEXT = "Demo 2026-27", "Demo 2027-28"


def at(engine, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    engine.clock = lambda: moment


async def cohort_of(db: Database, program_id: str, name: str) -> Cohort:
    async with db.transaction() as session:
        query = select(Cohort).where(Cohort.program_id == program_id, Cohort.name == name)
        return (await session.execute(query)).scalar_one()


async def cohorts_of(db: Database, program_id: str) -> dict[str, Cohort]:
    async with db.transaction() as session:
        found = (await session.execute(select(Cohort).where(Cohort.program_id == program_id))).scalars()
        return {cohort.name: cohort for cohort in found}


async def jobs_of(db: Database, cohort_id: int, kind: str) -> dict[str, Job]:
    async with db.transaction() as session:
        query = select(Job).where(Job.kind == kind, Job.subject.startswith(f"cohort:{cohort_id}:"))
        return {job.subject: job for job in (await session.execute(query)).scalars()}


# cohort calendar


async def test_the_calendar_shows_each_phase_with_its_id_in_the_coordinators_zone(chat):
    shown = await chat(CASEY).say(f"cohort calendar aahsl {NEXT}")
    assert f"Calendar: AAHSL {NEXT}" in shown
    assert (
        "Call for applications (`call`) [applications]: 16 November 2026 to 11 January 2027, closing 11 January "
        "2027 at 23:59 Pacific Time, that is 12 January 2027 at 01:59 Central Time, your time"
    ) in shown
    assert "The coaching program (`program`) [the working period: check-ins]: 17 January to 16 September 2027" in shown
    assert "(`sessions`) [one-to-one sessions]" in shown and "(`final-evaluation`)" in shown


async def test_with_several_cohorts_the_coordinator_picks_one_with_buttons(chat):
    casey = chat(CASEY)
    asked = await casey.say("cohort calendar")
    assert "Which cohort's calendar?" in asked and len(casey.console.buttons) == 10  # every running demo cohort
    shown = await casey.click(f"SIG-ALICE {NEXT}")
    assert f"Calendar: SIG-ALICE {NEXT}" in shown and "(`partnership`)" in shown
    # A name three programs share is asked about; program words pick one.
    await casey.say(f"cohort calendar {NEXT}")
    assert [b.label for b in casey.console.buttons] == [
        f"AAHSL {NEXT}",
        f"ALCTS {NEXT}",
        f"SIG-ALICE {NEXT}",
    ]
    assert "Formal mentoring (`mentoring`)" in await casey.say(f"cohort calendar alcts {NEXT}")


async def test_a_regional_coordinator_sees_their_regions_cohorts_only(chat):
    nora = chat(NORA)
    await nora.say("cohort calendar")
    assert [b.label for b in nora.console.buttons] == [
        f"Coordinator network {NEXT} Northeast",
        f"Coordinator network {RUNNING} Northeast",
    ]
    refused = await nora.say(f"cohort calendar {NEXT} West")
    assert f"You coordinate no cohort called `{NEXT} West`" in refused and "Calendar:" not in refused


async def test_an_unknown_cohort_verb_lists_the_ones_there_are(chat):
    answer = await chat(CASEY).say("cohort schedule")
    assert "I don't know `cohort schedule`. Type one of: `cohort`, `cohort calendar [COHORT]`" in answer


async def test_people_who_coordinate_nothing_cannot_use_cohort(chat):
    for typed in ("cohort calendar", "cohort new aahsl", "cohort dates call 2026-11-16 2027-01-10"):
        assert "Only a coordinator can use `cohort`" in await chat(PAT).say(typed)


async def forged(person, value: str) -> str:  # type: ignore[no-untyped-def]
    """A click on a button the bot never showed this person (a forged or stale one)."""
    person.console.buttons = [Button("forged", value)]
    return await person.say("1")


async def test_forged_and_stale_clicks_change_nothing(chat, db):
    west = await cohort_of(db, NETWORK, f"{NEXT} West")
    nora = chat(NORA)
    for value in (f"cohort:calendar|{west.id}", f"cohort:dates|{west.id}", "cohort:calendar|nothing"):
        refused = await forged(nora, value)
        assert "you do not coordinate that one" in refused and "Calendar:" not in refused
    casey = chat(CASEY)
    assert "That change is no longer waiting" in await forged(casey, "cohort:move")
    assert "That cohort is no longer waiting to be created" in await forged(casey, "cohort:create")
    await casey.say(f"cohort dates selection 2027-01-12 2027-02-10 aahsl {NEXT}")
    assert "Moved:" in await casey.click("Move it")
    assert "That change is no longer waiting" in await forged(casey, "cohort:move")  # clicked twice
    assert (await cohort_of(db, NETWORK, f"{NEXT} West")).calendar == west.calendar


# cohort dates: extending the call


async def test_extending_the_call_keeps_its_hour_and_zone_after_a_preview(chat, db):
    casey = chat(CASEY)
    preview = await casey.say(f"cohort dates call 2026-11-16 2027-01-14 aahsl {NEXT}")
    assert f"Move Call for applications (`call`) of the AAHSL {NEXT} cohort?" in preview
    assert "Now: 16 November 2026 to 11 January 2027, closing 11 January 2027 at 23:59 Pacific Time" in preview
    assert "New: 16 November 2026 to 14 January 2027, closing 14 January 2027 at 23:59 Pacific Time" in preview
    assert (await cohort_of(db, AAHSL, NEXT)).calendar["phases"]["call"]["closes"] == "2027-01-11"  # not yet
    done = await casey.click("Move it")
    assert "Moved: Call for applications (`call`) now runs 16 November 2026 to 14 January 2027" in done
    call = (await cohort_of(db, AAHSL, NEXT)).calendar["phases"]["call"]
    assert call == {
        "name": "Call for applications",
        "opens": "2026-11-16",
        "closes": "2027-01-14",
        "closes_at": "23:59",
        "zone": "America/Los_Angeles",
    }
    started = await chat(DANA).say("apply aahsl")
    assert "Applications close on 14 January 2027 at 23:59 Pacific Time" in started


async def test_typed_dates_without_a_year_are_read_near_the_phase_and_no_cancels(chat, db):
    casey = chat(CASEY)
    before = (await cohort_of(db, AAHSL, NEXT)).calendar
    preview = await casey.say(f"cohort dates call 16 November to 14 Jan aahsl {NEXT}")
    assert "New: 16 November 2026 to 14 January 2027" in preview
    assert "Fine: nothing was changed." in await casey.say("no")
    assert (await cohort_of(db, AAHSL, NEXT)).calendar == before


async def test_the_cohort_is_asked_for_among_those_with_that_phase(chat, db):
    casey = chat(CASEY)
    await casey.say("cohort dates selection 2027-01-12 2027-02-10")
    assert [b.label for b in casey.console.buttons] == [
        f"AAHSL {NEXT}",
        f"AAHSL {RUNNING}",
    ]
    preview = await casey.click(f"AAHSL {NEXT}")
    assert "New: 12 January to 10 February 2027" in preview
    assert "Moved:" in await casey.say("yes")
    assert (await cohort_of(db, AAHSL, NEXT)).calendar["phases"]["selection"]["closes"] == "2027-02-10"


# cohort dates: refusals, each changing nothing


REFUSALS = (
    (
        f"cohort dates kickoff 2027-01-01 2027-01-31 aahsl {NEXT}",
        "has no phase `kickoff`. Its phases are: `call`, `selection`, `peer-groups`, `program`, `sessions`, "
        "`final-evaluation`.",
    ),
    (
        f"cohort dates call 2027-01-14 2026-11-16 aahsl {NEXT}",
        "16 November 2026 is before 14 January 2027: give the first day, then the last.",
    ),
    (f"cohort dates call soon later aahsl {NEXT}", "Write it as `cohort dates PHASE FROM TO [COHORT]`"),
    (f"cohort dates call 2026-11-16 2027-02-30 aahsl {NEXT}", "`2027-02-30` is not a day of the calendar"),
    (
        f"cohort dates call 2026-11-16 2027-01-20 aahsl {NEXT}",
        "phase 'call' (the call) must close before the work begins (2027-01-17)",
    ),
    (
        f"cohort dates sessions 2027-02-16 2027-10-01 aahsl {NEXT}",
        "phase 'sessions' (one-to-one sessions) must lie inside the working period 'program'",
    ),
    (
        f"cohort dates final-evaluation 2026-12-01 2026-12-31 aahsl {NEXT}",
        "phase 'final-evaluation' (survey 'final') closes before the work begins (2027-01-17)",
    ),
    (f"cohort dates program 2027-01-17 2028-02-01 aahsl {NEXT}", "phase 'program' lasts longer than the one-year"),
    (
        f"cohort dates call 2026-07-24 2026-09-20 aahsl {RUNNING}",
        "Call for applications (`call`) ended on 18 September 2026: a phase that is over stays as it was.",
    ),
    (
        f"cohort dates peer-groups 2026-09-24 2026-11-01 aahsl {RUNNING}",
        "would close on 1 November 2026, which has passed.",
    ),
    (
        "cohort dates call 2026-11-16 2027-01-10 nothing like this",
        "You coordinate no cohort called `nothing like this`",
    ),
)


async def test_bad_moves_are_refused_with_the_reason_and_change_nothing(chat, db):
    casey = chat(CASEY)
    before = {name: cohort.calendar for name, cohort in (await cohorts_of(db, AAHSL)).items()}
    for typed, reason in REFUSALS:
        answer = await casey.say(typed)
        assert reason in answer, (typed, answer)
        assert "Move it" not in answer and casey.console.buttons == []
    assert {name: cohort.calendar for name, cohort in (await cohorts_of(db, AAHSL)).items()} == before


async def test_a_phase_no_cohort_has_lists_each_programs_phases(chat):
    answer = await chat(CASEY).say("cohort dates kickoff 2027-01-01 2027-01-31")
    assert "None of your cohorts has a phase `kickoff`. Nothing was changed." in answer
    assert "ALCTS mentoring: `call`, `matching`, `notification`, `orientation`, `mentoring`" in answer


# cohort dates: what a move changes


async def test_booked_sessions_outside_the_new_window_are_listed_and_stay_booked(chat, db):
    pat = chat(PAT)
    await pat.say("book Wednesday 8am")
    assert "Booked:" in await pat.click("Cora Coach (AAHSL coaching pilot)")
    casey = chat(CASEY)
    scheduled = await casey.say("group schedule Leading change | next Tuesday 3pm | 8")
    assert "Scheduled: Leading change" in scheduled
    preview = await casey.say(f"cohort dates sessions 2026-12-01 2027-05-23 aahsl {RUNNING}")
    assert (
        "One-to-one session outside the new window (1 December 2026 to 23 May 2027): Wed 25 Nov, 10:00 "
        "Central Time, Pat Participant with Cora Coach. It stays booked: tell the people or move it."
    ) in preview
    assert "Peer group" not in preview  # the peer groups' window does not move
    assert "Moved:" in await casey.click("Move it")
    async with db.transaction() as session:
        [booked] = (await session.execute(select(CoachingSession))).scalars()
        assert booked.status == "booked"
    groups = await casey.say(f"cohort dates peer-groups 2026-12-01 2027-04-23 aahsl {RUNNING}")
    assert (
        "Peer group outside the new window (1 December 2026 to 23 April 2027): Tue 24 Nov, 15:00 Central Time, "
        "Leading change (0 joined)."
    ) in groups
    await casey.click("Move it")
    async with db.transaction() as session:
        assert [g.status for g in (await session.execute(select(GroupSession))).scalars()] == ["scheduled"]


async def test_moving_the_work_plans_the_check_ins_again_and_leaves_the_sent_ones(engine, chat, db):
    cohort = await cohort_of(db, AAHSL, RUNNING)
    casey = chat(CASEY)
    at(engine, datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # the 24 November check-in goes out after this turn
    preview = await casey.say(f"cohort dates program 2026-09-20 2027-05-23 aahsl {RUNNING}")
    assert "Check-ins planned again: 20 December 2026, 20 January 2027, 20 February 2027, 20 March 2027, " in preview
    assert (await jobs_of(db, cohort.id, "check-ins"))[f"cohort:{cohort.id}:2026-11-24"].status == "done"
    assert f"cohort:{cohort.id}:2026-12-24" in await jobs_of(db, cohort.id, "check-ins")  # planned by the one sent
    assert f"cohort:{cohort.id}:2026-11-24" in await jobs_of(db, cohort.id, "check-in-reminders")
    assert "Moved:" in await casey.click("Move it")
    sends = await jobs_of(db, cohort.id, "check-ins")
    assert {subject: job.status for subject, job in sends.items()} == {
        f"cohort:{cohort.id}:2026-11-24": "done",  # history, left alone
        f"cohort:{cohort.id}:2026-12-20": "pending",  # the next date of the new cadence
    }
    assert sends[f"cohort:{cohort.id}:2026-12-20"].due_at == datetime(2026, 12, 19, 19, 0, tzinfo=UTC)
    assert [j for j in (await jobs_of(db, cohort.id, "check-in-reminders")).values() if j.status == "pending"] == []
    moved = await cohort_of(db, AAHSL, RUNNING)
    assert (moved.starts_on, moved.ends_on) == (date(2026, 9, 20), date(2027, 5, 23))


async def test_moving_the_work_refuses_what_leaves_peer_groups_outside_it(chat, db):
    answer = await chat(CASEY).say(f"cohort dates program 2026-10-01 2027-05-23 aahsl {RUNNING}")
    assert "phase 'peer-groups' (peer groups) must lie inside the working period 'program'" in answer
    assert (await cohort_of(db, AAHSL, RUNNING)).starts_on == date(2026, 9, 24)


async def test_a_moved_survey_is_planned_again_before_and_after_it_opened(chat, db):
    cohort = await cohort_of(db, AAHSL, RUNNING)
    subject = f"cohort:{cohort.id}:final"
    casey = chat(CASEY)
    preview = await casey.say(f"cohort dates final-evaluation 2027-05-01 2027-05-23 aahsl {RUNNING}")
    assert (
        "Survey “Final evaluation of the coaching program (for NNLM and AAHSL)”: open from 1 May to 23 May 2027"
        in preview
    )
    await casey.click("Move it")
    opening = (await jobs_of(db, cohort.id, "survey-open"))[subject]
    assert (opening.status, opening.due_at) == ("pending", datetime(2027, 4, 30, 19, 0, tzinfo=UTC))
    # Opened today: the scheduler runs the opening at once and plans its reminders and closing.
    await casey.say(f"cohort dates final-evaluation 2026-11-23 2027-05-23 aahsl {RUNNING}")
    await casey.click("Move it")
    assert (await jobs_of(db, cohort.id, "survey-open"))[subject].status == "done"
    assert (await jobs_of(db, cohort.id, "survey-close"))[subject].due_at == datetime(2027, 5, 24, 12, 0, tzinfo=UTC)
    # Moved again once open: the opening is history; reminders and closing follow the new window.
    await casey.say(f"cohort dates final-evaluation 2026-11-23 2027-01-31 aahsl {RUNNING}")
    await casey.click("Move it")
    assert (await jobs_of(db, cohort.id, "survey-open"))[subject].status == "done"
    assert (await jobs_of(db, cohort.id, "survey-close"))[subject].due_at == datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
    reminders = await jobs_of(db, cohort.id, "survey-reminders")
    expected = {f"{subject}:{day.isoformat()}" for day in reminder_days(date(2026, 11, 23), date(2027, 1, 31))}
    assert {s for s, job in reminders.items() if job.status == "pending"} == expected


# cohort new


async def test_a_new_cohort_is_created_after_a_preview_with_its_work_planned(chat, db):
    casey = chat(CASEY)
    preview = await casey.say("cohort new aahsl")
    assert (
        "Create the AAHSL coaching pilot cohort '2027-28', its work from 1 September 2027 to 30 April 2028?" in preview
    )
    assert "Call for applications (`call`) [applications]: 1 July to 26 August 2027" in preview
    assert "2027-28" not in await cohorts_of(db, AAHSL)
    created = await casey.click("Create it")
    assert "Created: AAHSL 2027-28, starting on 1 September 2027." in created
    cohort = (await cohorts_of(db, AAHSL))["2027-28"]
    assert (cohort.starts_on, cohort.ends_on, cohort.is_demo) == (date(2027, 9, 1), date(2028, 4, 30), False)
    assert list(await jobs_of(db, cohort.id, "check-ins")) == [f"cohort:{cohort.id}:2027-10-01"]
    assert list(await jobs_of(db, cohort.id, "survey-open")) == [f"cohort:{cohort.id}:final"]
    again = await casey.say("cohort new aahsl 2027-09-01")
    assert "The AAHSL coaching pilot has a cohort named '2027-28' already. Nothing was created." in again


async def test_a_typed_start_is_read_and_no_creates_nothing(chat, db):
    casey = chat(CASEY)
    preview = await casey.say("cohort new alcts 1 June 2028")
    assert "Create the ALCTS mentoring cohort '2028-29', its work from 1 June 2028 to 30 April 2029?" in preview
    assert "Fine: nothing was created." in await casey.say("no")
    assert "2028-29" not in await cohorts_of(db, "alcts-mentoring")


async def test_a_program_with_regions_needs_the_region(chat, db):
    casey = chat(CASEY)
    missing = await casey.say("cohort new network 2027-11-01")
    assert (
        "runs one cohort per region: add the region last" in missing and "Its regions: Northeast, Southeast" in missing
    )
    unknown = await casey.say("cohort new network 2027-11-01 Atlantis")
    assert "The Coordinator network has no region `Atlantis`" in unknown
    refused = await chat(WES).say("cohort new network 2027-11-01 Northeast")
    assert "You don't coordinate the Northeast region of the Coordinator network. Nothing was created." in refused
    preview = await chat(WES).say("cohort new network")  # their own region, the cycle after its latest cohort
    assert "Create the Coordinator network cohort '2027-28 West', its work from 1 November 2027" in preview
    assert "Created: Coordinator network 2027-28 West" in await chat(WES).say("yes")
    assert (await cohorts_of(db, NETWORK))["2027-28 West"].region_id == "west"


async def test_bad_new_cohorts_are_refused_and_nothing_is_created(chat, db):
    before = set(await cohorts_of(db, AAHSL))
    casey = chat(CASEY)
    late = await casey.say("cohort new aahsl 2026-11-25")
    assert "Its call for applications would already be over (it closed on 19 November 2026)." in late
    assert "Fine: nothing was created." in await casey.click("Cancel")
    past = await chat(CASEY).say("cohort new aahsl 2026-01-01")
    assert "1 January 2026 has passed: a new cohort starts on a day to come. Nothing was created." in past
    other = await chat(NORA).say("cohort new aahsl")
    assert (
        "You don't coordinate the AAHSL coaching pilot, so you can't create its cohorts. Nothing was created." in other
    )
    assert "`" not in other  # no command pointed at
    unknown = await chat(CASEY).say("cohort new nothing")
    assert "Write it as `cohort new PROGRAM [STARTS]`" in unknown and "`aahsl-coaching-pilot`" in unknown
    unreadable = await chat(CASEY).say("cohort new aahsl sometime")
    assert "I couldn't read `sometime` as the day the work begins" in unreadable
    assert set(await cohorts_of(db, AAHSL)) == before


# review reopen: one draft after the call closed


async def test_a_draft_past_the_deadline_is_reopened_and_then_submitted(engine, chat, db):
    dana = chat(DANA)
    await dana.say("apply aahsl")
    await dana.click("Yes")
    early = await chat(CASEY).say(f"review reopen {DANA}")
    assert "The call is open until 11 January 2027 at 23:59 Pacific Time" in early
    at(engine, datetime(2027, 1, 13, 15, 0, tzinfo=UTC))  # the call closed on 11 January in Los Angeles
    refused = await dana.say("apply")
    assert "can no longer be submitted" in refused
    reopened = await chat(CASEY).say(f"review reopen {DANA}")
    assert (
        "Reopened: Dana Participant can submit their application to AAHSL Demo 2027-28 until "
        "20 January 2027 at 23:59 Central Time, your time."
    ) in reopened
    async with db.transaction() as session:
        application = (await session.execute(select(Application))).scalar_one()
        assert application.reopened_until == datetime(2027, 1, 21, 6, 0, tzinfo=UTC)  # midnight in Chicago
        told = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "application-reopened"))
        ).scalar_one()
        dana_id = (await session.execute(select(Person.id).where(Person.email == DANA))).scalar_one()
        assert told.person_id == dana_id
    back = await dana.say("apply")
    assert (
        "reopened your application to the Demo 2027-28 cohort of the AAHSL/NNLM coaching program for mid-level managers"
    ) in back
    assert "until 20 January 2027 at 23:59 Central Time, that is 20 January 2027 at 22:59 Mountain Time" in back
    assert "Welcome back" in back
    for answer in ("Yes", "Yes", "Yes", "Yes", "No", "No"):
        await dana.click(answer)
    await dana.say("https://files.example.org/cover-letter.pdf")
    await dana.say("I want to lead a team. I chaired our caucus and learnt to listen.")
    await dana.say("https://files.example.org/cv.pdf")
    await dana.say("https://files.example.org/support.pdf")
    await dana.click("Skip")
    assert "Submitted!" in await dana.click("Submit my application")


async def test_reopening_is_refused_for_others_and_for_bad_input(chat, db):
    dana = chat(DANA)
    await dana.say("apply aahsl")
    assert "has none in the cohorts you coordinate" in await chat(NORA).say(f"review reopen {DANA}")
    assert "I know no one with the email nobody@example.org" in await chat(CASEY).say(
        "review reopen nobody@example.org"
    )
    assert "Write it as `review reopen EMAIL [UNTIL]`" in await chat(CASEY).say("review reopen")
    assert "2026-11-01 has passed" in await chat(CASEY).say(f"review reopen {DANA} 2026-11-01")
    assert "couldn't read `whenever`" in await chat(CASEY).say(f"review reopen {DANA} whenever")
    assert "has none in the cohorts you coordinate" in await chat(CASEY).say(f"review reopen {PAT}")
    async with db.transaction() as session:
        assert (await session.execute(select(Application.reopened_until))).scalar_one() is None
        assert (
            await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "application-reopened"))
        ).first() is None


async def test_reopening_until_a_typed_day(engine, chat, db):
    await chat(DANA).say("apply aahsl")
    at(engine, datetime(2027, 1, 13, 15, 0, tzinfo=UTC))
    answer = await chat(CASEY).say(f"review reopen {DANA} 15 January")
    assert "until 15 January 2027 at 23:59 Central Time, your time" in answer
    async with db.transaction() as session:
        until = (await session.execute(select(Application.reopened_until))).scalar_one()
    assert until == datetime(2027, 1, 16, 6, 0, tzinfo=UTC) and until - engine.clock() < timedelta(days=3)


async def test_moving_the_end_of_the_work_moves_the_cohorts_end(engine, chat, db):
    cohort = await cohort_of(db, AAHSL, RUNNING)
    assert {s: j.status for s, j in (await jobs_of(db, cohort.id, "cohort-end")).items()} == {
        f"cohort:{cohort.id}:2027-05-23": "pending"
    }
    casey = chat(CASEY)
    await casey.say(f"cohort dates program 2026-09-24 2027-06-15 aahsl {RUNNING}")
    assert "Moved:" in await casey.click("Move it")
    ends = await jobs_of(db, cohort.id, "cohort-end")
    assert {subject: job.status for subject, job in ends.items()} == {f"cohort:{cohort.id}:2027-06-15": "pending"}
