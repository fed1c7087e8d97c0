"""`cancel`: leave the question in progress; nothing it had not yet saved is kept."""

from bot.dialog import Command, Registry, Turn
from bot.i18n import N_, _


async def cancel(turn: Turn, args: str) -> None:
    if turn.active is None:
        turn.say(_("There is nothing in progress to cancel."))
        return
    turn.finish()
    turn.say(_("Stopped. Type `help` to see what else you can do."))


def register(registry: Registry) -> None:
    registry.add_command(Command("cancel", N_("stop the question in progress"), "cancel", cancel, keeps_dialog=True))
