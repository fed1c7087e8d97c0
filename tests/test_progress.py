"""Progress against the program's numbers: per-pair figures (held sessions, booked ones, hours of contact
with reported hours counted once), `status` in the program's words, the pace nudge through a real year
on a controlled clock, and the report's figures (pairs at the minimum, behind pace, relay use by month)."""

import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.checkins import local_moment
from bot.demo import running_cohort
from bot.progress import pair_progress
from storage.models import CheckIn, CoachingSession, Cohort, Pair, Person, RelayCount
from tests.conftest import FIXED_NOW
from tests.year import Year, utc

PHNOM_PENH, NEW_YORK, LONDON = "Asia/Phnom_Penh", "America/New_York", "Europe/London"
NINE = time(9)


async def demo_pair(db, program_id: str, guided_email: str) -> Pair:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(program_id))).scalars().first()
        guided = (await session.execute(select(Person).where(Person.email == guided_email))).scalar_one()
        query = select(Pair).where(Pair.cohort_id == cohort.id, Pair.guided_id == guided.id)
        return (await session.execute(query)).scalar_one()


def coaching_session(pair: Pair, starts_at: datetime, minutes: int, status: str = "booked") -> CoachingSession:
    return CoachingSession(
        pair_id=pair.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        status=status,
        calendar_token=secrets.token_urlsafe(16),
        booked_by_id=pair.guided_id,
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
    )


def answered(pair: Pair, person_id: int, asked_on: date, *, sessions=None, hours=None) -> CheckIn:  # type: ignore[no-untyped-def]
    return CheckIn(
        cohort_id=pair.cohort_id,
        pair_id=pair.id,
        person_id=person_id,
        asked_on=asked_on,
        status="on_track",
        sessions=sessions,
        hours=hours,
        answered_at=datetime.combine(asked_on, NINE, UTC),
        created_at=datetime.combine(asked_on, NINE, UTC),
    )


# Per pair, and `status`


async def test_hours_of_contact_count_held_sessions_and_reported_hours_once(engine, db, chat):
    """ALCTS: an hour held in October and reported as 1.5 hours (by the mentor; 1 by the mentee) counts
    1.5, not 2.5; 90 minutes held after that check-in add 1.5; a session still to come adds nothing."""
    pair = await demo_pair(db, "alcts-mentoring", "participant@demo.example")
    async with db.transaction() as session:
        session.add_all(
            [
                coaching_session(pair, utc(2026, 10, 10, 15), 60, "held"),
                answered(pair, pair.guide_id, date(2026, 10, 24), hours=1.5),
                answered(pair, pair.guided_id, date(2026, 10, 24), hours=1.0),
                coaching_session(pair, utc(2026, 11, 2, 15), 90),  # booked, and over by FIXED_NOW: held
                coaching_session(pair, utc(2026, 12, 1, 15), 60),  # still to come
            ]
        )
    async with db.transaction() as session:
        figures = await pair_progress(session, pair.id, FIXED_NOW)
    assert (figures.held, figures.booked, figures.held_minutes) == (2, 1, 150)
    assert figures.reported_hours == 0.5 and figures.hours == 3.0
    shown = await chat("participant@demo.example").say("status")
    assert (
        "ALCTS mentoring: your mentor is Cora Coach; 3 hours of contact (held sessions and hours you reported; "
        "at least 2 expected)" in shown
    )


