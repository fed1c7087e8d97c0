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
from bot.programs import Program, ResourceRules
from bot.resources import DuplicateLink, Filter, ResourceError
from dialogs import resources_form
from storage.models import Resource

NAME = "resources"
PAGE = 10
NOTHING_ADDED, UNCHANGED = " Nothing was added.", " Nothing changed."
CURATE = {
    "retire": "retired",
    "restore": "restored",
    "feature": "featured",
    "unfeature": "no longer featured",
}
SUBCOMMANDS = ("add", "edit", "retired")
STEPS = ("title", "url", "kind", "stages", "topics")
FIELDS = {"title": "Title", "url": "Link", "kind": "Kind", "stages": "Career stages", "topics": "Topics"}


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
            "You can use more than one resource library. Which one?",
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
    word, _, rest = args.strip().partition(" ")
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
        turn.say("None of the programs here has a resource library yet.")
        return
    who = "; ".join(f"the {_roles(p)} of {p.short_name}" for p in with_library)
    them = "it" if len(with_library) == 1 else "one of them"
    turn.say(f"The resource library is for {who}, and you are not in {them} yet. Type `programs` to see how to apply.")


# Reading the library


async def _show(turn: Turn, program: Program, chosen: Filter, page: int) -> None:
    everything = await resources.listed(turn.session, program.id)
    shown = [r for r in everything if chosen.fits(r)]
    coordinator = turn.roles.coordinates(program.id)
    title = f"{program.short_name} resource library" + (f": {chosen.words}" if chosen.words else "")
    buttons = [
        button(NAME, "By career stage", f"pick|{program.id}|stages|{_encode(chosen)}"),
        button(NAME, "By topic", f"pick|{program.id}|topics|{_encode(chosen)}"),
    ]
    if chosen.words:
        buttons.append(button(NAME, "All resources", f"show|{program.id}|0|"))
    if not shown:
        if everything:
            text = f"Nothing in the library fits {chosen.words} yet."
        else:
            text = "The library is empty so far." + (" Add the first with `resources add`." if coordinator else "")
            buttons = []
        if coordinator:
            buttons.append(button(NAME, "Add a resource", f"add|{program.id}", "primary"))
        turn.say(text, title=title, buttons=tuple(buttons))
        return
    page = min(max(page, 0), (len(shown) - 1) // PAGE)
    first, last = page * PAGE, min(page * PAGE + PAGE, len(shown))
    if last < len(shown):
        buttons.append(button(NAME, f"More ({len(shown) - last})", f"show|{program.id}|{page + 1}|{_encode(chosen)}"))
    if coordinator:
        buttons.append(button(NAME, "Add a resource", f"add|{program.id}", "primary"))
    count = f"{len(shown)} resources" if len(shown) != 1 else "1 resource"
    where = f", {first + 1}-{last} shown here" if len(shown) > PAGE else ""
    hint = "Filter with the buttons, or type `resources early career` or `resources leadership`."
    if coordinator:
        hint += (
            " You curate it: `resources add`, `resources edit 3`, `resources feature 3`, `resources retire 3`; "
            "`resources retired` lists the retired ones."
        )
    turn.say(
        f"{count}{where}. {hint}",
        title=title,
        lines=tuple(_line(r) for r in shown[first:last]),
        buttons=tuple(buttons),
    )


def _line(resource: Resource) -> str:
    featured = ", featured" if resource.featured else ""
    stages = ", ".join(resource.career_stages) or "all career stages"
    topics = ", ".join(resource.topics) or "all topics"
    kind = f"{resource.kind}{featured}"
    return f"{resource.number}. *{resource.title}* ({kind}): {resource.url} For: {stages}. Topics: {topics}."


def _ask_filter(turn: Turn, program: Program, which: str, chosen: Filter) -> None:
    rules = _rules(program)
    if which == "stages":
        options = [(s, Filter((s,), chosen.topics)) for s in rules.career_stages]
        options.append(("All career stages", Filter((), chosen.topics)))
        question = "Which career stage?"
    else:
        options = [(t, Filter(chosen.stages, (t,))) for t in rules.topics]
        options.append(("All topics", Filter(chosen.stages, ())))
        question = "Which topic?"
    turn.say(question, buttons=tuple(button(NAME, label, f"show|{program.id}|0|{_encode(f)}") for label, f in options))


def _encode(chosen: Filter) -> str:
    return ",".join(chosen.stages) + ";" + ",".join(chosen.topics)


def _decode(text: str, rules: ResourceRules) -> Filter:
    """A filter from a button; names the program file no longer has are dropped."""
    stages, _, topics = text.partition(";")
    return Filter(
        tuple(s for s in stages.split(",") if s in rules.career_stages),
        tuple(t for t in topics.split(",") if t in rules.topics),
    )


async def _retired(turn: Turn, program: Program) -> None:
    if not _may_curate(turn, program, "see the retired resources of its library"):
        return
    retired = await resources.listed(turn.session, program.id, resources.RETIRED)
    if not retired:
        turn.say("No resource of the library is retired.")
        return
    turn.say(
        f"Bring one back with `resources restore {retired[0].number}`.",
        title=f"{program.short_name} resource library: retired",
        lines=tuple(_line(r) for r in retired),
    )


# Adding (coordinators)


async def _add(turn: Turn, program: Program, typed: str) -> None:
    if not _may_curate(turn, program, "add to its resource library"):
        return
    data: dict[str, Any] = {"program_id": program.id}
    if typed.strip():
        try:
            given = resources.read_given(typed, _rules(program))
            if given.url is not None:
                await resources.check_new_link(turn.session, program.id, given.url)
        except ResourceError as error:
            turn.refuse(_pointed(error) + NOTHING_ADDED)
            return
        data |= {key: value for key, value in given.as_data().items() if value is not None}
    elif turn.inbound.platform != "console":  # Slack and Teams can take everything at once
        turn.say(
            "Give everything at once, or answer one question at a time.",
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
        turn.ask(NAME, step, f"{note}What is the resource called? Type its title, as people will see it.", data=data)
    elif step == "url":
        turn.ask(NAME, step, f"{note}Paste its link, starting with https:// (or http://).", data=data)
    elif step == "kind":
        kinds = _rules(program).kinds
        turn.ask(
            NAME,
            step,
            f"{note}What kind of resource is it?",
            expects="choice",
            buttons=tuple(button(NAME, kind, f"kind|{i}") for i, kind in enumerate(kinds)),
            data=data,
        )
    else:
        names = _names(program, step)
        picked = [name for name in data.get("picked", []) if name in names]
        what = "career stages" if step == "stages" else "topics"
        buttons = [button(NAME, f"✓ {n}" if n in picked else n, f"{step}|{i}") for i, n in enumerate(names)]
        buttons.append(button(NAME, f"All {what}", f"{step}|all"))
        buttons.append(button(NAME, "Done", f"{step}|done", "primary"))
        so_far = f" Chosen so far: {', '.join(picked)}." if picked else ""
        turn.ask(
            NAME,
            step,
            f"{note}Which {what} is it for? Click each that fits, then Done, or type them "
            f"(like `{names[0]}, {names[-1]}`, or `all`).{so_far}",
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
        turn.refuse(_pointed(error) + NOTHING_ADDED)
        return
    turn.say(
        f"Added to the {program.short_name} library as number {added.number}:",
        lines=(_line(added),),
        buttons=(
            button(NAME, "Feature it", f"do|{program.id}|feature|{added.number}"),
            button(NAME, "Add another", f"add|{program.id}"),
        ),
    )


def _pointed(error: ResourceError) -> str:
    if isinstance(error, DuplicateLink):
        return f"{error} To change it, type `resources edit {error.existing.number}`."
    return str(error)


# Curating (coordinators)


async def _curate(turn: Turn, program: Program, action: str, typed: str) -> None:
    if not _may_curate(turn, program, "curate its resource library"):
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
        state = {"retire": "retired", "restore": "in the list", "feature": "featured", "unfeature": "not featured"}
        turn.say(f"{resource.number}. {resource.title} is already {state[action]}.{UNCHANGED}")
        return
    if action in ("retire", "restore"):
        status = resources.RETIRED if action == "retire" else resources.LISTED
        resources.change(resource, turn.person.id, turn.now, status=status)
    else:
        resources.change(resource, turn.person.id, turn.now, featured=action == "feature")
    undo = {"retire": "restore", "restore": "retire", "feature": "unfeature", "unfeature": "feature"}[action]
    shown = {
        "retire": "It no longer shows in the list; `resources retired` lists it.",
        "restore": "It shows in the list again.",
        "feature": "It now shows at the top of the list.",
        "unfeature": "It shows among the others again, newest first.",
    }[action]
    turn.say(
        f"{resource.number}. {resource.title} is {CURATE[action]}. {shown}",
        buttons=(button(NAME, f"Undo ({undo})", f"do|{program.id}|{undo}|{resource.number}"),),
    )


async def _numbered(turn: Turn, program: Program, typed: str, usage: str) -> Resource | None:
    number = typed.strip().lstrip("#")
    given_id = row_id(number)
    found = await resources.numbered(turn.session, program.id, given_id) if given_id is not None else None
    if found is None:
        missing = f"There is no resource {number[:10]} in the {program.short_name} library." if number else "Which one?"
        turn.say(f"{missing} Give the number `resources` shows, like `{usage} 3`.{UNCHANGED}")
    return found


# Editing (coordinators)


async def _edit(turn: Turn, program: Program, typed: str) -> None:
    if not _may_curate(turn, program, "edit its resource library"):
        return
    resource = await _numbered(turn, program, typed, "resources edit")
    if resource is None:
        return
    turn.ask(
        NAME,
        "field",
        f"What would you like to change in {resource.number}. {resource.title}?",
        expects="choice",
        buttons=tuple(button(NAME, label, f"field|{field}") for field, label in FIELDS.items()),
        data={"program_id": program.id, "editing": resource.id},
    )


async def _change(turn: Turn, program: Program, data: dict[str, Any]) -> None:
    """Store the one field an edit asked for."""
    resource = await turn.session.get(Resource, int(data["editing"]))
    turn.finish()
    if resource is None or resource.program_id != program.id:
        turn.say("That resource is no longer in the library." + UNCHANGED)
        return
    field = str(data["field"])
    if field == "url":
        try:
            await resources.check_new_link(turn.session, program.id, str(data["url"]), replacing=resource.id)
        except ResourceError as error:
            turn.say(_pointed(error) + UNCHANGED)
            return
    column = {"stages": "career_stages"}.get(field, field)
    value = list(data[field]) if field in ("stages", "topics") else str(data[field])
    resources.change(resource, turn.person.id, turn.now, **{column: value})
    turn.say("Changed. It now reads:", lines=(_line(resource),))


async def _chosen_field(turn: Turn, program: Program, data: dict[str, Any], field: str) -> None:
    resource = await turn.session.get(Resource, int(data["editing"]))
    if resource is None or resource.program_id != program.id:
        turn.finish()
        turn.say("That resource is no longer in the library." + UNCHANGED)
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
            field = next((f for f, label in FIELDS.items() if text.strip().lower() in (f, label.lower())), None)
            if field is None:
                turn.refuse("Please choose what to change with the buttons above, or type `cancel`.")
            else:
                await _chosen_field(turn, program, data, field)
            return
        if step in ("stages", "topics") and text.strip().lower() == "done":
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
                again = "Paste another link" if step == "url" else "Type another title"
                turn.refuse(f"{_pointed(error)} {again}, or type `cancel`.")
            else:  # the buttons again
                _ask_step(turn, program, step, data, note=f"{error} ")
                turn.refused = str(error)  # in a form, said beside the field
            return
        await _answered(turn, program, data)

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _, rest = value.partition("|")
        if action in ("library", "show", "pick", "add", "form", "do"):
            program_id, _, rest = rest.partition("|")
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
        page, _, encoded = rest.partition("|")
        await _show(turn, program, _decode(encoded, _rules(program)), int(page) if page.isdigit() else 0)
    elif action == "pick":
        which, _, encoded = rest.partition("|")
        _ask_filter(turn, program, which, _decode(encoded, _rules(program)))
    elif action == "add":
        await _add(turn, program, "")
    elif action == "form" and _may_curate(turn, program, "add to its resource library"):
        turn.show_form(resources_form.form_of(NAME, program.id, _rules(program)), "Fill in the form to add it.")
    elif action == "do":
        curate, _, number = rest.partition("|")
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
        what = "career stage" if step == "stages" else "topic"
        _ask_step(turn, program, step, data, note=f"Please choose at least one {what}, or All, before Done. ")
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
        turn.say("Only the coordinators of a program add to and curate its resource library." + UNCHANGED)
        return None
    return program, active.step, dict(active.data)


def _closed(turn: Turn) -> None:
    """A click on a question of this dialog that is no longer open; another dialog's question stays open."""
    if turn.active is not None and turn.active.dialog == NAME:
        turn.finish()
    turn.say("That question is closed. Type `resources add` or `resources edit 3` to start again." + UNCHANGED)


def _readable(turn: Turn, program_id: str) -> Program | None:
    program = next((p for p in resources.libraries(turn.roles, turn.programs) if p.id == program_id), None)
    if program is None:
        _not_yours(turn)
    return program


def _may_curate(turn: Turn, program: Program, what: str) -> bool:
    if turn.roles.coordinates(program.id):
        return True
    turn.say(f"Only the coordinators of {program.short_name} {what}; you can read it with `resources`.{UNCHANGED}")
    return False


def _rules(program: Program) -> ResourceRules:
    return resources.rules_of(program)


def _names(program: Program, step: str) -> tuple[str, ...]:
    rules = _rules(program)
    return rules.career_stages if step == "stages" else rules.topics


def _roles(program: Program) -> str:
    roles = [f"{role}s" for role in program.roles if role != "coordinator"] + ["coordinators"]
    return ", ".join(roles[:-1]) + " and " + roles[-1]


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            "the network's library of toolkits, guides and links, by career stage and topic; coordinators add "
            "and curate it",
            "resources [STAGE] [TOPIC] | resources add | resources edit|feature|retire|restore N",
            start,
            keeps_dialog=True,  # reading the library leaves a question in progress open
            serves=lambda program: program.resources is not None,
        )
    )
    registry.add_dialog(ResourcesDialog())
