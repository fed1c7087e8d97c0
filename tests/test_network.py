"""The regional coordinator network, through the engine as conversations (and once through Slack).

The demo network runs two cohorts: Demo 2026-27 Northeast (Cora mentors Pat) coordinated by Nora
Northeast, and Demo 2026-27 West (Mia mentors Milo) coordinated by Wes West; Casey holds a national term
and coordinates both. A regional coordinator reviews, matches, announces to and sees the members of
their own region's cohorts only. Appointments and graduations are stored terms; a graduate becomes a
mentor in the region's next cohort, at once or when `cohorts create` makes it.
FIXED_NOW is Monday 23 November 2026; the demo terms started on 24 September 2026."""

from datetime import date

import pytest
from sqlalchemy import delete, func, select

from app import cohorts_create, parse_args
from bot import network
from bot.cohorts import cohort_calendar, work_span
from bot.config import load_settings
from bot.identity import get_or_create_person
from bot.messages import Button
from bot.programs import load_programs
from storage.db import Database
from storage.models import Application, Cohort, CoordinatorTerm, Membership, OutboxMessage, Pair, Person
from tests.conftest import FIXED_NOW, PROGRAMS_DIR, Chat
from tests.fakes.slack_api import FakeSlackApi
from tests.server import running_server
from tests.test_selection_platforms import SlackUser
from tests.test_slack import slack_env

NETWORK, IATUL = "mentorship-coordinator-network", "iatul-sig-alice"
CASEY, NORA, WES = "coordinator@demo.example", "northeast@demo.example", "west@demo.example"
PAT, SAM, ZOE = "participant@demo.example", "sam@example.org", "zoe@example.org"
NORTHEAST, WEST = "Demo 2026-27 Northeast", "Demo 2026-27 West"
NEXT_WEST = "Demo 2027-28 West"  # next year's, taking applications
TODAY = date(2026, 11, 23)


async def cohort_named(db: Database, name: str, program_id: str = NETWORK) -> Cohort:
    async with db.transaction() as session:
        query = select(Cohort).where(Cohort.program_id == program_id, Cohort.name == name)
        return (await session.execute(query)).scalar_one()


async def submitted(db: Database, cohort_name: str, email: str, name: str) -> Application:
    """A submitted mentee application in a network cohort (as the apply dialog leaves it)."""
    cohort = await cohort_named(db, cohort_name)
    async with db.transaction() as session:
        person = await get_or_create_person(session, email, name, "America/Chicago", FIXED_NOW)
        await session.flush()
        application = Application(
            cohort_id=cohort.id,
            person_id=person.id,
            status="submitted",
            roles=["mentee"],
            answers={"career_stage": "student", "goals": "reference work and outreach"},
            materials={},
            submitted_at=FIXED_NOW,
            created_at=FIXED_NOW,
            updated_at=FIXED_NOW,
        )
        session.add(application)
    return application


async def known(db: Database, email: str, name: str) -> None:
    """Someone who has written to the assistant once."""
    async with db.transaction() as session:
        await get_or_create_person(session, email, name, "America/Chicago", FIXED_NOW)


async def terms(db: Database) -> list[tuple]:  # type: ignore[type-arg]
    """Every term as (email, region, started, ended, how, successor's email, mentor cohort's name)."""
    async with db.transaction() as session:
        emails = {p.id: p.email for p in (await session.execute(select(Person))).scalars()}
        cohorts = {c.id: c.name for c in (await session.execute(select(Cohort))).scalars()}
        query = select(CoordinatorTerm).where(CoordinatorTerm.program_id == NETWORK).order_by(CoordinatorTerm.id)
        return [
            (
                emails[t.person_id],
                t.region_id,
                t.started_on,
                t.ended_on,
                t.end_reason,
                emails.get(t.successor_id or 0),
                cohorts.get(t.mentor_cohort_id or 0),
            )
            for t in (await session.execute(query)).scalars()
        ]


async def told(db: Database, kind: str) -> list[str]:
    """The emails of the people the outbox holds a message of `kind` for, in order."""
    async with db.transaction() as session:
        query = (
            select(Person.email)
            .join(OutboxMessage, OutboxMessage.person_id == Person.id)
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return list((await session.execute(query)).scalars())


async def roles_in(db: Database, email: str) -> list[tuple[str, str]]:
    async with db.transaction() as session:
        query = (
            select(Cohort.name, Membership.role)
            .join(Membership, Membership.cohort_id == Cohort.id)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.email == email)
            .order_by(Cohort.name)
        )
        return [tuple(row) for row in (await session.execute(query)).all()]


