"""The tables. No table has a column for what was said in a session, a relayed message or free text."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Person(Base):
    """One human, known by email across Slack, Teams and the terminal."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # True once the person picked a zone themselves: the platform's zone no longer overrides it.
    timezone_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    # On leave until this day (their own `pause until DATE`): no check-ins, reminders or nudges before it.
    away_until: Mapped[date | None] = mapped_column(Date)
    # The language they read ("en", "km"): from the platform's locale at first contact, or `language km`.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # True once the person chose it with `language`: a platform's locale no longer changes it.
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set on the stand-in that keeps a forgotten person's counts (ended pairs, sessions held, hours, survey
    # invitations) after `forget me`: no email, name or account of theirs is left. None: a real person.
    forgotten_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Account(Base):
    """A platform identity (Slack team:user, Teams user id, console email) linked to one person."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    platform_timezone: Mapped[str | None] = mapped_column(String(64))
    # Teams ConversationReference (ids and service URL only) so the bot can write first later.
    conversation_ref: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    profile_checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The last time the person wrote from this account: proactive messages go to the latest one.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the person first opened the assistant's home tab here (Slack App Home): only then is it kept
    # up to date after changes; None: never opened.
    home_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Cohort(Base):
    """One run of a program with real dates: `calendar` holds its phases as ISO dates (bot/cycle.py);
    `starts_on` and `ends_on` are its working period's first and last day."""

    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("program_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    calendar: Mapped[dict[str, Any]] = mapped_column(JSON)
    # A region id of the program file, in programs with regions (one cohort per region); None: no region.
    region_id: Mapped[str | None] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Membership(Base):
    """A person's role in a cohort: coordinator, coach, mentor, participant, mentee or partner."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    # True: a coordinator enrolled the person (a contracted coach, a co-coordinator); False: an accepted
    # application brought them in.
    enrolled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Pair(Base):
    """A coach or mentor (guide) working with a participant, mentee or partner (guided)."""

    __tablename__ = "pairs"
    __table_args__ = (UniqueConstraint("cohort_id", "guide_id", "guided_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    guided_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active or ended
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(32))  # mutual_consent, withdrawn, coordinator
    # Who paused relayed messages between the two (either may resume); None: relay is on.
    relay_paused_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    # A coordinator paused the pair until this day, for a reason from a list: no check-ins, sessions or nudges.
    paused_until: Mapped[date | None] = mapped_column(Date)
    pause_reason: Mapped[str | None] = mapped_column(String(32))
    # The day one side was found unresponsive and the other side and coordinators were told; None: in touch.
    quiet_flagged_on: Mapped[date | None] = mapped_column(Date)
    # The last day the pair was nudged for falling behind the pace its program's minimum needs.
    pace_nudged_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Profile(Base):
    """A coach's or mentor's short profile, which matching reads: what they offer, in their own words
    (filled from a people CSV, their application or `profile`), the languages they work in and how many
    people they take. Their time zone is the person's."""

    __tablename__ = "profiles"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    expertise: Mapped[str] = mapped_column(String(500), default="")
    interests: Mapped[str] = mapped_column(String(500), default="")
    languages: Mapped[list[str]] = mapped_column(JSON)
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: the program's default
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DialogState(Base):
    """The one dialog in progress for a conversation key, as plain JSON, saved with the turn."""

    __tablename__ = "dialog_states"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    dialog: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    expects: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessedEvent(Base):
    """Platform delivery ids already applied (Slack event_id), so a retry is not applied twice."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Application(Base):
    """One person's application to one cohort, saved answer by answer from draft to decision."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    # draft, ineligible, submitted, accepted, waitlisted, declined, withdrawn
    status: Mapped[str] = mapped_column(String(16), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON)  # the program roles applied for
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)  # question id -> answer
    materials: Mapped[dict[str, Any]] = mapped_column(JSON)  # material id -> text or list of {name, url}
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    # A coordinator reopened this one application after the call closed: it may be submitted until then.
    reopened_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # In programs whose accepted applicants confirm the commitment (bot/confirmation.py): the place is held
    # until confirm_by; one reminder before it. None: nothing to confirm.
    confirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirm_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Seat(Base):
    """A numbered seat of a cohort held by an accepted application: the key makes overbooking impossible."""

    __tablename__ = "seats"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)


