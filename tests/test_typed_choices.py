"""A typed answer that is one of the offered choices answers the question, even when it is a command word."""

from bot.engine import Engine
from storage.models import Application

NEWCOMER = "sokunthea@library.example.kh"


async def test_typing_partner_to_coach_or_partner_answers_the_application(chat, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    newcomer = chat(NEWCOMER)
    asked = await newcomer.say("apply iatul")
    assert "(1 of 5) Would you like to take part as coach or partner?" in asked, asked
    answered = await newcomer.say("partner")
    assert "(2 of 2) Which one objective" in answered, answered  # the partner's next question, no command
    last = await newcomer.say("library facilities and spaces.")
    assert "towards?: Library facilities and spaces" in last and "That is everything" in last, last
    async with engine.db.transaction() as session:
        application = (await session.execute(Application.__table__.select())).all()
    drafts = [row for row in application if row.status == "draft"]
    assert any(row.roles == ["partner"] for row in drafts), drafts


async def test_a_command_typed_with_the_slash_still_runs_the_command(chat) -> None:  # type: ignore[no-untyped-def]
    newcomer = chat(NEWCOMER)
    await newcomer.say("apply iatul")
    shown = await newcomer.say("/coaching help")
    assert "apply" in shown and "Would you like to take part" not in shown


async def test_a_label_typed_in_another_case_with_spaces_clicks_the_button(chat) -> None:  # type: ignore[no-untyped-def]
    newcomer = chat(NEWCOMER)
    await newcomer.say("apply iatul")
    answered = await newcomer.say("  COACH ")
    assert "(2 of" in answered, answered