async def forged(person: Chat, value: str) -> str:
    """A click on a button the bot never showed this person (a forged or stale one)."""
    person.console.buttons = [Button("forged", value)]
    return await person.say("1")


async def create_cohort(database_url: str, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """`python app.py cohorts create ARGS`, in this process on the test's database; what it printed."""
    settings = load_settings({"DATABASE_URL": database_url, "PROGRAMS_DIR": str(PROGRAMS_DIR)})
    code = await cohorts_create(settings, load_programs(PROGRAMS_DIR), parse_args(["cohorts", "create", *args]))
    printed = capsys.readouterr()
    assert code == 0, printed.err
    return printed.out


# Permissions across regions


async def test_a_regional_coordinator_reviews_and_matches_only_their_region(chat, db):
    ann = await submitted(db, NORTHEAST, "ann@example.org", "Ann Applicant")
    will = await submitted(db, WEST, "will@example.org", "Will Applicant")
    nora = chat(NORA)
    listing = await nora.say("review")
    assert "Coordinator network Demo 2026-27 Northeast" in listing and "Ann Applicant (mentee)" in listing
    assert "West" not in listing and "Will Applicant" not in listing
    assert "You don't coordinate a program called `alcts`" in await nora.say("review alcts")
    for value in (f"review:open|{will.id}", f"review:decide|{will.id}|accept", f"review:send|{will.id}|accept"):
        refused = await forged(nora, value)
        assert "You coordinate other cohorts, not the Coordinator network Demo 2026-27 West cohort" in refused
        assert "Nothing was changed" in refused and "Will Applicant" not in refused
    assert await told(db, "decision") == []
    # Her own region's applicant she can accept.
    await nora.say("review")
    await nora.click("Ann Applicant:")
    await nora.click("Accept")
    assert "Ann Applicant is accepted" in await nora.click("Send without a note")

    west = await cohort_named(db, WEST)
    refused = await forged(nora, f"match:cohort|{west.id}")
    assert (
        "not the Coordinator network Demo 2026-27 West cohort: only its coordinators can match it. Nothing was changed."
    ) in refused
    proposals = await nora.say("match")  # Ann, now a mentee of the Northeast, and Cora with a free place
    assert "Proposed pairs: Coordinator network Demo 2026-27 Northeast" in proposals
    assert "Ann Applicant with Cora Coach" in proposals and "Milo" not in proposals
    await nora.click("Don't pair now")

    # The national coordinator reads and decides in both regions.
    casey = chat(CASEY)
    everything = await casey.say("review network")
    assert "Demo 2026-27 Northeast" in everything and "Demo 2026-27 West" in everything
    await casey.click("Will Applicant:")
    await casey.click("Accept")
    assert "Will Applicant is accepted" in await casey.click("Send without a note")
    async with db.transaction() as session:
        statuses = dict((await session.execute(select(Application.id, Application.status))).all())
        pairs = (await session.execute(select(func.count()).select_from(Pair))).scalar_one()
    assert (statuses[ann.id], statuses[will.id]) == ("accepted", "accepted")
    assert pairs == 6  # the demo's pairs only: nothing was matched
    assert await told(db, "decision") == ["ann@example.org", "will@example.org"]


async def test_a_regional_coordinator_announces_to_and_sees_only_their_region(chat, db):
    nora = chat(NORA)
    asked = await nora.say("announce")  # one cohort to announce to: straight to the audience
    assert "Who should get it, in the Coordinator network Demo 2026-27 Northeast cohort?" in asked
    west = await cohort_named(db, WEST)
    for value in (f"announce:cohort|{west.id}", f"announce:audience|{west.id}|everyone"):
        refused = await forged(nora, value)
        assert "You coordinate other cohorts, not the Coordinator network Demo 2026-27 West cohort" in refused
        assert "Nothing was sent." in refused
    assert await told(db, "announcement") == []

    members = await nora.say("cohort")
    assert "Coordinator network Demo 2026-27 Northeast" in members and "Pat Participant" in members
    assert "West" not in members and "Milo Mentee" not in members and "AAHSL" not in members
    assert "None of the programs you coordinate counts coach hours" in await nora.say("hours")

    everyone = await chat(CASEY).say("cohort")
    assert "Demo 2026-27 Northeast" in everyone and "Milo Mentee" in everyone and "AAHSL" in everyone
    wes = chat(WES)
    await wes.say("announce")
    await wes.click("Everyone")
    await wes.say("Our West mentoring circle meets on Thursday.")
    assert "Sent to 2 people" in await wes.click("Send to 2 people")
    assert sorted(await told(db, "announcement")) == ["mentee.west@demo.example", "mentor.west@demo.example"]


async def test_a_cohort_coordinator_sees_only_that_cohorts_hours_and_members(chat, db, catalog):
    """Scoping holds for cohort coordinators too: Sam coordinates a second SIG-ALICE cohort only."""
    async with db.transaction() as session:
        second = await network.create_cohort(
            session, catalog.get(IATUL), date(2026, 12, 1), FIXED_NOW, name="Second 2026-27"
        )
        second.calendar = cohort_calendar(catalog.get(IATUL), date(2026, 10, 1))  # it began in October
        second.starts_on, second.ends_on = work_span(second.calendar, catalog.get(IATUL))
        sam = await get_or_create_person(session, SAM, "Sam Second", "America/Chicago", FIXED_NOW)
        lee = (await session.execute(select(Person).where(Person.email == "coach2@demo.example"))).scalar_one()
        await session.flush()
        session.add(Membership(cohort_id=second.id, person_id=sam.id, role="coordinator", created_at=FIXED_NOW))
        session.add(Membership(cohort_id=second.id, person_id=lee.id, role="coach", created_at=FIXED_NOW))
    shown = await chat(SAM).say("hours")
    assert "Coach hours: SIG-ALICE Second 2026-27" in shown and "Lee Coach" in shown
    assert "Demo 2026-27" not in shown
    members = await chat(SAM).say("cohort")
    assert "SIG-ALICE Second 2026-27" in members and "Sokha" not in members
    both = await chat(CASEY).say("hours")
    assert "SIG-ALICE Second 2026-27" in both and "SIG-ALICE Demo 2026-27" in both


# Applying in a region


async def test_applying_asks_the_region_and_files_the_application_in_its_cohort(chat, db):
    student = chat("student@lis.example.edu")
    asked = await student.say("apply network")
    assert "runs one cohort per region. Which region are you in? Taking applications now: Northeast, West" in asked
    assert [b.label for b in student.console.buttons] == ["Northeast", "Southeast", "Midwest", "Southwest", "West"]
    closed = await student.click("Midwest")
    assert "The Coordinator network has no cohort in the Midwest taking applications today." in closed
    assert "Which region are you in?" in closed
    assert "Please pick one of the regions: Northeast, Southeast, Midwest, Southwest, West" in await student.say(
        "Atlantis"
    )
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Application))).scalar_one() == 0
    started = await student.say("west")
    assert "Let's apply to the Demo 2027-28 West cohort of the Mentorship Coordinator Network for Librarians" in started
    await student.click("Mentee")
    await student.click("Student")
    await student.say("Reference work in a public library and community outreach")
    assert "Submitted!" in await student.click("Submit")
    async with db.transaction() as session:
        query = select(Cohort.name).join(Application, Application.cohort_id == Cohort.id)
        assert (await session.execute(query)).scalars().all() == [NEXT_WEST]
    # The West's coordinator and the national one hear of it; the Northeast's does not.
    assert sorted(await told(db, "application")) == [CASEY, WES]
    again = await student.say("apply network")
    assert "Your application to Coordinator network Demo 2027-28 West is submitted" in again


