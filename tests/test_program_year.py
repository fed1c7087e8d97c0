"""A year in the life of each shipped program: one real cohort (created as `cohorts create` makes it, ahead of
its call) through its whole cycle on the real engine, scheduler and outbox, with a controlled clock. Each
dated message is queued for its day in each person's morning; each action outside its window is refused
with the dates; what the calendar says is what happens."""

from datetime import date

from sqlalchemy import select

from bot.i18n import KHMER, _, role_word, speaking
from bot.khmer_dates import has_khmer
from bot.outbox import reply_of
from bot.translation_check import latin_words
from storage.models import Application, CheckIn, OutboxMessage, Pair, Person
from tests.conftest import Chat
from tests.test_apply import answer_aahsl_until_summary
from tests.year import Year, mornings, utc

LA, NEW_YORK, CHICAGO, PHNOM_PENH, LONDON = (
    "America/Los_Angeles",
    "America/New_York",
    "America/Chicago",
    "Asia/Phnom_Penh",
    "Europe/London",
)


# Names (people's, with their emails, and the program's) are written as they are in any language.
NAMES = {"Sokha", "Director", "Lee", "Leader", "Bea", "Chair", "SIG", "ALICE", "IATUL", "library", "example", "lee"}


async def accept(chair: Chat, program: str, name: str) -> None:
    await chair.say(f"review {program}")
    await chair.click(f"{name}:")
    await chair.click("Accept")
    assert f"{name} is accepted" in await chair.click("Send without a note")


async def statuses(year: Year) -> dict[str, str]:
    async with year.db.transaction() as session:
        rows = (await session.execute(select(Application))).scalars()
        return {str(application.person_id): application.status for application in rows}


async def pairs_of(year: Year, cohort_id: int) -> list[tuple[int, int, str]]:
    async with year.db.transaction() as session:
        query = select(Pair.guide_id, Pair.guided_id, Pair.status).where(Pair.cohort_id == cohort_id)
        return [tuple(row) for row in (await session.execute(query)).all()]  # type: ignore[misc]


