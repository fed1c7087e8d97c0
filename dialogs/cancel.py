"""`cancel`: leave the question in progress; nothing it had not yet saved is kept."""

from bot.dialog import Command, Registry, Turn


async def cancel(turn: Turn, args: str) -> None:
    if turn.active is None:
        turn.say("There is nothing in progress to cancel.")
        return
    turn.finish()
    turn.say("Stopped. Type `help` to see what else you can do.")


def register(registry: Registry) -> None:
    registry.add_command(Command("cancel", "stop the question in progress", "cancel", cancel, keeps_dialog=True))
