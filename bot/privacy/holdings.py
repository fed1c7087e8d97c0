"""Every table the assistant keeps, in plain words: what a row holds, why, for how long, how it names a
person and what `forget me` does with it. `my data` exports from this list, the README's data table is
written from it, and a test walks the schema so that no new table escapes it."""

from dataclasses import dataclass

from bot.config import DIALOG_IDLE_DAYS
from bot.privacy.retention import (
    KEEP_DONE_JOBS,
    KEEP_EVENT_IDS,
    KEEP_EXPIRED_LINKS,
    KEEP_FAILED_MESSAGES,
    KEEP_SENT_MESSAGES,
)

# What `forget me` does with a table's rows that name the person.
DELETED = "deleted"
STAND_IN = "kept under a nameless stand-in"  # counts stay: ended pairs, sessions held, hours, invitations
NAME_CLEARED = "the person's name is cleared from them"  # rows about others that once named the person
NOT_PERSONAL = "holds nothing about a person"


@dataclass(frozen=True)
class Holding:
    table: str
    what: str  # what one row holds
    why: str  # the purpose it serves
    kept: str  # for how long
    forget: str  # DELETED, STAND_IN, NAME_CLEARED or NOT_PERSONAL
    person_columns: tuple[str, ...] = ()  # columns holding a persons.id
    pair_column: str | None = None  # rows that are the person's through a pair they are in
    secret_columns: tuple[str, ...] = ()  # never exported: keys to something (tokens), not facts about them