# Appointing


async def test_a_national_coordinator_appoints_and_a_regional_one_cannot(chat, db):
    await known(db, SAM, "Sam Successor")
    before = await terms(db)
    nora = chat(NORA)
    refused = await nora.say(f"appoint {SAM} Midwest")
    assert "Only a national coordinator of a program with regions can appoint coordinators" in refused
    casey = chat(CASEY)
    assert "I don't know anyone with the email `ghost@example.org`" in await casey.say("appoint ghost@example.org west")
    assert "There is no region `Atlantis`" in await casey.say(f"appoint {SAM} Atlantis")
    assert "Write it as `appoint EMAIL REGION`" in await casey.say(f"appoint {SAM}")
    assert "Only a coordinator can use `appoint`" in await chat(PAT).say(f"appoint {SAM} west")
    assert await terms(db) == before and await told(db, "network") == []

    done = await casey.say(f"appoint {SAM} midwest")
    assert "Done: Sam Successor is a Midwest coordinator of the Coordinator network from 23 November 2026" in done
    assert (await terms(db))[-1] == (SAM, "midwest", TODAY, None, None, None, None)
    assert await told(db, "network") == [SAM]
    again = await casey.say(f"appoint {SAM} West")
    assert "Sam Successor already coordinates Midwest in the Coordinator network" in again
    assert "Nothing was changed" in again
    assert "Nora Northeast already coordinates Northeast" in await casey.say(f"appoint {NORA} national")
    assert len(await terms(db)) == len(before) + 1

    shown = await chat(PAT).say("coordinators")  # a mentee of the network reads it too
    assert "National: Casey Coordinator (since 24 September 2026)" in shown
    assert "Northeast: Nora Northeast (since 24 September 2026)" in shown
    assert "Midwest: Sam Successor (since 23 November 2026)" in shown
    assert "Southeast: no coordinator yet" in shown
    assert "Only a coordinator, mentee or mentor can use `coordinators`" in await chat("partner@demo.example").say(
        "coordinators"
    )