class PairChange(Base):
    """A request to end a pairing by mutual consent: who asked, and whether the other side agreed."""

    __tablename__ = "pair_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))  # asked, agreed, declined, cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Assessment(Base):
    """Which development assessment a participant chose and whether it is done; never a result."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    instrument: Mapped[str] = mapped_column(String(64))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A message the assistant sends on its own, written in the transaction that causes it."""

    __tablename__ = "outbox"
    # Claims take the oldest due row: (status, due_at, id) hands it over without sorting the backlog.
    __table_args__ = (Index("ix_outbox_due", "status", "due_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # decision, pairing, announcement, ...
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)  # the neutral Reply to send
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the claim's lease
    claimed_by: Mapped[str | None] = mapped_column(String(32))  # the claim's token: only its holder settles it
    # When the first attempt that may have reached the platform began (kept until the outcome is known).
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))  # where it went
    platform: Mapped[str | None] = mapped_column(String(16))
    # What it is about ("session:42"), so a reminder can be withdrawn when the session moves or is cancelled.
    ref: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(String(200))  # why it failed: a code, never message text
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Availability(Base):
    """A coach's or mentor's recurring weekly hours, in their own zone (Monday is weekday 0)."""

    __tablename__ = "availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    ends_minute: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CoachingSession(Base):
    """A booked one-to-one session: when, and whether it took place. Never what was said."""

    __tablename__ = "coaching_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # booked, cancelled, held, rescheduled, no_show
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # calendar invite version
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True)  # the unguessable .ics address
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    guide_outcome: Mapped[str | None] = mapped_column(String(16))  # held, rescheduled, no_show
    guided_outcome: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupSession(Base):
    """A peer-group session or an event (orientation, kickoff, training, meeting) a coordinator scheduled
    for a cohort: both take places, a waitlist, busy quarter hours and reminders the same way."""

    __tablename__ = "group_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    # peer-group, or an event's kind: orientation, kickoff, training, meeting (bot/events.py)
    kind: Mapped[str] = mapped_column(String(16), default="peer-group", server_default="peer-group")
    # An event's audience: everyone, coordinators, or one role of the cohort; None for a peer group.
    audience: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)  # places; 0: an event its whole audience is invited to
    status: Mapped[str] = mapped_column(String(16))  # scheduled, cancelled
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupSeat(Base):
    """A numbered place in a peer group: the key keeps a full group from taking one more."""

    __tablename__ = "group_seats"
    __table_args__ = (UniqueConstraint("group_id", "person_id"),)

    group_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupWaitlist(Base):
    """People waiting for a place in a full peer group, first come first served."""

    __tablename__ = "group_waitlist"

    group_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BusySlot(Base):
    """A quarter hour a person is taken by a session. The key (person, slot) makes double booking
    impossible for either person, on SQLite and PostgreSQL alike: of two racing bookings one insert fails."""

    __tablename__ = "busy_slots"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("coaching_sessions.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group_sessions.id", ondelete="CASCADE"), index=True)


