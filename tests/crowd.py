"""Many people at once, for the crash test and the benchmarks: persons, their Slack or Teams accounts and
their membership of one cohort, inserted in bulk (seeding data, not a stand-in for our code)."""

from datetime import datetime

from sqlalchemy import insert, select

from storage.db import Database
from storage.models import Account, Membership, Person

TEAM_ID = "T0TEST"
ZONES = ("America/New_York", "Europe/London", "Asia/Phnom_Penh", "America/Los_Angeles", "Australia/Sydney")


def slack_account_id(number: int) -> str:
    return f"{TEAM_ID}:U{number:07d}"


def teams_account_id(number: int) -> str:
    return f"29:crowd-{number:07d}"


def teams_reference(number: int, service_url: str) -> dict[str, object]:
    """A ConversationReference as a Teams DM's activity gives it (serialised)."""
    return {
        "activityId": None,
        "bot": {"id": "28:bot", "name": "Coaching"},
        "channelId": "msteams",
        "conversation": {"id": f"a:dm-{number:07d}", "conversationType": "personal", "tenantId": "tenant"},
        "serviceUrl": service_url,
        "user": {"id": teams_account_id(number), "name": f"Crowd {number}"},
    }


async def add_crowd(
    db: Database,
    cohort_id: int,
    count: int,
    now: datetime,
    *,
    role: str = "participant",
    teams_every: int = 0,
    service_url: str = "",
    first: int = 1,
) -> list[int]:
    """`count` people in the cohort with `role`, on Slack (every `teams_every`-th on Teams); their ids."""
    numbers = range(first, first + count)
    async with db.transaction() as session:
        await session.execute(
            insert(Person),
            [
                {
                    "email": f"crowd{n}@example.org",
                    "display_name": f"Crowd {n}",
                    "timezone": ZONES[n % len(ZONES)],
                    "timezone_chosen": False,
                    "created_at": now,
                }
                for n in numbers
            ],
        )
        emails = [f"crowd{n}@example.org" for n in numbers]
        ids = dict((await session.execute(select(Person.email, Person.id).where(Person.email.in_(emails)))).all())
        accounts = []
        for n in numbers:
            on_teams = teams_every and n % teams_every == 0
            accounts.append(
                {
                    "platform": "teams" if on_teams else "slack",
                    "external_id": teams_account_id(n) if on_teams else slack_account_id(n),
                    "person_id": ids[f"crowd{n}@example.org"],
                    "conversation_ref": teams_reference(n, service_url) if on_teams else None,
                    "profile_checked_at": now,
                    "last_seen_at": now,
                    "created_at": now,
                }
            )
        await session.execute(insert(Account), accounts)
        members = [{"cohort_id": cohort_id, "person_id": ids[e], "role": role, "created_at": now} for e in emails]
        await session.execute(insert(Membership), members)
    return [ids[email] for email in emails]
