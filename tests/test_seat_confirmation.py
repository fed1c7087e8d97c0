"""Confirming a place (issue 13, point 6): on acceptance the applicant confirms the commitment in the program's
words; one reminder in their morning; at confirm-by an unconfirmed place lapses and goes to the first on the
waitlist, who is asked in turn, and the coordinators are told; "I can't take part" does the same at once;
coordinators see the states and move the time. Through the engine, with the clock moved and the real
scheduler and outbox (the terminal runs both after each turn)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.checkins import local_moment
from bot.confirmation import LAPSE, REMIND
from bot.identity import get_or_create_person
from bot.messages import Button
from bot.programs import ProgramError, load_programs
from storage.db import Database
from storage.models import Application, Cohort, Job, Membership, OutboxMessage, Person, Seat
from tests.conftest import FIXED_NOW, PROGRAMS_DIR, Chat

AAHSL, ALCTS, IATUL = "aahsl-coaching-pilot", "alcts-mentoring", "iatul-sig-alice"
# Accepted at FIXED_NOW (Monday 23 November 2026, 15:00 UTC): 14 days to confirm.
CONFIRM_BY = FIXED_NOW + timedelta(days=14)
CASEY_SEES = "Monday 7 December 2026 at 09:00 Central Time"
# Applicant 01 lives in Los Angeles: accepted on 23 November there, reminded 7 days later at 09:00 their time.
REMINDER_AT = local_moment(date(2026, 11, 30), time(9), "America/Los_Angeles")
ZONES = ("America/Los_Angeles", "Europe/London", "Asia/Phnom_Penh", "America/Denver")


def at(engine, moment: datetime) -> None:
    engine.clock = lambda: moment


async def applicants(db: Database, program_id: str, roles: list[str]) -> list[str]:
    """Submitted applications in the program's next cohort (its call is open today), one per role given."""
    emails = []
    async with db.transaction() as session:
        query = select(Cohort).where(Cohort.program_id == program_id).order_by(Cohort.starts_on.desc()).limit(1)
        cohort = (await session.execute(query)).scalar_one()
        for number, role in enumerate(roles, 1):
            email = f"applicant{number}@example.org"
            name, zone = f"Applicant {number:02d}", ZONES[(number - 1) % len(ZONES)]
            person = await get_or_create_person(session, email, name, zone, FIXED_NOW)
            await session.flush()
            session.add(
                Application(
                    cohort_id=cohort.id,
                    person_id=person.id,
                    status="submitted",
                    roles=[role],
                    answers={},
                    materials={},
                    submitted_at=FIXED_NOW,
                    created_at=FIXED_NOW,
                    updated_at=FIXED_NOW,
                )
            )
            emails.append(email)
    return emails


async def decide(coordinator: Chat, name: str, decision: str, program: str = "aahsl") -> str:
    await coordinator.say(f"review {program}")
    await coordinator.click(f"{name}:")
    await coordinator.click(decision)
    return await coordinator.click("Send without a note")


async def application_of(db: Database, email: str) -> Application:
    async with db.transaction() as session:
        query = select(Application).join(Person, Person.id == Application.person_id).where(Person.email == email)
        return (await session.execute(query)).scalar_one()