async def test_sessions_reported_beyond_those_booked_here_count_for_a_minimum(engine, db, chat):
    """SIG-ALICE: two held here and three reported for the same month count three; one booked ahead."""
    pair = await demo_pair(db, "iatul-sig-alice", "partner@demo.example")
    async with db.transaction() as session:
        session.add_all(
            [
                coaching_session(pair, utc(2026, 10, 1, 13), 60, "held"),
                coaching_session(pair, utc(2026, 10, 15, 13), 60, "held"),
                answered(pair, pair.guided_id, date(2026, 10, 24), sessions=3),
                answered(pair, pair.guide_id, date(2026, 10, 24), sessions=2),
                coaching_session(pair, utc(2026, 12, 3, 13), 60),
            ]
        )
    shown = await chat("partner@demo.example").say("status")
    assert "your coach is Cora Coach; 3 sessions held, 1 booked (the program asks for at least 6)" in shown
    assert "you are coach to Sokha Partner; 3 sessions held, 1 booked" in await chat("coach@demo.example").say("status")


async def test_a_maximum_counts_what_is_booked_or_held_here(engine, db, chat):
    pair = await demo_pair(db, "aahsl-coaching-pilot", "participant@demo.example")
    async with db.transaction() as session:
        session.add_all(
            [
                coaching_session(pair, utc(2026, 11, 2, 15), 60, "held"),
                coaching_session(pair, utc(2026, 11, 9, 15), 60, "no_show"),  # not used
                coaching_session(pair, utc(2026, 12, 1, 15), 60),
            ]
        )
    shown = await chat("participant@demo.example").say("status")
    assert (
        "AAHSL coaching pilot: your coach is Cora Coach; 2 of up to 6 sessions used, 1 of them still to come" in shown
    )


# The pace nudge, through a year


async def pair_up(year: Year, cohort: Cohort, guide: str, guided: str) -> Pair:
    async with year.db.transaction() as session:
        ids = dict((await session.execute(select(Person.email, Person.id))).all())
        pair = Pair(cohort_id=cohort.id, guide_id=ids[guide], guided_id=ids[guided], created_at=year.now)
        session.add(pair)
    return pair


async def update_pair(year: Year, pair: Pair, **values) -> None:  # type: ignore[no-untyped-def]
    async with year.db.transaction() as session:
        row = await session.get_one(Pair, pair.id)
        for name, value in values.items():
            setattr(row, name, value)