# Graduating


async def without_next_cohorts(db: Database) -> None:
    """The demo's next network cohorts removed: graduates wait for `cohorts create` to make one."""
    async with db.transaction() as session:
        await session.execute(delete(Cohort).where(Cohort.program_id == NETWORK, Cohort.name.like("Demo 2027-28%")))


async def test_graduation_into_the_regions_next_cohort(chat, db, database_url, capsys):
    await without_next_cohorts(db)
    await known(db, SAM, "Sam Successor")
    await known(db, ZOE, "Zoe National")
    casey = chat(CASEY)
    assert "Done: Zoe National is a national coordinator" in await casey.say(f"appoint {ZOE} national")
    printed = await create_cohort(database_url, capsys, NETWORK, "--starts", "2027-11-01", "--region", "Northeast")
    assert "Created Coordinator network 2027-28 Northeast, from 1 November 2027 to 31 August 2028." in printed
    before = await terms(db)

    asked = await casey.say(f"graduate {NORA} successor {SAM}")
    assert (
        "Graduate Nora Northeast from coordinating the Northeast? Sam Successor takes the Northeast over from "
        "today, and Nora Northeast becomes a mentor in the Coordinator network 2027-28 Northeast cohort." in asked
    )
    assert await terms(db) == before  # nothing until it is confirmed
    done = await casey.click("Yes, graduate")
    assert "Done: Nora Northeast graduated and Sam Successor coordinates the Northeast from 23 November 2026" in done
    assert "Nora Northeast becomes a mentor in the Coordinator network 2027-28 Northeast cohort" in done

    after = await terms(db)
    assert (NORA, "northeast", date(2026, 9, 24), TODAY, "graduated", SAM, "2027-28 Northeast") in after
    assert after[-1] == (SAM, "northeast", TODAY, None, None, None, None)
    async with db.transaction() as session:
        handover = (
            await session.execute(select(CoordinatorTerm).where(CoordinatorTerm.end_reason == "graduated"))
        ).scalar_one()
        casey_id = (await session.execute(select(Person.id).where(Person.email == CASEY))).scalar_one()
    assert handover.ended_by_id == casey_id and handover.ended_at == FIXED_NOW
    assert ("2027-28 Northeast", "mentor") in await roles_in(db, NORA)
    # The graduate, the successor and the other national coordinator are told; Casey read it in the answer.
    # Zoe twice: her appointment, then the hand-over.
    assert sorted(await told(db, "network")) == [NORA, SAM, ZOE, ZOE]

    assert "Only a coordinator can use `review`" in await chat(NORA).say("review")  # a mentor now
    members = await chat(SAM).say("cohort")
    assert "Demo 2026-27 Northeast" in members and "2027-28 Northeast" in members and "West" not in members
    shown = await chat(PAT).say("coordinators")
    assert "Northeast: Sam Successor (since 23 November 2026)" in shown
    assert (
        "Nora Northeast, Northeast: 24 September 2026 to 23 November 2026, graduated; Sam Successor took over; "
        "mentor in Coordinator network 2027-28 Northeast." in shown
    )