async def test_a_year_of_the_aahsl_pilot(db, catalog):
    """2027-28: call 1 July to 26 August 11:59 PM Pacific, peer groups September to March, six sessions
    October to April, monthly check-ins, the final evaluation in April, the end on 30 April."""
    year = Year(db, catalog, utc(2027, 6, 15, 12))
    cohort = await year.cohort("aahsl-coaching-pilot", date(2027, 9, 1))
    chair = await year.person("chair@aahsl.example", "Chris Chair", CHICAGO, cohort, "coordinator")
    await year.person("coach@coaches.example", "Kim Coach", NEW_YORK, cohort, "coach")
    avery = await year.person("avery@library.example", "Avery Applicant", LA)
    sophea = await year.person("sophea@library.example", "Sophea Late", PHNOM_PENH)

    # Before the call: closed, naming this year's call (not next year's), its deadline in Avery's zone.
    closed = await avery.say("apply aahsl")
    assert "Applications for the AAHSL coaching pilot are closed now. The next call is open from 1 July to " in closed
    assert "26 August 2027, closing 26 August 2027 at 23:59 Pacific Time, your time" in closed
    await year.walk_to(utc(2027, 7, 1, 6))  # 23:00 on 30 June in Los Angeles: the call opens at midnight there
    assert "closed now" in await avery.say("apply aahsl")

    # The call opens; Avery applies and submits. Sophea, in Phnom Penh, starts a draft.
    await year.walk_to(utc(2027, 7, 1, 8))
    summary = await answer_aahsl_until_summary(avery)
    assert "Please check your answers" in summary
    assert "Submitted!" in await avery.click("Submit")
    started = await sophea.say("apply aahsl")
    assert "Applications close on 26 August 2027 at 23:59 Pacific Time, that is 27 August 2027 at " in started
    assert "13:59 Phnom Penh time, your time" in started
    await answer_aahsl_until_summary(sophea)

    # 23:59 Pacific on 26 August is one instant: Sophea's 13:59 on the 27th. A minute later her draft is kept
    # but cannot be submitted.
    await year.walk_to(utc(2027, 8, 27, 7, 0, 30))
    refused = await sophea.click("Submit")
    assert "The call for AAHSL 2027-28 closed on 26 August 2027 at 23:59 " in refused
    assert "that is 27 August 2027 at 13:59 Phnom Penh time, your time" in refused
    assert "Your draft is kept as it is" in refused
    assert sorted((await statuses(year)).values()) == ["draft", "submitted"]

    # Selection in August and September: accepted, the place confirmed, matched with the contracted coach.
    await year.walk_to(utc(2027, 8, 30, 15))
    await accept(chair, "aahsl", "Avery Applicant")
    asked = await avery.say("status")
    assert "allocate" in asked.lower() or "confirm" in asked.lower()
    assert "confirmed" in (await avery.click("I confirm")).lower()
    proposals = await chair.say("match aahsl")
    assert "Avery Applicant with Kim Coach" in proposals
    await chair.click("Confirm these pairs")
    assert [status for _guide, _guided, status in await pairs_of(year, cohort.id)] == ["active"]

    # Peer groups from 1 September, one-to-one sessions from 1 October: earlier is refused with the dates.
    early_group = await chair.say("group schedule Leading change | 31 August 2027 3pm | 6")
    assert "take place from 1 September 2027 to 31 March 2028. Nothing was scheduled." in early_group
    assert "Scheduled: Leading change" in await chair.say("group schedule Leading change | 15 September 2027 3pm | 6")
    early_session = await avery.say("book 28 September 2027 10am")
    assert "One-to-one sessions in the AAHSL 2027-28 cohort take place from 1 October 2027 to " in early_session
    assert "30 April 2028. You have used 0 of up to 6 so far. Nothing was booked." in early_session
    assert "Booked:" in await avery.say("book 5 October 2027 10am")

    # The year: monthly check-ins inside the working period only, each in Avery's and Kim's own 09:00
    # (Los Angeles changes to standard time on 7 November and back on 12 March).
    await year.walk_to(utc(2028, 5, 10))
    check_ins = [date(2027, m, 1) for m in (10, 11, 12)] + [date(2028, m, 1) for m in (1, 2, 3, 4)]
    assert await year.check_in_days(cohort) == check_ins
    assert await year.due_times("avery@library.example", "check-in") == mornings(check_ins, LA)
    assert await year.due_times("coach@coaches.example", "check-in") == mornings(check_ins, NEW_YORK)
    # The final evaluation opens on 1 April, for participants and coaches, in their mornings.
    [invitation] = await year.messages("avery@library.example", "survey")
    assert invitation.due_at == mornings([date(2028, 4, 1)], LA)[0]
    assert [m.due_at for m in await year.messages("coach@coaches.example", "survey")] == mornings(
        [date(2028, 4, 1)], NEW_YORK
    )
    # The end, on 30 April: both told the next morning; no booking after it.
    [ended] = await year.messages("avery@library.example", "program-end")
    assert ended.due_at == mornings([date(2028, 5, 1)], LA)[0]
    after = await avery.say("book 3 May 2028 10am")
    assert "2027-28" in after and "Booked" not in after
    async with year.db.transaction() as session:
        assert (await session.execute(select(CheckIn).where(CheckIn.asked_on > date(2028, 4, 30)))).first() is None


