"""`resources`: the network's shared library of toolkits, guides, training modules and links.

Everyone in a cohort of a program with a library (`[resources]` in its file) reads it, and so do its
coordinators: `resources` lists what is listed, featured first, then the newest, ten at a time, with
buttons to filter by career stage or topic; `resources early career`, `resources leadership` or
`resources mid career leadership` filter by typed names.

The program's coordinators add and curate: `resources add` asks for the title, the link, the kind, the
career stages and the topics (buttons that switch on and off, then Done; or "All"). It can be given in one
line: `resources add "Mentoring agreement template" https://example.org/agreement toolkit stages: early
career, mid career topics: mentoring practice`; whatever the line leaves out is asked. `resources edit 3`
changes one of those; `resources feature 3` / `unfeature 3` puts it at the top or back; `resources retire
3` takes it off the list and `resources restore 3` brings it back; `resources retired` lists retired ones.
"""

from typing import Any

from bot import resources
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.i18n import N_, _, ngettext, program_words, role_word
from bot.messages import all_of
from bot.programs import Program, ResourceRules
from bot.resources import DuplicateLink, Filter, ResourceError
from dialogs import resources_form
from storage.models import Resource

NAME = "resources"
PAGE = 10
NOTHING_ADDED, UNCHANGED = N_("Nothing was added."), N_("Nothing changed.")
CURATE = {  # what was done, and what it changes in the list
    "retire": N_("{number}. {title} is retired. It no longer shows in the list; `resources retired` lists it."),
    "restore": N_("{number}. {title} is restored. It shows in the list again."),
    "feature": N_("{number}. {title} is featured. It now shows at the top of the list."),
    "unfeature": N_("{number}. {title} is no longer featured. It shows among the others again, newest first."),
}
ALREADY = {
    "retire": N_("{number}. {title} is already retired."),
    "restore": N_("{number}. {title} is already in the list."),
    "feature": N_("{number}. {title} is already featured."),
    "unfeature": N_("{number}. {title} is already not featured."),
}
SUBCOMMANDS = ("add", "edit", "retired")
# What someone who does not curate a library is told when they try to
MAY_ADD = N_("Only the coordinators of {program} add to its resource library; you can read it with `resources`.")
MAY_CURATE = N_("Only the coordinators of {program} curate its resource library; you can read it with `resources`.")
MAY_EDIT = N_("Only the coordinators of {program} edit its resource library; you can read it with `resources`.")
MAY_SEE_RETIRED = N_(
    "Only the coordinators of {program} see the retired resources of its library; you can read it with `resources`."
)
STEPS = ("title", "url", "kind", "stages", "topics")
FIELDS = {
    "title": N_("Title"),
    "url": N_("Link"),
    "kind": N_("Kind"),
    "stages": N_("Career stages"),
    "topics": N_("Topics"),
}


def _nothing_added() -> str:
    return " " + _(NOTHING_ADDED)


def _unchanged() -> str:
    return " " + _(UNCHANGED)


async def start(turn: Turn, args: str) -> None:
    if _is_a_title(turn, args):  # "Resources for new mentors", typed when the title was asked
        await ResourcesDialog().on_text(turn, turn.inbound.text)
        return
    readable = resources.libraries(turn.roles, turn.programs)
    if not readable:
        _not_yours(turn)
        return
    if len(readable) > 1:
        turn.say(
            _("You can use more than one resource library. Which one?"),
            buttons=tuple(button(NAME, p.short_name, f"library|{p.id}|{args.strip()[:1500]}") for p in readable),
        )
        return
    await _run(turn, readable[0], args)


def _is_a_title(turn: Turn, args: str) -> bool:
    active, typed = turn.active, turn.inbound.text.strip().lower()
    return (
        active is not None
        and (active.dialog, active.step) == (NAME, "title")
        and not turn.inbound.is_command
        and not typed.startswith("/coaching")
        and args.split(" ")[0].lower() not in (*SUBCOMMANDS, *CURATE)
    )