HOLDINGS: tuple[Holding, ...] = (
    Holding(
        "persons",
        "email, display name, time zone, away-until date",
        "to know who someone is across Slack, Teams and the terminal",
        "until `forget me`",
        DELETED,
        ("id",),
    ),
    Holding(
        "accounts",
        "a Slack or Teams user id and conversation address, the platform's time zone, when last seen",
        "to answer and to write first",
        "until `forget me`",
        DELETED,
        ("person_id",),
    ),
    Holding(
        "memberships",
        "a role in a cohort",
        "to know who may do what",
        "until `forget me` or the cohort is deleted",
        DELETED,
        ("person_id",),
    ),
    Holding(
        "applications",
        "answers and materials of an application, its status and dates",
        "selection by the coordinators",
        "texts of a withdrawn, declined or ineligible application until the program's retention point "
        "(default: the cohort's end); the rest until `forget me`",
        STAND_IN,
        ("person_id", "decided_by_id"),
    ),
    Holding(
        "seats",
        "which accepted application holds a seat",
        "to never overbook a cohort",
        "while the application is accepted",
        DELETED,
    ),
    Holding(
        "profiles",
        "a coach's expertise, interests, languages and capacity",
        "matching",
        "until `forget me`",
        DELETED,
        ("person_id",),
    ),
    Holding(
        "availability",
        "a coach's weekly free hours",
        "booking",
        "until `forget me`",
        DELETED,
        ("person_id",),
    ),
    Holding(
        "dialog_states",
        "the step of a conversation under way",
        "to carry on after a restart",
        f"until the conversation ends, or {DIALOG_IDLE_DAYS} days without an answer (DIALOG_IDLE_DAYS)",
        DELETED,
        ("person_id",),
    ),
    Holding(
        "pairs",
        "who coaches whom, pauses, when it ended and why",
        "running the pairing",
        "until `forget me`, then under a stand-in",
        STAND_IN,
        ("guide_id", "guided_id", "relay_paused_by_id"),
    ),
    Holding(
        "pair_changes",
        "a request to end a pairing and its answer",
        "ending by mutual consent",
        "with the pair",
        STAND_IN,
        ("requested_by_id",),
    ),
    Holding(
        "coaching_sessions",
        "when a one-to-one session is, and whether it took place; never what was said",
        "booking, reminders, the program's counts",
        "with the pair",
        STAND_IN,
        ("booked_by_id",),
        "pair_id",
        ("calendar_token",),
    ),
    Holding(
        "busy_slots",
        "quarter hours taken by a session",
        "to make double booking impossible",
        "with the session",
        STAND_IN,
        ("person_id",),
    ),
    Holding(
        "group_sessions",
        "a peer group or event: title, time, places",
        "scheduling",
        "with the cohort",
        NAME_CLEARED,
        ("created_by_id",),
        secret_columns=("calendar_token",),
    ),
    Holding(
        "group_seats",
        "a place taken in a peer group",
        "places and reminders",
        "until `forget me`",
        DELETED,
        ("person_id",),
    ),
    Holding(
        "group_waitlist",
        "a place on a full group's waitlist",
        "first come, first served",
        "until `forget me`",
        DELETED,
        ("person_id",),
    ),
    Holding(
        "check_ins",
        "a check-in's button answer and counts of sessions and hours; never words",
        "to see how pairs are doing",
        "with the pair",
        STAND_IN,
        ("person_id",),
    ),
    Holding(
        "hour_entries",
        "minutes a coach gave, a category and a day; never notes",
        "the program's hours commitment",
        "until `forget me`, then under a stand-in",
        STAND_IN,
        ("person_id",),
    ),
    Holding(
        "relay_counts",
        "how many messages a pair relayed each month; never their text",
        "the program's figures",
        "with the pair",
        STAND_IN,
        pair_column="pair_id",
    ),
    Holding(
        "assessments",
        "which assessment a participant chose and whether it is done; never a result",
        "the program's counts",
        "until `forget me`",
        DELETED,
        ("person_id",),
    ),
    Holding(
        "survey_invitations",
        "that someone was asked a survey, how far they got, reminders",
        "reminders and the response rate",
        "until `forget me`, then under a stand-in",
        STAND_IN,
        ("person_id",),
    ),
    Holding(
        "survey_answers",
        "one anonymous answer, with no link to who gave it",
        "the evaluation",
        "with the cohort; nobody can find their own answers, so they cannot be exported or removed",
        NOT_PERSONAL,
    ),
    Holding(
        "outbox",
        "a message the assistant sends on its own, and its delivery",
        "delivering once, even across crashes; a message naming a forgotten person goes with them",
        f"{KEEP_SENT_MESSAGES} days after it was sent, {KEEP_FAILED_MESSAGES} after it failed; a notice that someone "
        "could not be reached stays (so coordinators are told once) until that person's `forget me`",
        DELETED,
        ("person_id",),
    ),
    Holding(
        "export_links",
        "a coordinator's link to download survey answers",
        "the download",
        f"{KEEP_EXPIRED_LINKS} day after it expires (links work for 30 minutes)",
        DELETED,
        ("person_id",),
        secret_columns=("token",),
    ),
    Holding(
        "data_export_links",
        "a person's link to download their data",
        "the download",
        f"{KEEP_EXPIRED_LINKS} day after it expires (links work for 15 minutes)",
        DELETED,
        ("person_id",),
        secret_columns=("token",),
    ),
    Holding(
        "resources",
        "an entry of a program's resource library",
        "sharing resources",
        "until a coordinator retires it",
        NAME_CLEARED,
        ("added_by_id", "updated_by_id"),
    ),
    Holding(
        "coordinator_terms",
        "a coordinator's term in a program and its hand-over",
        "the coordinator network's history",
        "until `forget me`",
        DELETED,
        ("person_id", "successor_id", "recorded_by_id", "ended_by_id"),
    ),
    Holding(
        "cohorts",
        "a cohort's name and calendar",
        "running the program",
        "until a coordinator removes it",
        NOT_PERSONAL,
    ),
    Holding(
        "jobs",
        "scheduled work and whether it is done",
        "check-ins, reminders, housekeeping",
        f"{KEEP_DONE_JOBS} days after it is done",
        NOT_PERSONAL,
    ),
    Holding(
        "processed_events",
        "Slack delivery ids already applied",
        "not applying a retried event twice",
        f"{KEEP_EVENT_IDS} days",
        NOT_PERSONAL,
    ),
    Holding(
        "slack_workspaces",
        "a workspace's bot token, encrypted",
        "Add to Slack",
        "until the app is uninstalled or its token revoked",
        NOT_PERSONAL,
        secret_columns=("bot_token", "bot_refresh_token"),
    ),
    Holding(
        "slack_installers",
        "the Slack user who added the app, and their tokens, encrypted",
        "Add to Slack",
        "until the app is uninstalled, its token revoked, or the installer's `forget me`",
        DELETED,  # matched by the person's Slack user ids, not by a persons.id
        secret_columns=("user_token", "user_refresh_token", "incoming_webhook_url"),
    ),
    Holding(
        "slack_oauth_states",
        "an Add to Slack under way",
        "to check Slack's answer",
        "until it is used or expires",
        NOT_PERSONAL,
    ),
)

BY_TABLE: dict[str, Holding] = {holding.table: holding for holding in HOLDINGS}


def data_table() -> str:
    """The README's table of what is kept, why and for how long, written from HOLDINGS."""
    lines = ["| table | what a row holds | why | kept | on `forget me` |", "| --- | --- | --- | --- | --- |"]
    for holding in HOLDINGS:
        lines.append(f"| `{holding.table}` | {holding.what} | {holding.why} | {holding.kept} | {holding.forget} |")
    return "\n".join(lines)