async def test_a_year_of_sig_alice(db, catalog):
    """2027-28: coaches and partners apply 1-22 April for a one-year partnership from 1 June to 31 May,
    monthly check-ins through it, the end-of-partnership feedback in May, the end on 31 May."""
    year = Year(db, catalog, utc(2027, 3, 20, 12))
    cohort = await year.cohort("iatul-sig-alice", date(2027, 6, 1))
    chair = await year.person("chair@sigalice.example", "Bea Chair", LONDON, cohort, "coordinator")
    sokha = await year.person("sokha@library.example.kh", "Sokha Director", PHNOM_PENH)
    lee = await year.person("lee@library.example.uk", "Lee Leader", LONDON)
    late = await year.person("late@library.example", "Lou Late", NEW_YORK)

    closed = await sokha.say("apply sig-alice")
    assert "closed now. The next call is open from 1 April to 22 April 2027." in closed
    await year.walk_to(utc(2027, 4, 5, 3))
    await sokha.say("apply sig-alice")
    await sokha.click("Partner")
    await sokha.click("Collections")
    assert "Submitted!" in await sokha.click("Submit")
    for chat, typed in (
        (lee, "apply sig-alice"),
        (late, "apply sig-alice"),
    ):
        started = await chat.say(typed)
        assert "Applications close at the end of 22 April 2027." in started
        await chat.click("Coach")
        await chat.say("Library spaces, advocacy and staff training")
        await chat.say("https://files.example.org/cv.pdf")
        await chat.say("I have coached two library directors and would like to help again.")
    assert "Submitted!" in await lee.click("Submit")
    # A call without an hour closes when 22 April has ended everywhere on Earth (noon UTC on the 23rd).
    await year.walk_to(utc(2027, 4, 23, 13))
    refused = await late.click("Submit")
    assert "closed at the end of 22 April 2027, so your application can no longer be submitted" in refused

    await year.walk_to(utc(2027, 5, 10, 15))
    await accept(chair, "sig-alice", "Sokha Director")
    await accept(chair, "sig-alice", "Lee Leader")
    assert "Sokha Director with Lee Leader" in await chair.say("match sig-alice")
    await chair.click("Confirm these pairs")
    early = await sokha.say("book 28 May 2027 16:00")
    assert "from 1 June 2027 to 31 May 2028. You have used 0 of at least 6 so far. Nothing was booked." in early

    await year.walk_to(utc(2028, 6, 10))
    check_ins = [date(2027, m, 1) for m in range(7, 13)] + [date(2028, m, 1) for m in range(1, 6)]
    assert await year.check_in_days(cohort) == check_ins
    assert await year.due_times("sokha@library.example.kh", "check-in") == mornings(check_ins, PHNOM_PENH)
    assert await year.due_times("lee@library.example.uk", "check-in") == mornings(check_ins, LONDON)  # BST/GMT
    feedback = mornings([date(2028, 5, 1)], PHNOM_PENH)
    assert [m.due_at for m in await year.messages("sokha@library.example.kh", "survey")] == feedback
    [ended] = await year.messages("sokha@library.example.kh", "program-end")
    assert ended.due_at == mornings([date(2028, 6, 1)], PHNOM_PENH)[0]
    after = await sokha.say("book 5 June 2028 16:00")
    assert "Booked" not in after and "31 May 2028" in after


