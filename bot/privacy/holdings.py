"""Every table the assistant keeps, in plain words: what a row holds, why, for how long, how it names a
person and what `forget me` does with it. `my data` exports from this list (in the person's language:
`words`), the README's data table is written from it (in English), and a test walks the schema so that no
new table escapes it."""

from dataclasses import dataclass

from bot.config import DIALOG_IDLE_DAYS
from bot.i18n import N_, _
from bot.privacy.retention import (
    KEEP_DONE_JOBS,
    KEEP_EVENT_IDS,
    KEEP_EXPIRED_LINKS,
    KEEP_FAILED_MESSAGES,
    KEEP_SENT_MESSAGES,
)

# The periods the `kept` words name, filled in where they are shown.
PERIODS = {
    "idle_days": DIALOG_IDLE_DAYS,
    "sent_days": KEEP_SENT_MESSAGES,
    "failed_days": KEEP_FAILED_MESSAGES,
    "link_days": KEEP_EXPIRED_LINKS,
    "job_days": KEEP_DONE_JOBS,
    "event_days": KEEP_EVENT_IDS,
}

# What `forget me` does with a table's rows that name the person.
DELETED = "deleted"
STAND_IN = "kept under a nameless stand-in"  # counts stay: ended pairs, sessions held, hours, invitations
NAME_CLEARED = "the person's name is cleared from them"  # rows about others that once named the person
NOT_PERSONAL = "holds nothing about a person"


@dataclass(frozen=True)
class Holding:
    """A table in words (English, marked for translation: `words` gives them in the reader's language)."""

    table: str
    what: str  # what one row holds
    why: str  # the purpose it serves
    kept_words: str  # for how long, with {places} for PERIODS
    forget: str  # DELETED, STAND_IN, NAME_CLEARED or NOT_PERSONAL
    person_columns: tuple[str, ...] = ()  # columns holding a persons.id
    pair_column: str | None = None  # rows that are the person's through a pair they are in
    secret_columns: tuple[str, ...] = ()  # never exported: keys to something (tokens), not facts about them

    @property
    def kept(self) -> str:
        """For how long, in English (the README)."""
        return self.kept_words.format(**PERIODS)

    def words(self) -> dict[str, str]:
        """What a row holds, why and for how long, in the reader's language (`my data`)."""
        return {"what": _(self.what), "why": _(self.why), "kept": _(self.kept_words).format(**PERIODS)}


