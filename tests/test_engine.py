"""The engine as conversations, through the console adapter, on SQLite and PostgreSQL."""

from sqlalchemy import func, select

from bot.demo import seed_demo
from bot.messages import Inbound, Profile
from storage.models import Account, DialogState, Person, ProcessedEvent
from tests.conftest import FIXED_NOW


async def test_help_lists_what_a_participant_may_do(chat):
    answer = await chat("participant@demo.example").say("help")
    assert "participant in AAHSL Demo 2026-27" in answer
    assert "`timezone [ZONE|auto]`" in answer
    assert "`cohort`" not in answer  # coordinators only


async def test_help_for_a_coordinator_includes_coordinator_commands(chat):
    answer = await chat("coordinator@demo.example").say("/coaching help")
    assert "`cohort`" in answer


async def test_unknown_verb_gets_a_hint_not_silence(chat):
    person = chat("participant@demo.example")
    assert "Did you mean `help`?" in await person.say("hlep")
    assert "I don't know `xyzzy`" in await person.say("xyzzy")


async def test_a_participant_cannot_use_a_coordinator_command(chat):
    answer = await chat("participant@demo.example").say("cohort")
    assert "Only a coordinator can use `cohort`" in answer
    assert "Casey" not in answer


async def test_a_new_person_is_linked_by_email_once(engine, db):
    class Directory:
        lookups = 0

        async def lookup(self, account_id: str) -> Profile:
            Directory.lookups += 1
            return Profile(email="New.Person@Example.org", display_name="New Person", timezone="Asia/Phnom_Penh")

    directory = Directory()
    for _ in range(3):
        await engine.handle(Inbound("slack", "T1:U9", "D9", text="me"), directory)
    assert Directory.lookups == 1  # known accounts are not looked up again on every message
    async with db.transaction() as session:
        person = (await session.execute(select(Person).where(Person.email == "new.person@example.org"))).scalar_one()
        assert person.timezone == "Asia/Phnom_Penh"
        assert (await session.execute(select(func.count()).select_from(Account))).scalar_one() == 1


async def test_the_same_person_on_two_platforms_is_one_person(engine, db):
    class SlackProfile:
        async def lookup(self, account_id: str) -> Profile:
            return Profile(email="coach@demo.example", display_name="Cora", timezone="America/New_York")

    await engine.handle(Inbound("slack", "T1:UCORA", "D1", text="help"), SlackProfile())
    replies = await engine.handle(Inbound("teams", "29:cora", "a:1", text="me"), SlackProfile())
    assert "Linked accounts: Slack, Teams" in replies[0].plain_text()
    assert "coach in AAHSL Demo 2026-27" in replies[0].plain_text()


async def test_no_email_means_a_clear_answer_and_nothing_stored(engine, db):
    class NoEmail:
        async def lookup(self, account_id: str) -> Profile:
            return Profile(email=None, display_name="Anon")

    replies = await engine.handle(Inbound("slack", "T1:UX", "D1", text="help"), NoEmail())
    assert "couldn't read an email address" in replies[0].text
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Account))).scalar_one() == 0


async def test_a_retried_delivery_is_applied_once(engine, db):
    class Known:
        async def lookup(self, account_id: str) -> Profile:
            return Profile(email="participant@demo.example")

    first = await engine.handle(
        Inbound("slack", "T1:U1", "D1", text="timezone Asia/Phnom_Penh", event_id="Ev1"), Known()
    )
    again = await engine.handle(Inbound("slack", "T1:U1", "D1", text="timezone Europe/London", event_id="Ev1"), Known())
    assert "Asia/Phnom_Penh" in first[0].text
    assert again == []
    async with db.transaction() as session:
        person = (await session.execute(select(Person).where(Person.email == "participant@demo.example"))).scalar_one()
        assert person.timezone == "Asia/Phnom_Penh"
        assert (await session.execute(select(func.count()).select_from(ProcessedEvent))).scalar_one() == 1