class Job(Base):
    """Work the scheduler does at a time: plan a cohort's check-ins, send their reminders, prune.

    (kind, subject) is unique, so planning the same job twice keeps one; a job runs in the transaction
    that marks it done, so it runs once even across crashes and several servers."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("kind", "subject"), Index("ix_jobs_due", "status", "due_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(100))  # what it is about: "cohort:3:2026-12-01"
    status: Mapped[str] = mapped_column(String(16))  # pending, done, failed
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))  # an exception's name, never data
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CheckIn(Base):
    """One person asked how their pairing is going on one date, and their answer: buttons and a count.

    There is no column for words: a check-in has no free text."""

    __tablename__ = "check_ins"
    __table_args__ = (UniqueConstraint("pair_id", "person_id", "asked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    asked_on: Mapped[date] = mapped_column(Date)  # the check-in's date in the program's cadence
    status: Mapped[str | None] = mapped_column(String(24))  # on_track, some_difficulties, need_help
    sessions: Mapped[int | None] = mapped_column(Integer)  # meetings since the last check-in
    hours: Mapped[float | None] = mapped_column(Float)  # a coach's hours, where the program counts them
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HourEntry(Base):
    """Time a coach spent for their program outside meetings: minutes, a category from the program
    file and the day. There is no column for notes."""

    __tablename__ = "hour_entries"
    __table_args__ = (Index("ix_hour_entries_person_day", "person_id", "worked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    worked_on: Mapped[date] = mapped_column(Date)  # the day in the coach's own zone
    minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RelayCount(Base):
    """How many messages a pair relayed through the assistant in a month, each way. Never their text."""

    __tablename__ = "relay_counts"

    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-11
    from_guide: Mapped[int] = mapped_column(Integer, default=0)
    from_guided: Mapped[int] = mapped_column(Integer, default=0)


class SurveyInvitation(Base):
    """A person asked to answer a survey of their cohort: how far they got, for resuming, and how many
    reminders they had. It never says what they answered: SurveyAnswer rows carry no link back."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("cohort_id", "survey_id", "person_id", name="uq_survey_invitations_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))  # the audience role they were asked in
    progress: Mapped[int] = mapped_column(Integer, default=0)  # questions answered or skipped so far
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SurveyAnswer(Base):
    """One answer to one survey question, and nothing that leads back to who gave it: no person, pair or
    account id, no time, no sequence. The key is random and, on SQLite, the table is WITHOUT ROWID, so
    rows are kept in the order of that random key, not in the order they came."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        Index("ix_survey_answers_question", "cohort_id", "survey_id", "question_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    survey_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(64))
    # The answerer's audience role, kept only where at least five people of that role were asked.
    role: Mapped[str | None] = mapped_column(String(32))
    answer: Mapped[Any] = mapped_column(JSON)  # 1-5, an option, a list of options, or short text


class ExportLink(Base):
    """An unguessable, short-lived link a coordinator asked for, to download anonymous survey answers."""

    __tablename__ = "export_links"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    survey_id: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DataExportLink(Base):
    """An unguessable, short-lived link a person asked for with `my data`, to download what is held about
    them. It holds no data itself: the file is put together when the link is opened."""

    __tablename__ = "data_export_links"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Resource(Base):
    """A toolkit, guide, training module or link in a program's shared resource library, added and curated
    by the program's coordinators. `number` is what people see and type (`resources retire 3`); it stays
    the same while others are added, retired or featured."""

    __tablename__ = "resources"
    __table_args__ = (
        UniqueConstraint("program_id", "number", name="uq_resources_program_number"),
        UniqueConstraint("program_id", "url", name="uq_resources_program_url"),  # one entry per link
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))  # http or https only, scheme and host in lower case
    kind: Mapped[str] = mapped_column(String(40))  # one of the program file's [resources] kinds
    career_stages: Mapped[list[str]] = mapped_column(JSON)  # [] : every stage
    topics: Mapped[list[str]] = mapped_column(JSON)  # [] : every topic
    status: Mapped[str] = mapped_column(String(16))  # listed, retired
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CoordinatorTerm(Base):
    """A coordinator's term in a program: national (no region) or for one region of the program file.

    A graduation ends the term and starts the successor's in the same region: this row is the hand-over
    (the successor, who recorded it, when) and names the cohort where the graduate became a mentor,
    None while the region's next cohort is still to be created."""

    __tablename__ = "coordinator_terms"
    # One current term per person and program: a second appointment is refused by the database.
    __table_args__ = (
        Index(
            "uq_coordinator_terms_current",
            "program_id",
            "person_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), index=True)
    region_id: Mapped[str | None] = mapped_column(String(64))  # None: national, every region
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(16))  # graduated, stepped_down
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    mentor_cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))  # appointed by
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))  # hand-over by
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SlackWorkspace(Base):
    """A Slack workspace (or Enterprise Grid org) that added the app with "Add to Slack": its bot. The
    token columns hold ciphertext (Fernet, with SLACK_TOKEN_KEY), never a token; what encrypts them lives
    in the Slack adapter, not here."""

    __tablename__ = "slack_workspaces"
    # "ENTERPRISE:TEAM" ("-" for a missing part) is unique where the two ids, which may be NULL, cannot be
    __table_args__ = (UniqueConstraint("workspace", name="uq_slack_workspaces_workspace"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str] = mapped_column(String(80))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    app_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))  # comma-separated, as Slack gives them
    bot_token: Mapped[str | None] = mapped_column(String(1000))  # encrypted
    bot_refresh_token: Mapped[str | None] = mapped_column(String(1000))  # encrypted
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlackInstaller(Base):
    """A person who added the app to a workspace, with their user token if the app asked for user scopes
    (it asks for none today). The secrets (tokens, the incoming webhook's URL) are ciphertext."""

    __tablename__ = "slack_installers"
    __table_args__ = (UniqueConstraint("workspace", "user_id", name="uq_slack_installers_workspace_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace: Mapped[str] = mapped_column(String(80))  # as in slack_workspaces; no foreign key: a
    # workspace's bot and its installers are removed separately (tokens_revoked names one or the other)
    enterprise_url: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(32))
    user_token: Mapped[str | None] = mapped_column(String(1000))  # encrypted
    user_scopes: Mapped[str | None] = mapped_column(String(1000))
    user_refresh_token: Mapped[str | None] = mapped_column(String(1000))  # encrypted
    user_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    incoming_webhook_url: Mapped[str | None] = mapped_column(String(1000))  # encrypted: it lets anyone post
    incoming_webhook_channel: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_channel_id: Mapped[str | None] = mapped_column(String(32))
    incoming_webhook_configuration_url: Mapped[str | None] = mapped_column(String(200))
    token_type: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlackOAuthState(Base):
    """The `state` of an "Add to Slack" under way: issued with the link, taken once by the redirect back."""

    __tablename__ = "slack_oauth_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