HOLDINGS: tuple[Holding, ...] = (
    Holding(
        "persons",
        N_("email, display name, time zone, away-until date"),
        N_("to know who someone is across Slack, Teams and the terminal"),
        N_("until `forget me`"),
        DELETED,
        ("id",),
    ),
    Holding(
        "accounts",
        N_("a Slack or Teams user id and conversation address, the platform's time zone, when last seen"),
        N_("to answer and to write first"),
        N_("until `forget me`"),
        DELETED,
        ("person_id",),
    ),
    Holding(
        "memberships",
        N_("a role in a cohort"),
        N_("to know who may do what"),
        N_("until `forget me` or the cohort is deleted"),
        DELETED,
        ("person_id",),
    ),
    Holding(
        "applications",
        N_("answers and materials of an application, its status and dates"),
        N_("selection by the coordinators"),
        N_(
            "texts of a withdrawn, declined or ineligible application until the program's retention point "
            "(default: the cohort's end); the rest until `forget me`"
        ),
        STAND_IN,
        ("person_id", "decided_by_id"),
    ),
    Holding(
        "seats",
        N_("which accepted application holds a seat"),
        N_("to never overbook a cohort"),
        N_("while the application is accepted"),
        DELETED,
    ),
    Holding(
        "profiles",
        N_("a coach's expertise, interests, languages and capacity"),
        N_("matching"),
        N_("until `forget me`"),
        DELETED,
        ("person_id",),
    ),
    Holding(
        "availability",
        N_("a coach's weekly free hours"),
        N_("booking"),
        N_("until `forget me`"),
        DELETED,
        ("person_id",),
    ),
    Holding(
        "dialog_states",
        N_("the step of a conversation under way"),
        N_("to carry on after a restart"),
        N_("until the conversation ends, or {idle_days} days without an answer (DIALOG_IDLE_DAYS)"),
        DELETED,
        ("person_id",),
    ),
    Holding(
        "pairs",
        N_("who coaches whom, pauses, when it ended and why"),
        N_("running the pairing"),
        N_("until `forget me`, then under a stand-in"),
        STAND_IN,
        ("guide_id", "guided_id", "relay_paused_by_id"),
    ),
    Holding(
        "pair_changes",
        N_("a request to end a pairing and its answer"),
        N_("ending by mutual consent"),
        N_("with the pair"),
        STAND_IN,
        ("requested_by_id",),
    ),
    Holding(
        "coaching_sessions",
        N_("when a one-to-one session is, and whether it took place; never what was said"),
        N_("booking, reminders, the program's counts"),
        N_("with the pair"),
        STAND_IN,
        ("booked_by_id",),
        "pair_id",
        ("calendar_token",),
    ),
    Holding(
        "busy_slots",
        N_("quarter hours taken by a session"),
        N_("to make double booking impossible"),
        N_("with the session"),
        STAND_IN,
        ("person_id",),
    ),
    Holding(
        "group_sessions",
        N_("a peer group or event: title, time, places"),
        N_("scheduling"),
        N_("with the cohort"),
        NAME_CLEARED,
        ("created_by_id",),
        secret_columns=("calendar_token",),
    ),
    Holding(
        "group_seats",
        N_("a place taken in a peer group"),
        N_("places and reminders"),
        N_("until `forget me`"),
        DELETED,
        ("person_id",),
    ),
    Holding(
        "group_waitlist",
        N_("a place on a full group's waitlist"),
        N_("first come, first served"),
        N_("until `forget me`"),
        DELETED,
        ("person_id",),
    ),
    Holding(
        "check_ins",
        N_("a check-in's button answer and counts of sessions and hours; never words"),
        N_("to see how pairs are doing"),
        N_("with the pair"),
        STAND_IN,
        ("person_id",),
    ),
    Holding(
        "hour_entries",
        N_("minutes a coach gave, a category and a day; never notes"),
        N_("the program's hours commitment"),
        N_("until `forget me`, then under a stand-in"),
        STAND_IN,
        ("person_id",),
    ),
    Holding(
        "relay_counts",
        N_("how many messages a pair relayed each month; never their text"),
        N_("the program's figures"),
        N_("with the pair"),
        STAND_IN,
        pair_column="pair_id",
    ),
    Holding(
        "assessments",
        N_("which assessment a participant chose and whether it is done; never a result"),
        N_("the program's counts"),
        N_("until `forget me`"),
        DELETED,
        ("person_id",),
    ),
    Holding(
        "survey_invitations",
        N_("that someone was asked a survey, how far they got, reminders"),
        N_("reminders and the response rate"),
        N_("until `forget me`, then under a stand-in"),
        STAND_IN,
        ("person_id",),
    ),
    Holding(
        "survey_answers",
        N_("one anonymous answer, with no link to who gave it"),
        N_("the evaluation"),
        N_("with the cohort; nobody can find their own answers, so they cannot be exported or removed"),
        NOT_PERSONAL,
    ),
    Holding(
        "outbox",
        N_("a message the assistant sends on its own, and its delivery"),
        N_("delivering once, even across crashes; a message naming a forgotten person goes with them"),
        N_(
            "{sent_days} days after it was sent, {failed_days} after it failed; a notice that someone "
            "could not be reached stays (so coordinators are told once) until that person's `forget me`"
        ),
        DELETED,
        ("person_id",),
    ),
    Holding(
        "export_links",
        N_("a coordinator's link to download survey answers"),
        N_("the download"),
        N_("{link_days} day after it expires (links work for 30 minutes)"),
        DELETED,
        ("person_id",),
        secret_columns=("token",),
    ),
    Holding(
        "data_export_links",
        N_("a person's link to download their data"),
        N_("the download"),
        N_("{link_days} day after it expires (links work for 15 minutes)"),
        DELETED,
        ("person_id",),
        secret_columns=("token",),
    ),
    Holding(
        "resources",
        N_("an entry of a program's resource library"),
        N_("sharing resources"),
        N_("until a coordinator retires it"),
        NAME_CLEARED,
        ("added_by_id", "updated_by_id"),
    ),
    Holding(
        "coordinator_terms",
        N_("a coordinator's term in a program and its hand-over"),
        N_("the coordinator network's history"),
        N_("until `forget me`"),
        DELETED,
        ("person_id", "successor_id", "recorded_by_id", "ended_by_id"),
    ),
    Holding(
        "cohorts",
        N_("a cohort's name and calendar"),
        N_("running the program"),
        N_("until a coordinator removes it"),
        NOT_PERSONAL,
    ),
    Holding(
        "jobs",
        N_("scheduled work and whether it is done"),
        N_("check-ins, reminders, housekeeping"),
        N_("{job_days} days after it is done"),
        NOT_PERSONAL,
    ),
    Holding(
        "processed_events",
        N_("Slack delivery ids already applied"),
        N_("not applying a retried event twice"),
        N_("{event_days} days"),
        NOT_PERSONAL,
    ),
    Holding(
        "slack_workspaces",
        N_("a workspace's bot token, encrypted"),
        N_("Add to Slack"),
        N_("until the app is uninstalled or its token revoked"),
        NOT_PERSONAL,
        secret_columns=("bot_token", "bot_refresh_token"),
    ),
    Holding(
        "slack_installers",
        N_("the Slack user who added the app, and their tokens, encrypted"),
        N_("Add to Slack"),
        N_("until the app is uninstalled, its token revoked, or the installer's `forget me`"),
        DELETED,  # matched by the person's Slack user ids, not by a persons.id
        secret_columns=("user_token", "user_refresh_token", "incoming_webhook_url"),
    ),
    Holding(
        "slack_oauth_states",
        N_("an Add to Slack under way"),
        N_("to check Slack's answer"),
        N_("until it is used or expires"),
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