async def test_a_pair_behind_pace_is_nudged_in_each_morning_once_a_month(db, catalog):
    """SIG-ALICE 2027-28: six sessions at least over the year from 1 June 2027 (366 days). One is due by
    1 August (day 61). A pair that books nothing is nudged that day, each person at 09:00 their time, and
    again only 30 days later; a paused pair once its pause is over; an away partner not (the coach is);
    a pair that booked its six gets nothing. The report counts them."""
    year = Year(db, catalog, utc(2027, 5, 20, 12))
    cohort = await year.cohort("iatul-sig-alice", date(2027, 6, 1))
    chair = await year.person("chair@alice.example", "Bea Chair", LONDON, cohort, "coordinator")
    for number in range(1, 5):
        await year.person(f"coach{number}@alice.example", f"Coach {number}", NEW_YORK, cohort, "coach")
        await year.person(f"partner{number}@alice.example", f"Partner {number}", PHNOM_PENH, cohort, "partner")
    await pair_up(year, cohort, "coach1@alice.example", "partner1@alice.example")
    paused = await pair_up(year, cohort, "coach2@alice.example", "partner2@alice.example")
    await pair_up(year, cohort, "coach3@alice.example", "partner3@alice.example")
    on_pace = await pair_up(year, cohort, "coach4@alice.example", "partner4@alice.example")
    await update_pair(year, paused, paused_until=date(2027, 8, 15), pause_reason="health")
    async with db.transaction() as session:
        partner3 = (await session.execute(select(Person).where(Person.email == "partner3@alice.example"))).scalar_one()
        partner3.away_until = date(2027, 8, 20)
        session.add_all(coaching_session(on_pace, utc(2027, 6, 15 + n, 13), 60) for n in range(6))

    # 31 July: one session is due only from 1 August; nobody is nudged yet.
    await year.walk_to(utc(2027, 7, 31, 12))
    assert await year.messages("coach1@alice.example", "pace-nudge") == []

    # 1 August: the idle pair, each in their own morning; the away partner's coach; never the paused pair.
    await year.walk_to(utc(2027, 8, 2, 12))
    coach1 = await year.messages("coach1@alice.example", "pace-nudge")
    assert [m.due_at for m in coach1] == [local_moment(date(2027, 8, 1), NINE, NEW_YORK)]  # 13:00 UTC
    assert await year.due_times("partner1@alice.example", "pace-nudge") == [utc(2027, 8, 1, 2)]  # 09:00 Phnom Penh
    assert all(m.status == "sent" for m in coach1)
    text = coach1[0].reply["text"]
    assert "You and Partner 1 have 0 sessions held or booked so far" in text
    assert "the program asks for at least 6 sessions by 31 May 2028, about 1 by now. Type `book`" in text
    assert await year.messages("coach2@alice.example", "pace-nudge") == []
    assert await year.messages("partner2@alice.example", "pace-nudge") == []
    assert len(await year.messages("coach3@alice.example", "pace-nudge")) == 1
    assert await year.messages("partner3@alice.example", "pace-nudge") == []
    report = await chair.say("report")
    assert (  # the pair on pace held its six in June; the paused pair is away, not behind
        "*Against the program's numbers:* 1 of 4 pairs at or above the minimum of 6 sessions (held or reported); "
        "2 behind pace" in report
    )

    # The pause over (15 August), the paused pair hears on the 16th; the idle pair nothing more in August.
    await year.walk_to(utc(2027, 8, 30, 12))
    assert await year.due_times("partner2@alice.example", "pace-nudge") == [utc(2027, 8, 16, 2)]
    assert len(await year.messages("coach1@alice.example", "pace-nudge")) == 1

    # 31 August, thirty days on and still behind: the second nudge.
    await year.walk_to(utc(2027, 9, 1, 12))
    assert await year.due_times("partner1@alice.example", "pace-nudge") == [utc(2027, 8, 1, 2), utc(2027, 8, 31, 2)]
    assert await year.messages("coach4@alice.example", "pace-nudge") == []
    assert await year.messages("partner4@alice.example", "pace-nudge") == []
    nudges = [
        m
        for email in ("coach1", "partner1", "coach2", "partner2", "coach3")
        for m in await year.messages(f"{email}@alice.example", "pace-nudge")
    ]
    for message in nudges:  # never at night: 09:00 in the person's zone
        async with db.transaction() as session:
            zone = (await session.get_one(Person, message.person_id)).timezone
        assert message.due_at.astimezone(ZoneInfo(zone)).hour == 9


# The report


async def test_the_report_counts_pairs_at_the_minimum_and_relay_use_by_month(engine, db, chat):
    pair = await demo_pair(db, "iatul-sig-alice", "partner@demo.example")
    other = await demo_pair(db, "iatul-sig-alice", "partner2@demo.example")
    async with db.transaction() as session:
        session.add_all(coaching_session(pair, utc(2026, 10, 1 + 3 * n, 13), 60, "held") for n in range(6))
        session.add_all(
            [
                RelayCount(pair_id=pair.id, month="2026-10", from_guide=2, from_guided=1),
                RelayCount(pair_id=other.id, month="2026-10", from_guide=0, from_guided=1),
                RelayCount(pair_id=pair.id, month="2026-11", from_guide=1, from_guided=0),
            ]
        )
    coordinator = chat("coordinator@demo.example")
    await coordinator.say("report")
    shown = await coordinator.click("SIG-ALICE Demo 2026-27")
    assert "*One-to-one sessions:* 6 held of 12 (at least 6 a pair)" in shown
    assert (
        "*Against the program's numbers:* 1 of 2 pairs at or above the minimum of 6 sessions (held or reported); "
        "0 behind pace" in shown
    )
    assert "*Pairs in touch through the relay, by month:* September 2026 0, October 2026 2, November 2026 1" in shown