async def _run(turn: Turn, program: Program, args: str) -> None:
    word, _sep, rest = args.strip().partition(" ")
    action = word.lower()
    if action == "add":
        await _add(turn, program, rest)
    elif action == "edit":
        await _edit(turn, program, rest)
    elif action in CURATE:
        await _curate(turn, program, action, rest)
    elif action == "retired":
        await _retired(turn, program)
    else:
        try:
            chosen = resources.read_filter(args, _rules(program))
        except ResourceError as error:
            turn.say(str(error))
            return
        await _show(turn, program, chosen, 0)


def _not_yours(turn: Turn) -> None:
    with_library = [p for p in turn.programs if p.resources is not None]
    if not with_library:
        turn.say(_("None of the programs here has a resource library yet."))
        return
    who = "; ".join(_("the {roles} of {program}").format(roles=_roles(p), program=p.short_name) for p in with_library)
    if len(with_library) == 1:
        text = _("The resource library is for {who}, and you are not in it yet. Type `programs` to see how to apply.")
    else:
        text = _(
            "The resource library is for {who}, and you are not in one of them yet. "
            "Type `programs` to see how to apply."
        )
    turn.say(text.format(who=who))


# Reading the library


async def _show(turn: Turn, program: Program, chosen: Filter, page: int) -> None:
    everything = await resources.listed(turn.session, program.id)
    shown = [r for r in everything if chosen.fits(r)]
    coordinator = turn.roles.coordinates(program.id)
    if chosen.words:
        title = _("{program} resource library: {filter}").format(program=program.short_name, filter=chosen.words)
    else:
        title = _("{program} resource library").format(program=program.short_name)
    buttons = [
        button(NAME, _("By career stage"), f"pick|{program.id}|stages|{_encode(chosen)}"),
        button(NAME, _("By topic"), f"pick|{program.id}|topics|{_encode(chosen)}"),
    ]
    if chosen.words:
        buttons.append(button(NAME, _("All resources"), f"show|{program.id}|0|"))
    if not shown:
        if everything:
            text = _("Nothing in the library fits {filter} yet.").format(filter=chosen.words)
        else:
            text = _("The library is empty so far.")
            if coordinator:
                text += " " + _("Add the first with `resources add`.")
            buttons = []
        if coordinator:
            buttons.append(button(NAME, _("Add a resource"), f"add|{program.id}", "primary"))
        turn.say(text, title=title, buttons=tuple(buttons))
        return
    page = min(max(page, 0), (len(shown) - 1) // PAGE)
    first, last = page * PAGE, min(page * PAGE + PAGE, len(shown))
    if last < len(shown):
        more = _("More ({count})").format(count=len(shown) - last)
        buttons.append(button(NAME, more, f"show|{program.id}|{page + 1}|{_encode(chosen)}"))
    if coordinator:
        buttons.append(button(NAME, _("Add a resource"), f"add|{program.id}", "primary"))
    if len(shown) > PAGE:
        count = ngettext(
            "{count} resource, {first}-{last} shown here.", "{count} resources, {first}-{last} shown here.", len(shown)
        ).format(count=len(shown), first=first + 1, last=last)
    else:
        count = ngettext("{count} resource.", "{count} resources.", len(shown)).format(count=len(shown))
    hint = _("Filter with the buttons, or type `resources early career` or `resources leadership`.")
    if coordinator:
        hint += " " + _(
            "You curate it: `resources add`, `resources edit 3`, `resources feature 3`, `resources retire 3`; "
            "`resources retired` lists the retired ones."
        )
    turn.say(
        f"{count} {hint}",
        title=title,
        lines=tuple(_line(r) for r in shown[first:last]),
        buttons=tuple(buttons),
    )


def _line(resource: Resource) -> str:
    words = {
        "number": resource.number,
        "title": resource.title,
        "kind": program_words(resource.kind),
        "url": resource.url,
        "stages": ", ".join(program_words(s) for s in resource.career_stages) or _("all career stages"),
        "topics": ", ".join(program_words(t) for t in resource.topics) or _("all topics"),
    }
    if resource.featured:
        return _("{number}. *{title}* ({kind}, featured): {url} For: {stages}. Topics: {topics}.").format(**words)
    return _("{number}. *{title}* ({kind}): {url} For: {stages}. Topics: {topics}.").format(**words)


def _ask_filter(turn: Turn, program: Program, which: str, chosen: Filter) -> None:
    rules = _rules(program)
    if which == "stages":
        options = [(program_words(s), Filter((s,), chosen.topics)) for s in rules.career_stages]
        options.append((_("All career stages"), Filter((), chosen.topics)))
        question = _("Which career stage?")
    else:
        options = [(program_words(t), Filter(chosen.stages, (t,))) for t in rules.topics]
        options.append((_("All topics"), Filter(chosen.stages, ())))
        question = _("Which topic?")
    turn.say(question, buttons=tuple(button(NAME, label, f"show|{program.id}|0|{_encode(f)}") for label, f in options))


def _encode(chosen: Filter) -> str:
    return ",".join(chosen.stages) + ";" + ",".join(chosen.topics)


def _decode(text: str, rules: ResourceRules) -> Filter:
    """A filter from a button; names the program file no longer has are dropped."""
    stages, _sep, topics = text.partition(";")
    return Filter(
        tuple(s for s in stages.split(",") if s in rules.career_stages),
        tuple(t for t in topics.split(",") if t in rules.topics),
    )


async def _retired(turn: Turn, program: Program) -> None:
    if not _may_curate(turn, program, MAY_SEE_RETIRED):
        return
    retired = await resources.listed(turn.session, program.id, resources.RETIRED)
    if not retired:
        turn.say(_("No resource of the library is retired."))
        return
    turn.say(
        _("Bring one back with `resources restore {number}`.").format(number=retired[0].number),
        title=_("{program} resource library: retired").format(program=program.short_name),
        lines=tuple(_line(r) for r in retired),
    )


# Adding (coordinators)


async def _add(turn: Turn, program: Program, typed: str) -> None:
    if not _may_curate(turn, program, MAY_ADD):
        return
    data: dict[str, Any] = {"program_id": program.id}
    if typed.strip():
        try:
            given = resources.read_given(typed, _rules(program))
            if given.url is not None:
                await resources.check_new_link(turn.session, program.id, given.url)
        except ResourceError as error:
            turn.refuse(_pointed(error) + _nothing_added())
            return
        data |= {key: value for key, value in given.as_data().items() if value is not None}
    elif turn.inbound.platform != "console":  # Slack and Teams can take everything at once
        turn.say(
            _("Give everything at once, or answer one question at a time."),
            buttons=(resources_form.offer(NAME, program.id),),
        )
    await _ask_next(turn, program, data)


async def _ask_next(turn: Turn, program: Program, data: dict[str, Any]) -> None:
    """Ask the first thing still missing; with nothing missing, add the resource."""
    missing = [step for step in STEPS if step not in data]
    if missing:
        _ask_step(turn, program, missing[0], data)
    else:
        await _save(turn, program, data)


def _ask_step(turn: Turn, program: Program, step: str, data: dict[str, Any], note: str = "") -> None:
    if step == "title":
        question = _("What is the resource called? Type its title, as people will see it.")
        turn.ask(NAME, step, note + question, data=data)
    elif step == "url":
        turn.ask(NAME, step, note + _("Paste its link, starting with https:// (or http://)."), data=data)
    elif step == "kind":
        kinds = _rules(program).kinds
        turn.ask(
            NAME,
            step,
            note + _("What kind of resource is it?"),
            expects="choice",
            buttons=tuple(button(NAME, program_words(kind), f"kind|{i}") for i, kind in enumerate(kinds)),
            data=data,
        )
    else:
        names = _names(program, step)
        picked = [name for name in data.get("picked", []) if name in names]
        buttons = [
            button(NAME, f"✓ {program_words(n)}" if n in picked else program_words(n), f"{step}|{i}")
            for i, n in enumerate(names)
        ]
        buttons.append(button(NAME, _("All career stages") if step == "stages" else _("All topics"), f"{step}|all"))
        buttons.append(button(NAME, _("Done"), f"{step}|done", "primary"))
        if step == "stages":
            question = _(
                "Which career stages is it for? Click each that fits, then Done, or type them "
                "(like `{first}, {last}`, or `all`)."
            )
        else:
            question = _(
                "Which topics is it for? Click each that fits, then Done, or type them "
                "(like `{first}, {last}`, or `all`)."
            )
        question = question.format(first=names[0], last=names[-1])
        if picked:
            question += " " + _("Chosen so far: {names}.").format(names=", ".join(program_words(n) for n in picked))
        turn.ask(
            NAME,
            step,
            note + question,
            expects="choice",
            buttons=tuple(buttons),
            data={**data, "picked": picked},
        )


async def _save(turn: Turn, program: Program, data: dict[str, Any]) -> None:
    draft = resources.Draft(
        str(data["title"]), str(data["url"]), str(data["kind"]), tuple(data["stages"]), tuple(data["topics"])
    )
    turn.finish()
    try:
        added = await resources.add(turn.session, program.id, draft, turn.person.id, turn.now)
    except ResourceError as error:
        turn.refuse(_pointed(error) + _nothing_added())
        return
    turn.say(
        _("Added to the {program} library as number {number}:").format(program=program.short_name, number=added.number),
        lines=(_line(added),),
        buttons=(
            button(NAME, _("Feature it"), f"do|{program.id}|feature|{added.number}"),
            button(NAME, _("Add another"), f"add|{program.id}"),
        ),
    )


def _pointed(error: ResourceError) -> str:
    if isinstance(error, DuplicateLink):
        return _("{problem} To change it, type `resources edit {number}`.").format(
            problem=error, number=error.existing.number
        )
    return str(error)


# Curating (coordinators)


async def _curate(turn: Turn, program: Program, action: str, typed: str) -> None:
    if not _may_curate(turn, program, MAY_CURATE):
        return
    resource = await _numbered(turn, program, typed, f"resources {action}")
    if resource is None:
        return
    already = {
        "retire": resource.status == resources.RETIRED,
        "restore": resource.status == resources.LISTED,
        "feature": resource.featured,
        "unfeature": not resource.featured,
    }[action]
    if already:
        turn.say(_(ALREADY[action]).format(number=resource.number, title=resource.title) + _unchanged())
        return
    if action in ("retire", "restore"):
        status = resources.RETIRED if action == "retire" else resources.LISTED
        resources.change(resource, turn.person.id, turn.now, status=status)
    else:
        resources.change(resource, turn.person.id, turn.now, featured=action == "feature")
    undo = {"retire": "restore", "restore": "retire", "feature": "unfeature", "unfeature": "feature"}[action]
    turn.say(
        _(CURATE[action]).format(number=resource.number, title=resource.title),
        buttons=(button(NAME, _("Undo ({action})").format(action=undo), f"do|{program.id}|{undo}|{resource.number}"),),
    )


async def _numbered(turn: Turn, program: Program, typed: str, usage: str) -> Resource | None:
    number = typed.strip().lstrip("#")
    given_id = row_id(number)
    found = await resources.numbered(turn.session, program.id, given_id) if given_id is not None else None
    if found is None:
        if number:
            missing = _("There is no resource {number} in the {program} library.").format(
                number=number[:10], program=program.short_name
            )
        else:
            missing = _("Which one?")
        give = _("Give the number `resources` shows, like `{usage} 3`.").format(usage=usage)
        turn.say(f"{missing} {give}{_unchanged()}")
    return found


# Editing (coordinators)


async def _edit(turn: Turn, program: Program, typed: str) -> None:
    if not _may_curate(turn, program, MAY_EDIT):
        return
    resource = await _numbered(turn, program, typed, "resources edit")
    if resource is None:
        return
    turn.ask(
        NAME,
        "field",
        _("What would you like to change in {number}. {title}?").format(number=resource.number, title=resource.title),
        expects="choice",
        buttons=tuple(button(NAME, _(label), f"field|{field}") for field, label in FIELDS.items()),
        data={"program_id": program.id, "editing": resource.id},
    )


async def _change(turn: Turn, program: Program, data: dict[str, Any]) -> None:
    """Store the one field an edit asked for."""
    resource = await turn.session.get(Resource, int(data["editing"]))
    turn.finish()
    if resource is None or resource.program_id != program.id:
        turn.say(_("That resource is no longer in the library.") + _unchanged())
        return
    field = str(data["field"])
    if field == "url":
        try:
            await resources.check_new_link(turn.session, program.id, str(data["url"]), replacing=resource.id)
        except ResourceError as error:
            turn.say(_pointed(error) + _unchanged())
            return
    column = {"stages": "career_stages"}.get(field, field)
    value = list(data[field]) if field in ("stages", "topics") else str(data[field])
    resources.change(resource, turn.person.id, turn.now, **{column: value})
    turn.say(_("Changed. It now reads:"), lines=(_line(resource),))


async def _chosen_field(turn: Turn, program: Program, data: dict[str, Any], field: str) -> None:
    resource = await turn.session.get(Resource, int(data["editing"]))
    if resource is None or resource.program_id != program.id:
        turn.finish()
        turn.say(_("That resource is no longer in the library.") + _unchanged())
        return
    data["field"] = field
    if field in ("stages", "topics"):  # start from what it has
        data["picked"] = list(resource.career_stages if field == "stages" else resource.topics)
    _ask_step(turn, program, field, data)


# Answers and clicks


class ResourcesDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        asked = _asked(turn)
        if asked is None:
            return
        program, step, data = asked
        rules = _rules(program)
        if step == "field":
            typed = text.strip().lower()
            field = next((f for f, label in FIELDS.items() if typed in (f, label.lower(), _(label).lower())), None)
            if field is None:
                turn.refuse(_("Please choose what to change with the buttons above, or type `cancel`."))
            else:
                await _chosen_field(turn, program, data, field)
            return
        if step in ("stages", "topics") and text.strip().lower() in ("done", _("Done").lower()):
            await _toggled(turn, program, step, data, "done")
            return
        try:
            if step == "title":
                data["title"] = resources.read_title(text)
            elif step == "url":
                data["url"] = resources.read_link(text)
                editing = int(data["editing"]) if "editing" in data else None
                await resources.check_new_link(turn.session, program.id, data["url"], replacing=editing)
            elif step == "kind":
                data["kind"] = resources.read_kind(text, rules)
            elif step in ("stages", "topics"):
                what = "career stages" if step == "stages" else "topics"
                data[step] = list(resources.read_choices(text, _names(program, step), what))
                data.pop("picked", None)
        except ResourceError as error:
            if step in ("title", "url"):
                if step == "url":
                    again = _("{problem} Paste another link, or type `cancel`.")
                else:
                    again = _("{problem} Type another title, or type `cancel`.")
                turn.refuse(again.format(problem=_pointed(error)))
            else:  # the buttons again
                _ask_step(turn, program, step, data, note=f"{error} ")
                turn.refused = str(error)  # in a form, said beside the field
            return
        await _answered(turn, program, data)

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _sep, rest = value.partition("|")
        if action in ("library", "show", "pick", "add", "form", "do"):
            program_id, _sep, rest = rest.partition("|")
            program = _readable(turn, program_id)
            if program is not None:
                await _clicked(turn, program, action, rest)
            return
        asked = _asked(turn)
        if asked is None:
            return
        program, step, data = asked
        if action == "field" and step == "field" and rest in FIELDS:
            await _chosen_field(turn, program, data, rest)
        elif action == "kind" and step == "kind" and rest.isdigit() and int(rest) < len(_rules(program).kinds):
            data["kind"] = _rules(program).kinds[int(rest)]
            await _answered(turn, program, data)
        elif action == step and step in ("stages", "topics"):
            await _toggled(turn, program, step, data, rest)
        else:
            _closed(turn)


async def _clicked(turn: Turn, program: Program, action: str, rest: str) -> None:
    """A click on a button of the list or of an answer: these work whatever was asked since."""
    if action == "library":
        await _run(turn, program, rest)
    elif action == "show":
        page, _sep, encoded = rest.partition("|")
        await _show(turn, program, _decode(encoded, _rules(program)), int(page) if page.isdigit() else 0)
    elif action == "pick":
        which, _sep, encoded = rest.partition("|")
        _ask_filter(turn, program, which, _decode(encoded, _rules(program)))
    elif action == "add":
        await _add(turn, program, "")
    elif action == "form" and _may_curate(turn, program, MAY_ADD):
        turn.show_form(resources_form.form_of(NAME, program.id, _rules(program)), _("Fill in the form to add it."))
    elif action == "do":
        curate, _sep, number = rest.partition("|")
        if curate in CURATE:
            await _curate(turn, program, curate, number)


async def _answered(turn: Turn, program: Program, data: dict[str, Any]) -> None:
    if "editing" in data:
        await _change(turn, program, data)
    else:
        await _ask_next(turn, program, data)


async def _toggled(turn: Turn, program: Program, step: str, data: dict[str, Any], choice: str) -> None:
    names = _names(program, step)
    picked = [name for name in data.get("picked", []) if name in names]
    if choice.isdigit() and int(choice) < len(names):
        name = names[int(choice)]
        data["picked"] = [n for n in picked if n != name] if name in picked else [*picked, name]
        _ask_step(turn, program, step, data)
        return
    if choice == "done" and not picked:
        if step == "stages":
            note = _("Please choose at least one career stage, or All, before Done.")
        else:
            note = _("Please choose at least one topic, or All, before Done.")
        _ask_step(turn, program, step, data, note=note + " ")
        return
    if choice not in ("all", "done"):
        _closed(turn)
        return
    data[step] = [] if choice == "all" else [name for name in names if name in picked]
    data.pop("picked", None)
    await _answered(turn, program, data)


def _asked(turn: Turn) -> tuple[Program, str, dict[str, Any]] | None:
    """The open question of this dialog, its program (still the person's to curate) and its answers so far."""
    active = turn.active
    if active is None or active.dialog != NAME:
        _closed(turn)
        return None
    program = turn.programs.get(str(active.data.get("program_id", "")))
    if program is None or program.resources is None or not turn.roles.coordinates(program.id):
        turn.finish()
        turn.say(_("Only the coordinators of a program add to and curate its resource library.") + _unchanged())
        return None
    return program, active.step, dict(active.data)


def _closed(turn: Turn) -> None:
    """A click on a question of this dialog that is no longer open; another dialog's question stays open."""
    if turn.active is not None and turn.active.dialog == NAME:
        turn.finish()
    turn.say(_("That question is closed. Type `resources add` or `resources edit 3` to start again.") + _unchanged())


def _readable(turn: Turn, program_id: str) -> Program | None:
    program = next((p for p in resources.libraries(turn.roles, turn.programs) if p.id == program_id), None)
    if program is None:
        _not_yours(turn)
    return program


def _may_curate(turn: Turn, program: Program, refusal: str) -> bool:
    """Whether this person curates the program's library; if not, says `refusal` (an N_ sentence with {program})."""
    if turn.roles.coordinates(program.id):
        return True
    turn.say(_(refusal).format(program=program.short_name) + _unchanged())
    return False


def _rules(program: Program) -> ResourceRules:
    return resources.rules_of(program)


def _names(program: Program, step: str) -> tuple[str, ...]:
    rules = _rules(program)
    return rules.career_stages if step == "stages" else rules.topics


def _roles(program: Program) -> str:
    """ "mentors, mentees and coordinators"."""
    roles = [role_word(role, 2) for role in program.roles if role != "coordinator"] + [role_word("coordinator", 2)]
    return all_of(roles)


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_(
                "the network's library of toolkits, guides and links, by career stage and topic; coordinators add "
                "and curate it"
            ),
            "resources [STAGE] [TOPIC] | resources add | resources edit|feature|retire|restore N",
            start,
            keeps_dialog=True,  # reading the library leaves a question in progress open
            serves=lambda program: program.resources is not None,
        )
    )
    registry.add_dialog(ResourcesDialog())
