"""`timezone`: see and change the zone your times are shown in.

`timezone` asks (buttons for common zones, or type one); `timezone Asia/Phnom_Penh` or
`timezone Phnom Penh` sets it at once; `timezone auto` goes back to the zone of your chat profile.
"""

from bot.dialog import Command, Registry, Turn, button
from bot.i18n import N_, _
from bot.timezones import find_timezone, local_time, zone_city, zone_name

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
    buttons = tuple(button(NAME, zone_city(zone) or zone, zone) for zone in COMMON_ZONES)
    if turn.account.platform_timezone:
        buttons += (button(NAME, _("Use my chat profile's zone"), AUTO),)
    turn.ask(
        NAME,
        "zone",
        _(
            "It is {time} for you. Pick your time zone, or type one "
            "(like `Asia/Phnom_Penh` or a city such as `Phnom Penh`)."
        ).format(time=current),
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
            turn.say(_("Your chat profile has not told me a time zone, so I keep the one you have."))
            return
        turn.person.timezone, turn.person.timezone_chosen = zone, False
    else:
        zone = find_timezone(typed) if typed else None
        if zone is None:
            turn.say(
                _(
                    "I don't know the time zone `{typed}`. Try a name like `Asia/Phnom_Penh` or "
                    "`America/Chicago`, or a city such as `Phnom Penh`. Nothing was changed."
                ).format(typed=typed[:60])
            )
            return
        turn.person.timezone, turn.person.timezone_chosen = zone, True
    turn.finish()
    turn.say(
        _("Done: your time zone is now {zone} ({name}). It is {time}.").format(
            zone=zone, name=zone_name(zone), time=local_time(turn.now, zone)
        )
    )


def register(registry: Registry) -> None:
    registry.add_command(
        Command(NAME, N_("see or change the time zone your times are shown in"), "timezone [ZONE|auto]", start)
    )
    registry.add_dialog(TimezoneDialog())