async def test_timezone_dialog_survives_a_restart(db, catalog):
    """Ask in one engine, answer in a new one over the same database, as after a server restart."""
    from bot.engine import Engine
    from tests.conftest import Chat
    from wiring import build_registry

    await seed_demo(db, catalog, FIXED_NOW)
    before = Chat(Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW), "partner@demo.example")
    assert "Pick your time zone" in await before.say("timezone")
    after = Chat(Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW), "partner@demo.example")
    answer = await after.say("Phnom Penh")
    assert "your time zone is now Asia/Phnom_Penh (Phnom Penh time)" in answer
    assert "Mon 23 Nov, 22:00" in answer
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(DialogState))).scalar_one() == 0


async def test_button_click_comes_back_to_the_dialog_that_asked(chat):
    person = chat("coach@demo.example")
    shown = await person.say("timezone")
    assert "[6] Phnom Penh" in shown
    assert "now Asia/Phnom_Penh" in await person.say("6")


async def test_bad_time_zone_changes_nothing(chat, db):
    person = chat("participant@demo.example")
    answer = await person.say("timezone Mars/Olympus_Mons")
    assert "I don't know the time zone `Mars/Olympus_Mons`" in answer and "Nothing was changed" in answer
    assert "Pacific Time" in await person.say("me")


async def test_a_command_while_a_question_is_open_replaces_it_but_help_does_not(chat):
    person = chat("participant@demo.example")
    await person.say("timezone")
    assert "What I can do" in await person.say("help")
    assert "now Europe/London" in await person.say("London")  # the question was still open
    await person.say("timezone")
    await person.say("programs")  # a quick look leaves the question open
    assert "now Europe/Paris" in await person.say("timezone Europe/Paris")  # a command closes it
    assert "I don't know `london`" in await person.say("London")


async def test_cancel_ends_the_open_question(chat):
    person = chat("participant@demo.example")
    await person.say("timezone")
    assert "Stopped" in await person.say("cancel")
    assert "nothing in progress" in await person.say("cancel")


async def test_chosen_zone_is_not_overridden_by_the_platform_until_auto(engine, db):
    class Teams:
        async def lookup(self, account_id: str) -> Profile:
            return Profile(email="partner2@demo.example")

    teams = Teams()
    await engine.handle(Inbound("teams", "29:dara", "a:1", text="timezone Europe/Paris"), teams)
    await engine.handle(Inbound("teams", "29:dara", "a:1", text="me", timezone="Asia/Bangkok"), teams)
    replies = await engine.handle(Inbound("teams", "29:dara", "a:1", text="me"), teams)
    assert "Paris time" in replies[0].plain_text()
    replies = await engine.handle(Inbound("teams", "29:dara", "a:1", text="timezone auto"), teams)
    assert "now Asia/Bangkok" in replies[0].text


async def test_a_failing_dialog_rolls_back_and_apologises(db, catalog, caplog):
    """A bug in a dialog: the person gets an apology, the turn's changes are undone, the log has no text."""
    from bot.dialog import Command
    from bot.engine import Engine
    from tests.conftest import Chat
    from wiring import build_registry

    async def rename_then_fail(turn, args: str) -> None:
        turn.person.display_name = "Changed"
        await turn.session.flush()
        raise RuntimeError(f"boom while handling {args}")

    registry = build_registry()
    registry.add_command(Command("explode", "test only", "explode", rename_then_fail))
    await seed_demo(db, catalog, FIXED_NOW)
    person = Chat(Engine(db, registry, catalog, clock=lambda: FIXED_NOW), "coach@demo.example")
    answer = await person.say("explode SECRET-MARKER-42")
    assert "something went wrong on my side and nothing was changed" in answer
    assert "Traceback" not in answer and "boom" not in answer
    assert "SECRET-MARKER-42" not in caplog.text
    assert "error=RuntimeError" in caplog.text
    async with db.transaction() as session:
        cora = (await session.execute(select(Person).where(Person.email == "coach@demo.example"))).scalar_one()
        assert cora.display_name == "Cora Coach"