async def test_graduation_before_the_next_cohort_exists_places_the_mentor_when_it_is_created(
    chat, db, database_url, capsys
):
    await without_next_cohorts(db)
    await known(db, SAM, "Sam Successor")
    wes = chat(WES)
    asked = await wes.say(f"graduate successor {SAM}")  # a regional coordinator, for themself
    assert "becomes a mentor in the next West cohort, once it is created." in asked
    done = await wes.click("Yes, graduate")
    assert "Wes West becomes a mentor in the next West cohort as soon as it is created" in done
    assert (WES, "west", date(2026, 9, 24), TODAY, "graduated", SAM, None) in await terms(db)
    assert sorted(await told(db, "network")) == [CASEY, SAM]  # Wes confirmed it himself
    assert "Only a coordinator can use `match`" in await wes.say("match")
    assert await roles_in(db, WES) == []

    printed = await create_cohort(database_url, capsys, NETWORK, "--starts", "2027-11-01", "--region", "west")
    assert "Created Coordinator network 2027-28 West" in printed
    assert "New mentors from graduations: Wes West (told)." in printed
    assert await roles_in(db, WES) == [("2027-28 West", "mentor")]
    assert (WES, "west", date(2026, 9, 24), TODAY, "graduated", SAM, "2027-28 West") in await terms(db)
    assert await told(db, "graduation") == [WES]
    async with db.transaction() as session:
        message = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "graduation"))).scalar_one()
    assert message.reply["text"].startswith(
        "As planned at your graduation, you are a mentor in the 2027-28 West cohort of the Mentorship"
    )
    # A later cohort of the region does not take him a second time; another region's never did.
    later = await create_cohort(
        database_url, capsys, NETWORK, "--starts", "2028-11-01", "--region", "west", "--name", "Later"
    )
    assert "graduations" not in later
    await create_cohort(database_url, capsys, NETWORK, "--starts", "2027-11-01", "--region", "Northeast")
    assert await roles_in(db, WES) == [("2027-28 West", "mentor")]


async def test_refused_graduations_change_nothing(chat, db):
    await known(db, SAM, "Sam Successor")
    before = await terms(db)
    nora, casey = chat(NORA), chat(CASEY)
    refusals = [
        (
            nora,
            f"graduate {WES} successor {SAM}",
            "Only a national coordinator of the Coordinator network, or Wes West",
        ),
        (chat(PAT), f"graduate successor {SAM}", "Only a coordinator can use `graduate`"),
        (casey, f"graduate successor {SAM}", "Casey Coordinator coordinates nationally"),
        (casey, f"graduate {NORA} successor {WES}", "Wes West already coordinates West"),
        (casey, f"graduate {NORA} successor {NORA}", "The successor must be someone else than the graduate"),
        (casey, f"graduate {NORA} successor ghost@example.org", "I don't know anyone with the email"),
        (casey, f"graduate ghost@example.org successor {SAM}", "I don't know anyone with the email"),
        (casey, f"graduate {SAM} successor {NORA}", "Sam Successor has no current coordinator term"),
        (casey, f"graduate {NORA}", "Write it as `graduate successor EMAIL`"),
    ]
    for person, typed, answer in refusals:
        said = await person.say(typed)
        assert answer in said, (typed, said)
        assert "Nothing was changed" in said or "Only a coordinator" in said
    await casey.say(f"graduate {NORA} successor {SAM}")
    assert "Fine: nothing was changed." in await casey.click("No, not now")
    # A confirmation that went stale: Nora handed over herself in the meantime.
    await casey.say(f"graduate {NORA} successor {SAM}")
    await nora.say(f"graduate successor {SAM}")
    await nora.click("Yes, graduate")
    after_nora = await terms(db)
    stale = await casey.click("Yes, graduate")
    assert "Nora Northeast's term ended on 23 November 2026 already. Nothing was changed." in stale
    assert await terms(db) == after_nora and len(after_nora) == len(before) + 1  # Nora's hand-over only


# Through Slack


NORA_SLACK = "U07NORA0001"


async def test_a_regional_refusal_on_slack(database_url):
    fake = FakeSlackApi()
    await fake.start()
    fake.add_user(NORA_SLACK, NORA, "Nora Northeast", "America/New_York")
    try:
        async with running_server(database_url, slack_env(fake)) as server:
            will = await submitted(server.db, WEST, "will@example.org", "Will Applicant")
            nora = SlackUser(server, fake, NORA_SLACK)
            listing = await nora.command("cohort")
            assert "Demo 2026-27 Northeast" in listing and "West" not in listing
            button = {
                "action_id": "coaching:0",
                "value": f"review:open|{will.id}",
                "text": {"type": "plain_text", "text": "Will"},
            }
            refused = await nora.click_button(button, ephemeral=False)
            assert "You coordinate other cohorts, not the Coordinator network Demo 2026-27 West cohort" in refused
            assert "Will Applicant" not in refused
            async with server.db.transaction() as session:
                assert (await session.get_one(Application, will.id)).status == "submitted"
    finally:
        await fake.stop()
