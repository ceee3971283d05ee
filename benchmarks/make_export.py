"""Write a large synthetic Label Studio JSON export, for benchmarks of importing and agreement.

Short conflict reports (600-1,200 characters) are built from sentence templates whose entity slots
are known, so each report comes with its true spans; then every simulated annotator of
``scripts/simulation.py`` marks them with its own seeded noise, exactly as for the committed sample
in ``corpus/simulated/``. Names and places include non-ASCII letters, some non-Latin script and, now
and then, an emoji. About one annotation in 200 is cancelled (skipped). The file is streamed to disk
task by task: memory stays flat whatever ``--tasks``.

By default the bytes are Label Studio's own (``json.dumps(tasks, ensure_ascii=False)``: one line).
SYNTHETIC data: the reports are invented, the annotators simulated. Keep outputs out of git.

    python benchmarks/make_export.py                          # 10,000 tasks x 3 annotators, in the temp folder
    python benchmarks/make_export.py --tasks 50 --annotators 2 /tmp/small.json --completed-by int
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from simulation import ExportWriter, Simulation, make_annotators, rng_for

from annotate.corpus import make_article, normalise_text
from annotate.spans import Span
from annotate.tasks import article_task

# Slots: {A} actor, {W} a fired weapon, {Wu} a weapon used at close range, {Wn} a weapon as a
# modifier ("drone attack"), {Cp} plural casualty, {Cs} singular casualty, {L}/{L2} location, {S} a
# source (never a span: what annotators mark by mistake), {D} a day (never a span).
TEMPLATES = (
    "{A} fired {W} at {L} on {D}, killing {Cp}, {S} said.",
    "{Cp} were killed and {Cp} wounded when {W} hit a market in {L}.",
    "{S} said {A} used {Wu} in the attack near {L}.",
    "The attack came two days after {A} ambushed a convoy outside {L2}, killing {Cp}.",
    "Residents of {L} said they heard several explosions before dawn.",
    "{Cs} was shot dead by {A} at a checkpoint in {L} on {D}.",
    "{A} denied involvement, but {S} blamed {A} for the {Wn} attack.",
    "Hospital officials in {L} said {Cp} were being treated for shrapnel wounds.",
    "No group has claimed responsibility for the {Wn} attack in {L}.",
    "{W} launched by {A} struck a residential building in {L}, wounding {Cp}, according to {S}.",
    "The {D} attack was the deadliest in {L} since {A} seized the area last year.",
    "Aid groups said thousands of families had fled {L} since the fighting began.",
    "{S} said {Cs} had been abducted by {A} on the road to {L2}.",
    "{A} attacked {Cp} with {Wu} in the village of {L} late on {D}.",
)
# Sentences with no entity, as a report has between its facts: three sentences in five.
FILLERS = (
    "The situation remained tense on {D} evening, {S} said.",
    "Schools and shops stayed closed for a second day.",
    "Humanitarian agencies warned that access to the area remained limited.",
    "{S} said an investigation was under way.",
    "It was not immediately possible to verify the figures independently.",
    "The government did not respond to a request for comment.",
    "Mobile phone networks were cut for several hours, making it hard to reach people in the area.",
    "Funerals were held on {D} afternoon, {S} said.",
    "A curfew was imposed from dusk until dawn.",
    "Roads into the area were blocked and several families were seen leaving on foot.",
)
ACTORS = (
    "government forces", "Islamic State militants", "al-Shabaab fighters", "Houthi rebels", "RSF paramilitaries",
    "Boko Haram fighters", "unidentified gunmen", "Russian forces", "ELN guerrillas", "M23 rebels", "Taliban fighters",
    "army troops", "JNIM militants", "armed men", "a suicide bomber", "Wagner mercenaries", "police officers",
)  # fmt: skip
FIRED_WEAPONS = (
    "drones", "a drone", "mortar shells", "artillery shells", "rockets", "Grad rockets", "cruise missiles",
    "a missile", "rocket-propelled grenades", "Shahed drones",
)  # fmt: skip
USED_WEAPONS = (
    "AK-47 rifles", "machetes", "grenades", "an improvised explosive device", "a car bomb", "assault rifles",
    "explosives", "a roadside bomb", "knives",
)  # fmt: skip
WEAPON_MODIFIERS = ("drone", "mortar", "rocket", "car bomb", "grenade", "missile", "artillery", "air")
PLURAL_CASUALTIES = (
    "{n} civilians", "at least {n} people", "{n} soldiers", "two children", "several farmers", "{n} villagers",
    "{n} police officers", "three aid workers", "{n} worshippers", "dozens of displaced people",
)  # fmt: skip
SINGULAR_CASUALTIES = (
    "a police officer", "a 12-year-old girl", "a local journalist", "a taxi driver", "a village chief",
    "Abdoulaye Traoré", "José Núñez", "Ayşe Yılmaz", "Nguyễn Văn An", "Aïcha Maïga", "Oleksandr Kovalenko",
    "Mohammed al-Hashimi", "Gökhan Öztürk", "Ñusta Quispe", "Thérèse Mbuyi",
)  # fmt: skip
LOCATIONS = (
    "Ségou", "Cúcuta", "Tillabéri", "Diyarbakır", "Ağdam", "Culiacán", "Bogotá", "Ménaka", "Gao", "Kidal", "Mekelle",
    "Nyala", "El Fasher", "Kharkiv", "Zaporizhzhia", "Hodeidah", "Marib", "Idlib", "Mosul", "Kirkuk", "Beni", "Goma",
    "Bunia", "Maiduguri", "Mogadishu", "Kismayo", "Djibo", "Kaya", "Pemba", "Mocímboa da Praia", "Port-au-Prince",
    "Quibdó", "Tumaco", "Lashio", "Myitkyina", "Khan Younis", "Rafah", "Nabatieh", "Batken", "Quetta", "Srinagar",
    "Marawi", "Narathiwat", "Guayaquil", "São Félix do Xingu", "Харків", "دير الزور",
)  # fmt: skip
SOURCES = (
    "local officials", "police", "a military spokesperson", "the regional governor", "witnesses", "hospital officials",
    "residents", "the health ministry", "a security source",
)  # fmt: skip
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EMOJI = ("📍", "🔴", "⚠️")
_SLOT = re.compile(r"\{(\w+)\}")
_LABELS = {"A": "actor", "W": "weapon", "Wu": "weapon", "Wn": "weapon", "Cp": "casualty", "Cs": "casualty"}
_LABELS.update(L="location", L2="location")
# Each template, split once into literal text and slot names.
_PARSED = tuple(tuple(_SLOT.split(template)) for template in TEMPLATES)
_PARSED_FILLERS = tuple(tuple(_SLOT.split(template)) for template in FILLERS)


def _fill(slot: str, rng: random.Random) -> str:
    if slot == "A":
        return rng.choice(ACTORS)
    if slot == "W":
        return rng.choice(FIRED_WEAPONS)
    if slot == "Wu":
        return rng.choice(USED_WEAPONS)
    if slot == "Wn":
        return rng.choice(WEAPON_MODIFIERS)
    if slot == "Cp":
        return rng.choice(PLURAL_CASUALTIES).format(n=rng.randint(3, 40))
    if slot == "Cs":
        return rng.choice(SINGULAR_CASUALTIES)
    if slot in ("L", "L2"):
        return rng.choice(LOCATIONS)
    if slot == "S":
        return rng.choice(SOURCES)
    return rng.choice(DAYS)


def sentence(rng: random.Random, offset: int) -> tuple[str, list[Span]]:
    """One filled template, and its spans with offsets counted from ``offset``."""
    templates = _PARSED_FILLERS if rng.random() < 0.6 else _PARSED
    pieces = templates[rng.randrange(len(templates))]
    text, spans = "", []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            text += piece
            continue
        value = _fill(piece, rng)
        if not text:  # the sentence starts with this slot
            value = value[0].upper() + value[1:]
        if piece in _LABELS:
            if rng.random() < 0.005:  # an emoji before a mention, as in some posts quoted by wire reports
                text += rng.choice(EMOJI) + " "
            spans.append(Span(offset + len(text), offset + len(text) + len(value), _LABELS[piece]))
        text += value
    return text, spans


def report(number: int, rng: random.Random) -> tuple[str, str, list[Span]]:
    """A short synthetic conflict report: title, text (600-1,200 characters) and its true spans."""
    target = rng.randint(600, 1150)
    text, spans = "", []
    while len(text) < target:
        separator = "" if not text else ("\n" if rng.random() < 0.25 else " ")
        piece, piece_spans = sentence(rng, len(text) + len(separator))
        if len(text) + len(separator) + len(piece) > 1200 and len(text) >= 600:
            break
        text += separator + piece
        spans.extend(piece_spans)
    place = next((text[span.start : span.end] for span in spans if span.label == "location"), "the region")
    return f"Report {number}: violence in {place}", text, spans


def write_export(
    out: Path,
    tasks: int = 10_000,
    annotators: int = 3,
    seed: int = 7,
    completed_by: str = "object",
    indent: int | None = None,
) -> dict[str, int]:
    """Stream the export to ``out``; return counts of tasks, annotations, cancelled ones and regions."""
    people = make_annotators(annotators)
    simulation = Simulation(seed, people, completed_by=completed_by)
    counts = {"tasks": 0, "annotations": 0, "cancelled": 0, "regions": 0}
    with out.open("w", encoding="utf-8", newline="\n") as stream, ExportWriter(stream, indent=indent) as writer:
        for task_id in range(1, tasks + 1):
            rng = rng_for(seed, "report", task_id)
            title, text, spans = report(task_id, rng)
            assert text == normalise_text(text), "templates must give stored (normalised) text"
            data = article_task(make_article({"title": title, "text": text}))["data"]
            cancel = [person.user_id for person in people if rng.random() < 0.005]
            task, _noise = simulation.task(task_id, data, spans, cancel=cancel)
            writer.write(task)
            counts["tasks"] += 1
            counts["annotations"] += len(task["annotations"])
            counts["cancelled"] += task["cancelled_annotations"]
            counts["regions"] += sum(len(item["result"]) for item in task["annotations"])
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help="file to write (default: in the temp folder)")
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks (articles) in the export (default 10000)")
    parser.add_argument("--annotators", type=int, default=3, help="annotators per task (default 3)")
    parser.add_argument("--seed", type=int, default=7, help="the seed of every random choice (default 7)")
    parser.add_argument(
        "--completed-by",
        choices=("object", "int"),
        default="object",
        help="the annotator as a user object (CLI/SDK export, default) or a user id (the Export button's JSON)",
    )
    parser.add_argument("--indent", type=int, default=None, help="indent the JSON (default: one line, as Label Studio)")
    options = parser.parse_args()
    if options.tasks < 1 or options.annotators < 1:
        parser.error("--tasks and --annotators must be at least 1")
    out = options.out or Path(tempfile.gettempdir()) / f"annotate-export-{options.tasks}x{options.annotators}.json"
    started = time.perf_counter()
    counts = write_export(out, options.tasks, options.annotators, options.seed, options.completed_by, options.indent)
    seconds = time.perf_counter() - started
    size = out.stat().st_size / 1e6
    print(
        f"{out}: {size:.1f} MB, {counts['tasks']} tasks, {counts['annotations']} annotations "
        f"({counts['cancelled']} cancelled), {counts['regions']} regions in {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
