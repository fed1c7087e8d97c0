"""`profile`: a coach's or mentor's profile, which matching reads (bot/profiles.py).

`profile` shows expertise, interests, languages, how many people they take and their time zone, with a
button to change each. `profile expertise TEXT`, `profile interests TEXT`, `profile languages English,
Khmer`, `profile capacity 2` and `profile timezone Phnom Penh` change one at once. The time zone is the
`timezone` command's. A participant is told what matching reads about them instead: their application.
"""

from sqlalchemy import select

from bot import profiles
from bot.dialog import Command, Registry, Turn, button, in_a_program
from bot.i18n import N_, _, program_words
from bot.profiles import HIGHEST_CAPACITY, LOWEST_CAPACITY, TEXT_LIMIT, ProfileError
from bot.program_rules import GUIDED_ROLES
from bot.programs import Program
from bot.timezones import zone_name
from dialogs import timezone
from storage.models import Application, Cohort, Profile

NAME = "profile"
TIMEZONE = "timezone"
FIELDS = {  # field: (what the profile calls it, the question asked, its button); translated where shown
    "expertise": (
        N_("Expertise"),
        N_("What do you offer as a coach or mentor? A few words, up to {limit} characters."),
        N_("Change expertise"),
    ),
    "interests": (
        N_("Interests"),
        N_("Which topics interest you? A few words, up to {limit} characters."),
        N_("Change interests"),
    ),
    "languages": (
        N_("Languages"),
        N_("Which languages do you work in? Separate them with commas, like `English, Khmer`."),
        N_("Change languages"),
    ),
    "capacity": (
        N_("People you take"),
        N_("How many people can you take in one cohort? A whole number from {lowest} to {highest}."),
        N_("Change capacity"),
    ),
}
ALIASES = {"time zone": TIMEZONE, "zone": TIMEZONE, "tz": TIMEZONE, "language": "languages", "interest": "interests"}
OUT_OF_DATE = N_("That button is out of date. Type `profile` to see your profile.")
NOT_A_GUIDE = N_("Profiles are for coaches and mentors: matching reads them to find each one's partners.")


async def start(turn: Turn, args: str) -> None:
    if not await _may_have_profile(turn):
        await _explain_for_participant(turn)
        return
    field, _space, value = args.strip().partition(" ")
    field = ALIASES.get(field.lower(), field.lower())
    if not field:
        await _show(turn)
    elif field == TIMEZONE:
        await timezone.start(turn, value)
    elif field not in FIELDS:
        turn.say(
            _(
                "I can change your expertise, interests, languages, capacity or timezone, not `{typed}`. "
                "Type `profile` to see yours. Nothing was changed."
            ).format(typed=field[:40])
        )
    elif value.strip():
        await _change(turn, field, value)
    else:
        _ask(turn, field)


class ProfileDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        field = turn.active.step if turn.active else ""
        if field not in FIELDS:
            turn.say(_("Please use the buttons above, or type `profile` to start again."))
            return
        await _change(turn, field, text)

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _bar, field = value.partition("|")
        if action != "change" or not await _may_have_profile(turn):
            turn.say(_(OUT_OF_DATE))
        elif field == TIMEZONE:
            turn.finish()
            await timezone.start(turn, "")
        elif field in FIELDS:
            _ask(turn, field)
        else:
            turn.say(_(OUT_OF_DATE))


# Showing


async def _show(turn: Turn) -> None:
    profile = await profiles.profile_of(turn.session, turn.person.id)
    not_given = _("(not given)")
    expertise = profile.expertise if profile and profile.expertise else not_given
    interests = profile.interests if profile and profile.interests else not_given
    languages = ", ".join(profiles.languages_of(profile)) or not_given
    shown = (expertise, interests, languages, _capacity_words(turn, profile))
    lines = tuple(
        _("{field}: {value}").format(field=_(FIELDS[field][0]), value=value)
        for field, value in zip(FIELDS, shown, strict=True)
    )
    lines += (_("Time zone: {zone}").format(zone=zone_name(turn.timezone)),)
    buttons = tuple(button(NAME, _(FIELDS[field][2]), f"change|{field}") for field in FIELDS)
    turn.say(
        _("Coordinators' matching reads this to find your partners."),
        title=_("Your profile"),
        lines=lines,
        buttons=(*buttons, button(NAME, _("Change time zone"), f"change|{TIMEZONE}")),
    )


def _capacity_words(turn: Turn, profile: Profile | None) -> str:
    if profile is not None and profile.capacity is not None:
        return str(profile.capacity)
    defaults = [
        _("{count} in the {program}").format(count=p.guide_capacity, program=p.short_name)
        for p in _guide_programs(turn)
    ]
    if not defaults:
        return _("the program's default")
    return _("the program's default ({defaults})").format(defaults=", ".join(defaults))


def _guide_programs(turn: Turn) -> list[Program]:
    ids = sorted({entry.program_id for entry in turn.roles.in_cohorts if profiles.is_guide([entry.role])})
    return [program for program in (turn.programs.get(i) for i in ids) if program is not None]


# Changing


def _ask(turn: Turn, field: str) -> None:
    question = _(FIELDS[field][1]).format(limit=TEXT_LIMIT, lowest=LOWEST_CAPACITY, highest=HIGHEST_CAPACITY)
    turn.ask(NAME, field, question)


async def _change(turn: Turn, field: str, typed: str) -> None:
    try:
        if field == "capacity":
            value: str | int | list[str] = profiles.parsed_capacity(typed)
        elif field == "languages":
            value = profiles.parsed_languages(typed)
        else:
            value = profiles.checked_text(typed, field)
    except ProfileError as error:
        unchanged = _("Nothing was changed.")
        turn.say(f"{error} {unchanged}")
        return
    profile = await profiles.own_profile(turn.session, turn.person.id, turn.now)
    setattr(profile, field, value)
    profile.updated_at = turn.now
    turn.finish()
    shown = ", ".join(value) if isinstance(value, list) else value
    turn.say(
        _("Done: your profile now says {field}: {value}. Type `profile` to see it all.").format(
            field=_(FIELDS[field][0]), value=shown
        )
    )


# Who has one


async def _may_have_profile(turn: Turn) -> bool:
    if profiles.is_guide(turn.roles.names):
        return True
    return await profiles.profile_of(turn.session, turn.person.id) is not None


async def _explain_for_participant(turn: Turn) -> None:
    query = (
        select(Application, Cohort.program_id)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(Application.person_id == turn.person.id, Application.status == "accepted")
        .order_by(Application.id.desc())
    )
    lines = []
    for application, program_id in (await turn.session.execute(query)).all():
        program = turn.programs.get(program_id)
        if program is None or not set(application.roles) & set(GUIDED_ROLES):
            continue
        for question in program.application.questions:
            answer = application.answers.get(question.id)
            if answer:
                lines.append(f"{program.short_name}: {program_words(question.question)} {answer}")
    if not lines:
        needless = _("You don't need one.")
        turn.say(f"{_(NOT_A_GUIDE)} {needless}")
        return
    reads = _("For you, matching reads what your application says you want:")
    turn.say(f"{_(NOT_A_GUIDE)} {reads}", lines=tuple(lines))


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("your coach or mentor profile, which matching reads: expertise, interests, languages, capacity"),
            "profile [expertise|interests|languages|capacity|timezone TEXT]",
            start,
            serves=in_a_program,
        )
    )
    registry.add_dialog(ProfileDialog())