async def test_a_year_of_alcts_mentoring(db, catalog):
    """2027-28, as the guidelines' timeline: call 16 January-17 March, pairings notified 12 May, orientation
    22-26 May, formal mentoring 1 June-30 April with quarterly check-ins, the mid-way survey in November and
    the final evaluation in May, after mentoring; pairs may go on informally after."""
    year = Year(db, catalog, utc(2027, 1, 5, 15))
    cohort = await year.cohort("alcts-mentoring", date(2027, 6, 1))
    chair = await year.person("chair@alcts.example", "Regina Chair", CHICAGO, cohort, "coordinator")
    mentor = await year.person("mentor@alcts.example", "Morgan Mentor", NEW_YORK)
    mentee = await year.person("mentee@alcts.example", "Max Mentee", LA)

    assert "open from 16 January to 17 March 2027" in await mentee.say("apply alcts")
    await year.walk_to(utc(2027, 1, 20, 15))
    for chat, role, interests in (
        (mentor, "Mentor", "Serials cataloguing, metadata standards and committee leadership"),
        (mentee, "Mentee", "I want to learn metadata standards and how to lead a committee"),
    ):
        await chat.say("apply alcts")
        await chat.click(role)
        await chat.click("Yes")
        await chat.click("Yes")
        assert "Please check your answers" in await chat.say(interests)
        assert "Submitted!" in await chat.click("Submit")

    # Matching in spring, the places confirmed for the year.
    await year.walk_to(utc(2027, 4, 12, 15))
    await accept(chair, "alcts", "Morgan Mentor")
    await accept(chair, "alcts", "Max Mentee")
    for chat in (mentor, mentee):
        await chat.say("status")
        assert "confirmed" in (await chat.click("I confirm")).lower()
    assert "Max Mentee with Morgan Mentor" in await chair.say("match alcts")
    await chair.click("Confirm these pairs")

    # The orientation falls in 22-26 May; the work (and booking) begins on 1 June.
    refused = await chair.say("event schedule orientation | Welcome | 20 May 2027 3pm | everyone")
    assert "takes place from 22 May to 26 May 2027" in refused and "Nothing was scheduled." in refused
    assert "Scheduled: Orientation: Welcome" in await chair.say(
        "event schedule orientation | Welcome | 24 May 2027 3pm | everyone"
    )
    early = await mentee.say("book 27 May 2027 10am")
    assert "take place from 1 June 2027 to 30 April 2028. You have used 0 so far. Nothing was booked." in early

    await year.walk_to(utc(2028, 6, 10))
    quarters = [date(2027, 9, 1), date(2027, 12, 1), date(2028, 3, 1)]
    assert await year.check_in_days(cohort) == quarters  # none in May, after mentoring
    assert await year.due_times("mentee@alcts.example", "check-in") == mornings(quarters, LA)
    assert await year.due_times("mentor@alcts.example", "check-in") == mornings(quarters, NEW_YORK)
    surveys = mornings([date(2027, 11, 1), date(2028, 5, 1)], LA)  # mid-way, then final after the work
    assert [m.due_at for m in await year.messages("mentee@alcts.example", "survey")] == surveys
    [ended] = await year.messages("mentee@alcts.example", "program-end")
    assert ended.due_at == mornings([date(2028, 5, 1)], LA)[0]
    assert "continue their mentoring relationship" in str(ended.reply)


async def test_a_year_of_the_coordinator_networks_west(db, catalog):
    """2027-28 in the West: the call 1 September-15 October, matching by the regional coordinator, mentoring
    1 November-31 August with quarterly check-ins, the feedback survey in June for mentors, mentees and
    coordinators."""
    year = Year(db, catalog, utc(2027, 8, 20, 15))
    cohort = await year.cohort("mentorship-coordinator-network", date(2027, 11, 1), region="West")
    assert cohort.name == "2027-28 West"
    chair = await year.person("wes@network.example", "Wes Regional", LA, cohort, "coordinator")
    mentor = await year.person("mia@network.example", "Mia Mentor", LA)
    mentee = await year.person("milo@network.example", "Milo Mentee", "America/Denver")

    assert "open from 1 September to 15 October 2027" in await mentee.say("apply network")
    await year.walk_to(utc(2027, 9, 6, 15))
    for chat, role, stage, goals in (
        (mentor, "Mentor", "Senior", "Helping early-career librarians into management"),
        (mentee, "Mentee", "Early career", "Moving into management in an academic library"),
    ):
        await chat.say("apply network")
        await chat.click("West")
        await chat.click(role)
        await chat.click(stage)
        await chat.say(goals)
        assert "Submitted!" in await chat.click("Submit")

    await year.walk_to(utc(2027, 10, 20, 15))
    await accept(chair, "network", "Mia Mentor")
    await accept(chair, "network", "Milo Mentee")
    assert "Milo Mentee with Mia Mentor" in await chair.say("match network")
    await chair.click("Confirm these pairs")
    # After the call, a newcomer is told of next year's call, the one really coming.
    closed = await year.chat("late@network.example").say("apply network")
    assert "closed now. The next call is open from 1 September to 15 October 2028." in closed

    await year.walk_to(utc(2028, 9, 10))
    quarters = [date(2028, 2, 1), date(2028, 5, 1), date(2028, 8, 1)]
    assert await year.check_in_days(cohort) == quarters
    assert await year.due_times("milo@network.example", "check-in") == mornings(quarters, "America/Denver")
    june = [date(2028, 6, 1)]
    assert [m.due_at for m in await year.messages("milo@network.example", "survey")] == mornings(june, "America/Denver")
    assert [m.due_at for m in await year.messages("wes@network.example", "survey")] == mornings(june, LA)
    [ended] = await year.messages("milo@network.example", "program-end")
    assert ended.due_at == mornings([date(2028, 9, 1)], "America/Denver")[0]


