"""`timezone`: see and change the zone your times are shown in.

`timezone` asks (buttons for common zones, or type one); `timezone Asia/Phnom_Penh` or
`timezone Phnom Penh` sets it at once; `timezone auto` goes back to the zone of your chat profile.
"""

from bot.dialog import Command, Registry, Turn, button
from bot.timezones import find_timezone, local_time, zone_name

NAME = "timezone"
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Phnom_Penh",
)
AUTO = "auto"


async def start(turn: Turn, args: str) -> None:
    if args.strip():
        await _set(turn, args)
        return
    current = local_time(turn.now, turn.timezone)
    buttons = tuple(button(NAME, zone.split("/")[-1].replace("_", " "), zone) for zone in COMMON_ZONES)
    if turn.account.platform_timezone:
        buttons += (button(NAME, "Use my chat profile's zone", AUTO),)
    turn.ask(
        NAME,
        "zone",
        f"It is {current} for you. Pick your time zone, or type one "
        "(like `Asia/Phnom_Penh` or a city such as `Phnom Penh`).",
        expects="choice",
        buttons=buttons,
    )


class TimezoneDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        await _set(turn, text)

    async def on_action(self, turn: Turn, value: str) -> None:
        await _set(turn, value)


async def _set(turn: Turn, typed: str) -> None:
    typed = typed.strip()
    if typed.lower() == AUTO:
        zone = turn.account.platform_timezone
        if zone is None:
            turn.say("Your chat profile has not told me a time zone, so I keep the one you have.")
            return
        turn.person.timezone, turn.person.timezone_chosen = zone, False
    else:
        zone = find_timezone(typed) if typed else None
        if zone is None:
            turn.say(
                f"I don't know the time zone `{typed[:60]}`. Try a name like `Asia/Phnom_Penh` or "
                "`America/Chicago`, or a city such as `Phnom Penh`. Nothing was changed."
            )
            return
        turn.person.timezone, turn.person.timezone_chosen = zone, True
    turn.finish()
    turn.say(f"Done: your time zone is now {zone} ({zone_name(zone)}). It is {local_time(turn.now, zone)}.")


def register(registry: Registry) -> None:
    registry.add_command(
        Command(NAME, "see or change the time zone your times are shown in", "timezone [ZONE|auto]", start)
    )
    registry.add_dialog(TimezoneDialog())
