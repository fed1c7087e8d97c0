"""Keeping to each platform's pace, backing off after unclear answers, and waiting for the person's
daytime."""

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_RATES = {"slack": 5.0, "teams": 15.0, "console": 1000.0}  # messages a second per platform
# Kinds sent only in the person's daytime, 08:00 to 20:00 their time; outside it they wait for 09:00.
DAYTIME_KINDS = frozenset(
    {"check-in", "check-in-reminder", "hours-reminder", "survey", "survey-reminder", "pace-nudge", "quiet-pair"}
)
DAY_STARTS, DAY_ENDS, MORNING = 8, 20, 9
CATCH_UP = 0.1  # seconds of missed turns a platform's lanes may make up at once


class Pace:
    """At most `rate` messages a second per platform (shared by a process's lanes), and a hold after a 429.
    Each platform has its own clock: waiting for one never delays another. Turns missed while the lanes
    were busy may be made up, at most CATCH_UP seconds' worth at once, so the pace is kept on average
    without lasting bursts."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = {**DEFAULT_RATES, **rates}
        self.next_free: dict[str, float] = {}

    def wait_for(self, platform: str) -> float:
        """Seconds until the platform's next free turn."""
        return max(self.next_free.get(platform, 0.0) - time.monotonic(), 0.0)

    async def turn(self, platform: str) -> None:
        now = time.monotonic()
        start = max(now - CATCH_UP, self.next_free.get(platform, now))
        self.next_free[platform] = start + 1.0 / self.rate(platform)
        if start > now:
            await asyncio.sleep(start - now)

    def hold(self, platform: str, seconds: float) -> None:
        self.next_free[platform] = max(self.next_free.get(platform, 0.0), time.monotonic() + seconds)

    def rate(self, platform: str) -> float:
        return self.rates.get(platform, 10.0)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def next_daytime(now: datetime, zone: str) -> datetime | None:
    """None if it is daytime for the person now; else their next 09:00 (in UTC)."""
    local = now.astimezone(ZoneInfo(zone))
    if DAY_STARTS <= local.hour < DAY_ENDS:
        return None
    morning = local.replace(hour=MORNING, minute=0, second=0, microsecond=0)
    if local.hour >= DAY_ENDS:
        morning += timedelta(days=1)
    return morning.astimezone(now.tzinfo)


def morning_if_night(kind: str, zone: str, now: datetime) -> datetime | None:
    """When a message of `kind` may go to a person in `zone`: None for now, else their next morning."""
    return next_daytime(now, zone) if kind in DAYTIME_KINDS else None