async def test_a_year_of_sig_alice_for_a_partner_who_reads_khmer(db, catalog):
    """The same year, with Sokha reading Khmer from the start: every message the year sends her (the
    decision, the pairing, eleven check-ins, a reminder, the feedback survey, the end) is written in Khmer
    with Khmer dates; her coach's, in English. Refusals outside the windows name the dates in Khmer."""
    year = Year(db, catalog, utc(2027, 3, 20, 12))
    cohort = await year.cohort("iatul-sig-alice", date(2027, 6, 1))
    chair = await year.person("chair@sigalice.example", "Bea Chair", LONDON, cohort, "coordinator")
    sokha = await year.person("sokha@library.example.kh", "Sokha Director", PHNOM_PENH)
    lee = await year.person("lee@library.example.uk", "Lee Leader", LONDON)
    assert has_khmer(await sokha.say("language km"))

    closed = await sokha.say("apply sig-alice")
    assert "1 មេសា ដល់ 22 មេសា 2027" in closed and not latin_words(closed.replace("SIG-ALICE", ""))
    await year.walk_to(utc(2027, 4, 5, 3))
    await sokha.say("apply sig-alice")
    with speaking(KHMER):
        partner, submit = role_word("partner"), _("Submit my application")
    await sokha.click(partner.capitalize())
    await sokha.click("សម្ភារៈបណ្ណាល័យ")  # Collections and/or information access, as the file gives it in Khmer
    assert has_khmer(await sokha.click(submit))
    await lee.say("apply sig-alice")
    await lee.click("Coach")
    await lee.say("Library spaces, advocacy and staff training")
    await lee.say("https://files.example.org/cv.pdf")
    await lee.say("I have coached two library directors and would like to help again.")
    assert "Submitted!" in await lee.click("Submit")

    await year.walk_to(utc(2027, 5, 10, 15))
    await accept(chair, "sig-alice", "Sokha Director")
    await accept(chair, "sig-alice", "Lee Leader")
    await chair.say("match sig-alice")
    await chair.click("Confirm these pairs")
    early = await sokha.say("book 28 May 2027 16:00")
    assert "ពី 1 មិថុនា 2027 ដល់ 31 ឧសភា 2028" in early  # "from 1 June 2027 to 31 May 2028"
    assert set(latin_words(early)) <= NAMES

    await year.walk_to(utc(2028, 6, 10))
    async with year.db.transaction() as session:
        rows = (
            await session.execute(
                select(Person.email, OutboxMessage.kind, OutboxMessage.reply)
                .join(Person, Person.id == OutboxMessage.person_id)
                .where(Person.email.in_(["sokha@library.example.kh", "lee@library.example.uk"]))
            )
        ).all()
    to_sokha = [(kind, reply) for email, kind, reply in rows if email.startswith("sokha")]
    to_lee = [(kind, reply) for email, kind, reply in rows if email.startswith("lee")]
    kinds = [kind for kind, _reply in to_sokha]
    assert {"decision", "pairing", "check-in", "survey", "program-end"} <= set(kinds) and kinds.count("check-in") == 11
    for kind, reply in to_sokha:
        shown = reply_of(reply)
        assert shown.language == KHMER, kind
        words = [shown.title or "", shown.text, *shown.lines, *(button.label for button in shown.buttons)]
        assert has_khmer(" ".join(words)), kind
        assert [w for text in words for w in latin_words(text) if w not in NAMES] == [], (kind, words)
    assert to_lee and all(not has_khmer(reply_of(reply).plain_text()) for _kind, reply in to_lee)
    after = await sokha.say("book 5 June 2028 16:00")
    assert "31 ឧសភា 2028" in after and has_khmer(after)
