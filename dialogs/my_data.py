"""`my data`: what the assistant holds about the person, in a few plain lines here, and everything as a file
(JSON, and the same lines as text) through a short-lived link only they get (bot/privacy/export.py)."""

from bot.dialog import Command, Registry, Turn, passed_on
from bot.i18n import N_, _
from bot.privacy import export
from bot.privacy.summary import readable_summary

USAGE = N_("Type `my data` to see what I hold about you and download it.")


async def my(turn: Turn, args: str) -> None:
    if " ".join(args.lower().split()).rstrip(".?!") != "data":
        if await passed_on(turn):  # "My library has news": a partner writing to their coach
            return
        asked = " ".join(args.split())[:40]
        unknown = _("I don't know `my {asked}`.").format(asked=asked) + " " if asked else ""
        turn.say(unknown + _(USAGE))
        return
    data = await export.personal_data(turn.session, turn.person, turn.programs, turn.now)
    token = await export.new_link(turn.session, turn.person, turn.now)
    minutes = int(export.LINK_LIFETIME.total_seconds() // 60)
    link = f"{turn.public_url}/my-data/{token}"
    turn.say(
        _(
            "Here is what I hold about you. Everything, table by table with why it is kept and for how long, is in "
            "this file (JSON): {link}.json and as plain text: {link}.txt. The links work for {minutes} minutes; "
            "anyone who has them can open the file, so keep them to yourself. Type `forget me` to have it deleted."
        ).format(link=link, minutes=minutes),
        title=_("Your data"),
        lines=tuple(readable_summary(data)),
    )


def register(registry: Registry) -> None:
    registry.add_command(Command("my", N_("see and download what I hold about you"), "my data", my))