async def outbox_of(db: Database, email: str, kind: str) -> list[OutboxMessage]:
    async with db.transaction() as session:
        query = (
            select(OutboxMessage)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.email == email, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return list((await session.execute(query)).scalars())


async def jobs_of(db: Database, application_id: int) -> dict[str, Job]:
    async with db.transaction() as session:
        query = select(Job).where(Job.subject == f"application:{application_id}")
        return {job.kind: job for job in (await session.execute(query)).scalars()}


async def seat_holder(db: Database) -> dict[int, int]:
    async with db.transaction() as session:
        return dict((await session.execute(select(Seat.number, Seat.application_id))).all())


async def test_the_program_files_say_what_is_confirmed(catalog):
    aahsl = catalog.get(AAHSL).application.confirmation
    assert "sessions" in aahsl.asks and "all evaluation surveys" in aahsl.asks
    assert (aahsl.within_days, aahsl.remind_after_days) == (14, 7)
    assert "one year in the program" in catalog.get(ALCTS).application.confirmation.asks
    assert catalog.get(IATUL).application.confirmation is None


async def test_an_accepted_applicant_confirms_and_keeps_the_place(engine, db, chat):
    [email] = await applicants(db, AAHSL, ["participant"])
    casey, avery = chat("coordinator@demo.example"), chat(email)
    decided = await decide(casey, "Applicant 01", "Accept")
    assert "Applicant 01 is accepted (seat 1 of 9)" in decided
    assert f"I asked them to confirm their place by {CASEY_SEES}" in decided
    # The request is written with the decision, in the same transaction.
    [decision], [request] = await outbox_of(db, email, "decision"), await outbox_of(db, email, "confirmation")
    assert request.created_at == decision.created_at == FIXED_NOW and request.id == decision.id + 1
    told = await avery.say("status")
    assert told.index("Good news: you are accepted") < told.index("Please confirm that you can allocate sufficient")
    assert "respond to all evaluation surveys" in told
    assert "held for you until Monday 7 December 2026 at 07:00 Pacific Time" in told
    assert "accepted, to confirm by Monday 7 December 2026 at 07:00" in told and "type `confirm`" in told
    assert "is confirmed" in await avery.click("I confirm")
    application = await application_of(db, email)
    assert (application.status, application.confirmed_at) == ("accepted", FIXED_NOW)
    assert "accepted, confirmed" in await avery.say("status")
    # Past the reminder and the confirm-by: nothing more happens to a confirmed place.
    at(engine, CONFIRM_BY + timedelta(days=1))
    await avery.say("status")
    assert (await application_of(db, email)).status == "accepted"
    assert await outbox_of(db, email, "confirmation-reminder") == []
    assert await outbox_of(db, "coordinator@demo.example", "confirmation-notice") == []
    assert "You have no place waiting for your confirmation" in await avery.say("confirm")


async def test_confirm_typed_later_asks_again_and_yes_confirms(engine, db, chat):
    [email] = await applicants(db, ALCTS, ["mentee"])
    await decide(chat("coordinator@demo.example"), "Applicant 01", "Accept", "alcts")
    avery = chat(email)
    asked = await avery.say("confirm")
    assert "Please confirm that you commit to one year in the program" in asked and "type *yes*" in asked
    assert "Please use the buttons" in await avery.say("maybe next week")
    assert (await application_of(db, email)).confirmed_at is None
    assert "is confirmed" in await avery.say("yes")
    assert (await application_of(db, email)).confirmed_at == FIXED_NOW


async def test_one_reminder_in_the_persons_morning(engine, db, chat):
    [email] = await applicants(db, AAHSL, ["participant"])
    await decide(chat("coordinator@demo.example"), "Applicant 01", "Accept")
    avery = chat(email)
    await avery.say("status")
    application = await application_of(db, email)
    assert (await jobs_of(db, application.id))[REMIND].due_at == REMINDER_AT == datetime(2026, 11, 30, 17, tzinfo=UTC)
    at(engine, REMINDER_AT - timedelta(minutes=1))
    assert "A reminder" not in await avery.say("status")
    at(engine, REMINDER_AT)
    reminded = await avery.say("status")  # after the turn the scheduler runs, then the outbox delivers
    assert "A reminder: I have not heard from you yet. Please confirm that you can allocate" in reminded
    at(engine, REMINDER_AT + timedelta(days=3))
    assert "A reminder" not in await avery.say("status")  # one reminder, never two
    [reminder] = await outbox_of(db, email, "confirmation-reminder")
    assert (reminder.status, reminder.due_at) == ("sent", REMINDER_AT)
    assert (await application_of(db, email)).confirm_reminded_at == REMINDER_AT


async def test_a_lapsed_place_goes_to_the_first_on_the_waitlist_who_is_asked_in_turn(engine, db, chat):
    first, second, third = await applicants(db, AAHSL, ["participant"] * 3)
    casey = chat("coordinator@demo.example")
    await decide(casey, "Applicant 01", "Accept")
    await decide(casey, "Applicant 03", "Waitlist")  # waitlisted first, so first in line
    at(engine, FIXED_NOW + timedelta(minutes=1))
    await decide(casey, "Applicant 02", "Waitlist")
    lapsed_app = await application_of(db, first)
    assert await seat_holder(db) == {1: lapsed_app.id}

    at(engine, CONFIRM_BY - timedelta(minutes=1))
    await casey.say("status")
    assert (await application_of(db, first)).status == "accepted"  # held until the confirm-by itself
    at(engine, CONFIRM_BY)
    told = await casey.say("status")
    assert f"Applicant 01 did not confirm their place by {CASEY_SEES}" in told
    assert "I offered the place to Applicant 03, the first on the waitlist; they have until Monday 21 December" in told
    lapsed, offered = await application_of(db, first), await application_of(db, third)
    assert lapsed.status == "lapsed" and offered.status == "accepted"
    assert (await application_of(db, second)).status == "waitlisted"
    assert await seat_holder(db) == {1: offered.id}  # the same seat, now the next person's
    assert offered.confirm_by == CONFIRM_BY + timedelta(days=14) and offered.confirmed_at is None
    async with db.transaction() as session:
        members = select(Person.email).join(Membership, Membership.person_id == Person.id)
        in_cohort = set((await session.execute(members.where(Membership.cohort_id == offered.cohort_id))).scalars())
    assert third in in_cohort and first not in in_cohort

    # The lapsed person is told kindly, in their own daytime (07:00 in Los Angeles: at 09:00).
    [kind_word] = await outbox_of(db, first, "confirmation-ended")
    assert kind_word.due_at == CONFIRM_BY + timedelta(hours=2)
    lapsed_chat = chat(first)
    at(engine, CONFIRM_BY + timedelta(hours=2))
    shown = await lapsed_chat.say("status")
    assert "I did not hear from you in time, so your place in the AAHSL Demo 2027-28 cohort" in shown
    assert "we hope you will apply again" in shown
    assert "application ended: the place was not confirmed in time" in shown
    # The offered person (in Phnom Penh, 22:00: night) has the good news and the question in their morning.
    [offer] = await outbox_of(db, third, "confirmation")
    assert offer.due_at == CONFIRM_BY + timedelta(hours=11)
    offered_chat = chat(third)
    at(engine, CONFIRM_BY + timedelta(hours=11))
    shown = await offered_chat.say("status")
    assert (
        "Good news: a place has opened in the Demo 2027-28 cohort of the AAHSL/NNLM"
    ) in shown and "Please confirm that you can" in shown
    assert "held for you until Monday 21 December 2026 at 22:00 Phnom Penh time" in shown
    assert "is confirmed" in await offered_chat.click("I confirm")
    # The lapsed person's old button changes nothing.
    lapsed_chat.console.buttons = [Button("I confirm", f"confirm:yes|{lapsed.id}")]
    refused = await lapsed_chat.click("I confirm")
    assert "is ended: the place was not confirmed in time" in refused and "Nothing was changed" in refused
    assert (await application_of(db, first)).status == "lapsed"


async def test_an_empty_waitlist_is_said_to_the_coordinators(engine, db, chat):
    [email] = await applicants(db, AAHSL, ["participant"])
    casey = chat("coordinator@demo.example")
    await decide(casey, "Applicant 01", "Accept")
    at(engine, CONFIRM_BY)
    told = await casey.say("status")
    assert "Applicant 01 did not confirm their place" in told
    assert "The waitlist is empty, so the place is free: type `review` to accept someone." in told
    assert await seat_holder(db) == {}
    assert (await application_of(db, email)).status == "lapsed"


async def test_cant_take_part_asks_once_more_then_offers_the_place_at_once(engine, db, chat):
    first, second = await applicants(db, AAHSL, ["participant"] * 2)
    casey, avery = chat("coordinator@demo.example"), chat(first)
    await decide(casey, "Applicant 01", "Accept")
    await decide(casey, "Applicant 02", "Waitlist")
    await avery.say("status")
    request_buttons = list(avery.console.buttons)
    asked = await avery.click("I can't take part")
    assert "Are you sure you can't take part" in asked
    kept = await avery.click("No, keep my place")
    assert "stays held for you until Monday 7 December 2026 at 07:00" in kept
    assert (await application_of(db, first)).status == "accepted"
    avery.console.buttons = request_buttons
    await avery.click("I can't take part")
    sure_buttons = list(avery.console.buttons)
    assert "Please use the buttons" in await avery.say("yes")  # typing never gives a place up
    assert (await application_of(db, first)).status == "accepted"
    avery.console.buttons = sure_buttons
    at(engine, FIXED_NOW + timedelta(hours=1))
    done = await avery.click("Yes, give up my place")
    assert "Thank you for letting us know" in done
    assert (await application_of(db, first)).status == "withdrawn"
    offered = await application_of(db, second)
    assert offered.status == "accepted" and offered.confirm_by == FIXED_NOW + timedelta(days=14, hours=1)
    assert await seat_holder(db) == {1: offered.id}
    told = await casey.say("status")
    assert "Applicant 01 said they can't take part, so their place in the AAHSL Demo 2027-28 cohort" in told
    assert "I offered the place to Applicant 02" in told
    assert await outbox_of(db, first, "confirmation-ended") == []  # answered in their own turn instead
    # The lapse job planned for the first acceptance changes nothing when it comes.
    at(engine, CONFIRM_BY)
    await casey.say("status")
    assert (await application_of(db, first)).status == "withdrawn"
    assert len(await outbox_of(db, "coordinator@demo.example", "confirmation-notice")) == 1


async def test_forged_and_stale_clicks_are_answered_and_change_nothing(engine, db, chat):
    first, second = await applicants(db, AAHSL, ["participant"] * 2)
    casey = chat("coordinator@demo.example")
    await decide(casey, "Applicant 01", "Accept")
    await decide(casey, "Applicant 02", "Accept")
    one, two = await application_of(db, first), await application_of(db, second)
    dana = chat(second)
    for value in (f"confirm:yes|{one.id}", f"confirm:no-sure|{one.id}", "confirm:yes|x", "confirm:yes|99999"):
        dana.console.buttons = [Button("Forged", value)]
        assert "That confirmation is not yours to answer. Nothing was changed." in await dana.click("Forged")
    assert (await application_of(db, first)).confirmed_at is None
    assert (await application_of(db, first)).status == "accepted"

    avery = chat(first)
    avery.console.buttons = [Button("I confirm", f"confirm:yes|{one.id}")]
    await avery.click("I confirm")
    for value in (f"confirm:yes|{one.id}", f"confirm:no|{one.id}", f"confirm:no-sure|{one.id}"):
        avery.console.buttons = [Button("Again", value)]
        again = await avery.click("Again")
        assert "You confirmed your place in the AAHSL Demo 2027-28 cohort" in again and "Nothing was changed" in again
    assert (await application_of(db, first)).status == "accepted"

    # After the confirm-by, before the scheduler has released the place: refused, then released.
    at(engine, CONFIRM_BY + timedelta(seconds=1))
    dana.console.buttons = [Button("I confirm", f"confirm:yes|{two.id}")]
    late = await dana.click("I confirm")
    assert "The time to confirm your place in the AAHSL Demo 2027-28 cohort" in late and "ended on" in late
    released = await application_of(db, second)
    assert released.confirmed_at is None and released.status == "lapsed"
    # A coordinator's decision on someone else's confirmation is no way in either.
    casey.console.buttons = [Button("Forged", f"confirm:yes|{two.id}")]
    assert "not yours to answer" in await casey.click("Forged")


async def test_review_shows_the_states_and_moves_the_time_to_confirm(engine, db, chat):
    first, second = await applicants(db, AAHSL, ["participant"] * 2)
    casey = chat("coordinator@demo.example")
    await decide(casey, "Applicant 01", "Accept")
    await decide(casey, "Applicant 02", "Accept")
    avery, dana = chat(first), chat(second)
    await avery.say("status")
    await avery.click("I confirm")
    listing = await casey.say("review aahsl")
    assert "Applicant 01 (participant, confirmed)" in listing
    assert f"Applicant 02 (participant, to confirm by {CASEY_SEES})" in listing

    for typed, answer in (
        ("review confirm-by", "Say how many days from now"),
        ("review confirm-by 0", "Please give from 1 to 90 days, not 0"),
        ("review confirm-by 200 days", "Please give from 1 to 90 days, not 200"),
        ("review confirm-by yesterday", "has passed"),
        ("review confirm-by 3/4", "please write the month as a word"),
        ("review confirm-by whenever suits", "I can't read `whenever suits`"),
    ):
        assert answer in await casey.say(typed)
    assert (await application_of(db, second)).confirm_by == CONFIRM_BY
    assert "Only a coordinator can use `review`" in await dana.say("review confirm-by 30")

    moved = await casey.say("review confirm-by 20")
    assert "Done: Applicant 02, AAHSL Demo 2027-28, now have until Sunday 13 December 2026" in moved
    two = await application_of(db, second)
    assert two.confirm_by == FIXED_NOW + timedelta(days=20)
    assert (await application_of(db, first)).confirm_by == CONFIRM_BY  # confirmed: left alone
    jobs = await jobs_of(db, two.id)
    assert jobs[LAPSE].due_at == FIXED_NOW + timedelta(days=20) and jobs[LAPSE].status == "pending"
    told = await dana.say("status")
    assert "The coordinators have changed the time to confirm your place" in told
    assert "held for you until Sunday 13 December 2026 at 15:00 London time" in told

    # A date is the end of that day in the coordinator's zone.
    assert "now have until Tuesday 15 December 2026 at 23:59 Central Time" in await casey.say(
        "review confirm-by 15 December"
    )
    until = datetime(2026, 12, 16, 5, 59, tzinfo=UTC)
    assert (await application_of(db, second)).confirm_by == until
    assert (await jobs_of(db, two.id))[LAPSE].due_at == until
    # A forged button with a broken time changes nothing.
    casey.console.buttons = [Button("Forged", f"review:confirm-by|{two.cohort_id}|soon")]
    assert "That button is broken, so nothing was changed" in await casey.click("Forged")
    # The old confirm-by passes without a lapse; the new one ends it.
    at(engine, CONFIRM_BY + timedelta(hours=1))
    await casey.say("status")
    assert (await application_of(db, second)).status == "accepted"
    at(engine, until)
    assert "Applicant 02 did not confirm their place by Tuesday 15 December 2026 at 23:59" in await casey.say("status")
    assert (await application_of(db, second)).status == "lapsed"
    assert "No one is waiting to confirm a place" in await casey.say("review confirm-by 5")


async def test_without_seats_the_place_goes_to_the_first_waiting_for_the_same_role(engine, db, chat):
    mentee, mentor, second_mentee = await applicants(db, ALCTS, ["mentee", "mentor", "mentee"])
    casey = chat("coordinator@demo.example")
    await decide(casey, "Applicant 01", "Accept", "alcts")
    await decide(casey, "Applicant 02", "Waitlist", "alcts")  # first in line, but a mentor
    at(engine, FIXED_NOW + timedelta(minutes=1))
    await decide(casey, "Applicant 03", "Waitlist", "alcts")
    at(engine, CONFIRM_BY)
    told = await casey.say("status")
    assert "I offered the place to Applicant 03" in told
    assert (await application_of(db, mentee)).status == "lapsed"
    assert (await application_of(db, mentor)).status == "waitlisted"
    assert (await application_of(db, second_mentee)).status == "accepted"


async def test_programs_without_the_table_ask_nothing(engine, db, chat):
    [email] = await applicants(db, IATUL, ["partner"])
    casey = chat("coordinator@demo.example")
    decided = await decide(casey, "Applicant 01", "Accept", "iatul")
    assert "Applicant 01 is accepted" in decided and "confirm" not in decided
    application = await application_of(db, email)
    assert application.confirm_by is None and await jobs_of(db, application.id) == {}
    assert await outbox_of(db, email, "confirmation") == []
    assert "Applicant 01 (partner)" in await casey.say("review iatul")
    assert "You have no place waiting" in await chat(email).say("confirm")


@pytest.mark.parametrize(
    ("find", "replace", "expected"),
    [
        ("within_days = 14", "within_days = 1", "key 'application.confirmation.within_days': must be a whole number"),
        ("within_days = 14", "within_days = 120", "must be at most 90 days"),
        ("remind_after_days = 7", "remind_after_days = 14", "must be fewer than within_days (14)"),
        ("remind_after_days = 7", "remind_after_days = 7\nremind = 2", "key 'application.confirmation.remind'"),
    ],
)
def test_a_broken_confirmation_table_is_refused(tmp_path, find, replace, expected):
    import shutil

    folder = tmp_path / "programs"
    shutil.copytree(PROGRAMS_DIR, folder)
    path = folder / "alcts-mentoring.toml"
    path.write_text(path.read_text().replace(find, replace, 1))
    with pytest.raises(ProgramError) as error:
        load_programs(folder)
    assert any(expected in problem and "alcts-mentoring.toml" in problem for problem in error.value.problems), (
        error.value.problems
    )


async def test_an_acceptance_after_a_waitlisting_holds_the_place_afresh(engine, db, chat):
    [email] = await applicants(db, AAHSL, ["participant"])
    casey = chat("coordinator@demo.example")
    await decide(casey, "Applicant 01", "Accept")
    at(engine, FIXED_NOW + timedelta(days=1))
    await decide(casey, "Applicant 01", "Waitlist")
    at(engine, FIXED_NOW + timedelta(days=2))
    assert "I asked them to confirm their place by Wednesday 9 December 2026" in await decide(
        casey, "Applicant 01", "Accept"
    )
    application = await application_of(db, email)
    jobs = await jobs_of(db, application.id)
    assert application.confirm_by == CONFIRM_BY + timedelta(days=2)
    assert (jobs[LAPSE].due_at, jobs[LAPSE].status) == (CONFIRM_BY + timedelta(days=2), "pending")
    at(engine, CONFIRM_BY)  # the first acceptance's confirm-by: nothing lapses
    await casey.say("status")
    assert (await application_of(db, email)).status == "accepted"
    at(engine, CONFIRM_BY + timedelta(days=2))
    await casey.say("status")
    assert (await application_of(db, email)).status == "lapsed"
