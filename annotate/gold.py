"""Settling gold: one set of spans per article from the imported annotations.

``gold(workspace, strategy, min_support)`` reads the submitted annotations and writes
``gold/gold.jsonl`` (shape: ``Workspace.read_gold``). The rules, per article:

- **Annotators** of an article are those with a *submitted* annotation of it whose ``sha256`` is the
  corpus article's. Cancelled annotations are counted, not annotators; an annotation made on another
  text (its ``sha256`` differs) is counted and listed, never mixed in: its offsets point elsewhere.
- **Candidates** are the distinct (start, end, label) marked by any annotator; a candidate's
  *support* is the set of annotators who marked exactly it.
- **Support needed**: ``majority`` (and ``adjudicated``) more than half of the article's annotators,
  or ``--min-support N``; ``unanimous`` all of them. A number above the article's annotator count is
  that count (all of them). An article with one annotator is settled by that annotator: ``single``.
- **Gold**: every candidate with the support needed, unless it is contested (below). Its ``settled``
  says how: ``single`` (one annotator), ``unanimous`` (every annotator), ``majority`` (the support
  needed, not everyone), ``adjudicated`` or ``ground_truth``.
- **Conflicts**, listed with their candidates and support, never dropped:
  1. *overlapping-settled*: two candidates that both have the support needed overlap, and no
     annotator marked both (nested spans one annotator marked together are intended, both gold).
     Under a strict majority this cannot happen — two disjoint majorities do not exist — only with
     a low ``--min-support``. The candidates without support that overlap them join the conflict.
  2. *label*, *boundary*, *label-and-boundary*: a cluster of overlapping candidates, none with the
     support needed and none overlapping a gold span, whose annotators together have it: they agree
     something is there but not what (another label, another extent, or both).
- **Rejected**: a candidate without the support needed that overlaps a gold span (a minority
  reading of a settled one), or lies in a cluster whose annotators together lack the support (a
  lone minority span). Counted, not a conflict. Every candidate is exactly one of gold, rejected,
  in a conflict — or *overridden* when the article is settled by an adjudication or ground truth.
- **Overrides**, whatever the strategy: an adjudicator's decision (``gold/adjudications.jsonl``,
  written by ``annotate.adjudicate``) first, then an annotation marked ``ground_truth`` in Label Studio
  (the newest, if several). The adjudicator comes first because an adjudication is the later,
  dedicated decision, made seeing every annotator's spans, the ground truth one included. The
  article's spans are the decision's (support: the annotators who marked the same span), its
  conflicts none. Both are reported; a decision whose ``sha256`` is not the article's is reported
  and ignored.
- ``adjudicated``: settled as ``majority``, but an article counts as complete only when an
  adjudicator or a ground truth settled it; until then it carries one conflict of kind
  *awaiting-adjudication* over its whole text, so ``adjudicate push`` sends it for review.
- **Document-level choices** (the schema's ``controls``), per control, with the same support needed
  and the same annotators: every annotator answers a control for the whole text, so leaving an option
  unselected is a reading too (as the per-option agreement counts it). *Single choice*: the readings
  are each option and "nothing chosen"; the one with the support needed is gold; none with it, or two
  options with it (a low ``--min-support``), is a conflict of kind *choice*. *Multiple choice and
  taxonomy*: each option (a taxonomy node by its path) is present when selected by the support
  needed, else absent when left unselected by the support needed, else undecided: the control's
  undecided options are one *choice* conflict (a tie, 1 against 1 or 2 against 2, is one). Overrides
  as for spans: an adjudication's choices (when it has them), else a ground truth annotation's.

Grouping: the annotation file is not sorted by article. One pass keeps, per article and annotator,
a small record (``records.collect_submitted``, the reader agreement uses too: starts, ends and label
codes as ``array('q')``, 24 bytes a span); the corpus then streams by and each article is settled
and written as it passes, in corpus order.
At 10,000 articles x 3 annotators x 20 spans that is about 15 MB of offsets.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from annotate.controls import UNKNOWN_OPTION, SelectionError, check_selection, sorted_values
from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.records import SubmittedAnnotation, collect_submitted, collector_paused, timestamp
from annotate.schema import Control, Schema, load_schema
from annotate.spans import Span, tuple_maker
from annotate.workspace import Workspace, atomic_write, jsonl_writer

STRATEGIES = ("majority", "unanimous", "adjudicated")
SETTLED = ("single", "unanimous", "majority", "adjudicated", "ground_truth")
CANDIDATE_OUTCOMES = ("gold", "rejected", "in_conflicts", "overridden")
RECORD_OUTCOMES = (
    "used", "cancelled", "not_submitted", "superseded", "malformed", "unknown_label",
    "not_in_corpus", "text_changed", "offsets_outside_text",
)  # fmt: skip
AWAITING = "awaiting-adjudication"
CHOICE = "choice"  # the kind of a document-level control's conflict
IN_CONFLICT = "in_conflict"  # a control's count of articles where it is in conflict (its ``settled`` is None)
DIFFER_IN = {"label": "label", "boundary": "extent", "label-and-boundary": "label and extent"}
_LABEL, _SETTLED = operator.itemgetter("label"), operator.itemgetter("settled")


# -- settling the spans of one article --------------------------------------------------------------


class Candidate(NamedTuple):
    """A distinct (start, end, label) and the annotators who marked exactly it."""

    span: Span
    support: frozenset[str]


@dataclass
class Conflict:
    kind: str  # label | boundary | label-and-boundary | overlapping-settled | awaiting-adjudication
    reason: str
    candidates: list[Candidate]
    start: int = 0
    end: int = 0

    def __post_init__(self) -> None:
        if self.candidates and not self.end:
            self.start = min(c.span.start for c in self.candidates)
            self.end = max(c.span.end for c in self.candidates)


@dataclass
class Settlement:
    gold: list[Candidate]
    rejected: list[Candidate]
    conflicts: list[Conflict]
    candidates: list[Candidate] = field(default_factory=list)  # every distinct span, as ``candidates`` gives


def candidates(marks: Mapping[str, Iterable[Span]]) -> list[Candidate]:
    """The distinct spans of all annotators with their support, sorted by start, end, label."""
    support: dict[Span, list[str]] = {}  # an annotator twice when they marked a span twice: once in its frozenset
    for annotator, spans in marks.items():
        for span in spans:
            support.setdefault(span if type(span) is Span else Span(*span), []).append(annotator)
    distinct = sorted(support)
    # Candidate(span, support) for each, made in C (``tuple_maker``).
    return list(map(_new_candidate, zip(distinct, map(frozenset, map(support.__getitem__, distinct)), strict=True)))


_new_candidate = tuple_maker(Candidate)


def settle_spans(marks: Mapping[str, Iterable[Span]], needed: int) -> Settlement:
    """Settle one article's spans: ``marks`` maps each annotator to the spans they marked, ``needed``
    is the support a span needs (see the module docstring for the rules)."""
    found = candidates(marks)
    passed = [len(c.support) >= needed for c in found]
    pairs = _overlapping_pairs(found)
    groups = _UnionFind(len(found))
    contested: set[int] = set()
    for i, j in pairs:
        if passed[i] and passed[j] and not found[i].support & found[j].support:
            groups.union(i, j)
            contested |= {i, j}
    beside_gold: set[int] = set()
    attached: set[int] = set()
    for i, j in pairs:
        for a, b in ((i, j), (j, i)):
            if passed[a] and not passed[b]:
                if a in contested:
                    groups.union(a, b)
                    attached.add(b)
                else:
                    beside_gold.add(b)
    free = [i for i in range(len(found)) if not passed[i] and i not in attached and i not in beside_gold]
    free_set = set(free)
    joined = contested | attached  # the candidates in a cluster with another
    for i, j in pairs:
        if i in free_set and j in free_set:
            groups.union(i, j)
            joined |= {i, j}
    settlement = Settlement(
        gold=[c for i, c in enumerate(found) if passed[i] and i not in contested],
        # A free candidate in no cluster with another lacks the support needed on its own: rejected.
        rejected=[found[i] for i in sorted(beside_gold - attached)] + [found[i] for i in free if i not in joined],
        conflicts=[],
        candidates=found,
    )
    annotators = len(marks)
    for members in groups.components(joined):
        cluster = [found[i] for i in members]
        if any(i in contested for i in members):
            reason = (
                f"overlapping spans each have the {needed} of {annotators} annotators needed, "
                "and no annotator marked both"
            )
            settlement.conflicts.append(Conflict("overlapping-settled", reason, cluster))
            continue
        who = frozenset().union(*(c.support for c in cluster))
        if len(who) >= needed:
            kind = _disagreement(cluster)
            reason = (
                f"{len(who)} of {annotators} annotators marked something here, but no span has the "
                f"{needed} needed: they differ in {DIFFER_IN[kind]}"
            )
            settlement.conflicts.append(Conflict(kind, reason, cluster))
        else:
            settlement.rejected.extend(cluster)
    settlement.rejected.sort()
    settlement.conflicts.sort(key=lambda conflict: (conflict.start, conflict.end))
    return settlement


def _overlapping_pairs(found: list[Candidate]) -> list[tuple[int, int]]:
    """Index pairs of overlapping candidates (sorted by start): a sweep, not all pairs, from the candidates
    that overlap the next one (the others, most of them, overlap none after them; picked in C)."""
    starts = [c.span.start for c in found]
    ends = [c.span.end for c in found]
    pairs = []
    for i in itertools.compress(range(len(found)), map(operator.lt, starts[1:], ends)):
        end = ends[i]
        for j in range(i + 1, len(found)):
            if starts[j] >= end:
                break
            pairs.append((i, j))
    return pairs


def _disagreement(cluster: list[Candidate]) -> str:
    if len({(c.span.start, c.span.end) for c in cluster}) == 1:
        return "label"
    if len({c.span.label for c in cluster}) == 1:
        return "boundary"
    return "label-and-boundary"


class _UnionFind:
    def __init__(self, size: int):
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)

    def components(self, members: Iterable[int]) -> list[list[int]]:
        grouped: dict[int, list[int]] = defaultdict(list)
        for i in sorted(set(members)):
            grouped[self.find(i)].append(i)
        return list(grouped.values())


def support_needed(strategy: str, annotators: int, min_support: int | None = None) -> int:
    """How many of an article's ``annotators`` a span needs under ``strategy``."""
    if strategy == "unanimous":
        return annotators
    return min(min_support or annotators // 2 + 1, annotators)


def settled_kind(support: int, annotators: int) -> str:
    if annotators == 1:
        return "single"
    return "unanimous" if support == annotators else "majority"


# -- settling the document-level choices of one article ------------------------------------------------


@dataclass
class ChoiceSettlement:
    """One control of one article: the options settled present, how, who chose what, and the conflict."""

    value: list[str]  # the options settled present, in the control's order
    settled: str | None  # single | unanimous | majority (the weakest reading it took); None: in conflict
    support: dict[str, list[str]]  # option -> the annotators who selected it (options someone selected)
    conflict: str | None = None  # why it is in conflict (its kind is ``CHOICE``)
    options: list[str] = field(default_factory=list)  # the options the conflict is about


def choice_support(control: Control, selections: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Option -> the annotators who selected it, for the options anyone selected, in the control's order."""
    chosen: dict[str, list[str]] = defaultdict(list)
    for annotator in sorted(selections):
        for option in set(selections[annotator]):
            chosen[option].append(annotator)
    return {option: chosen[option] for option in control.option_names if option in chosen}


def settle_choices(control: Control, selections: Mapping[str, Iterable[str]], needed: int) -> ChoiceSettlement:
    """Settle one control of one article: ``selections`` maps each annotator to the options they selected
    (nothing selected is a reading too), ``needed`` is the support a reading needs (module docstring)."""
    annotators = len(selections)
    support = choice_support(control, selections)
    if control.multiple:
        return _settle_options(control, support, annotators, needed)
    return _settle_single(control, support, annotators, needed)


def _settle_single(control: Control, support: dict[str, list[str]], annotators: int, needed: int) -> ChoiceSettlement:
    winners = [option for option, who in support.items() if len(who) >= needed]
    nothing = annotators - len({annotator for who in support.values() for annotator in who})
    if len(winners) == 1:
        return ChoiceSettlement(winners, settled_kind(len(support[winners[0]]), annotators), support)
    if not winners and nothing >= needed:
        return ChoiceSettlement([], settled_kind(nothing, annotators), support)
    readings = [f"{option!r} {len(who)}" for option, who in support.items()]
    readings += [f"nothing {nothing}"] if nothing else []
    if winners:
        reason = f"options {', '.join(map(repr, winners))} of '{control.name}' each have the {needed} needed"
    else:
        reason = f"no choice in '{control.name}' has the {needed} of {annotators} annotators needed"
    return ChoiceSettlement([], None, support, f"{reason}: {', '.join(readings)}", list(support))


def _settle_options(control: Control, support: dict[str, list[str]], annotators: int, needed: int) -> ChoiceSettlement:
    value, undecided, unanimous = [], [], True
    for option in control.option_names:
        selected = len(support.get(option, ()))
        if selected >= needed:
            value.append(option)
            unanimous &= selected == annotators
        elif annotators - selected >= needed:
            unanimous &= selected == 0
        else:
            undecided.append(option)
    if not undecided:
        return ChoiceSettlement(value, settled_kind(annotators if unanimous else 0, annotators), support)
    readings = ", ".join(f"{option!r} {len(support[option])}" for option in undecided)
    reason = (
        f"neither selecting nor leaving {'this option' if len(undecided) == 1 else 'these options'} of "
        f"'{control.name}' has the {needed} of {annotators} annotators needed: selected by {readings}"
    )
    return ChoiceSettlement(value, None, support, reason, undecided)


# -- the stage --------------------------------------------------------------------------------------


@dataclass
class GoldSummary:
    strategy: str
    min_support: int | None
    path: str = ""
    articles: int = 0  # gold records written
    complete: int = 0
    with_conflicts: int = 0
    conflicts: int = 0
    conflicts_per_kind: Counter[str] = field(default_factory=Counter)
    awaiting_adjudication: int = 0
    settled_by: Counter[str] = field(default_factory=Counter)  # articles, by how they were settled
    spans_per_label: Counter[str] = field(default_factory=Counter)
    spans_per_settled: Counter[str] = field(default_factory=lambda: Counter(dict.fromkeys(SETTLED, 0)))
    candidates: Counter[str] = field(default_factory=lambda: Counter(dict.fromkeys(CANDIDATE_OUTCOMES, 0)))
    records: Counter[str] = field(default_factory=Counter)  # annotation records read, by outcome
    text_changed: list[str] = field(default_factory=list)  # "article X by ann-02"
    problems: list[str] = field(default_factory=list)  # records left out as malformed, and why
    ground_truth: list[str] = field(default_factory=list)  # articles settled by a ground_truth annotation
    ground_truth_overruled: list[str] = field(default_factory=list)  # ... that an adjudication settled instead
    adjudicated: list[str] = field(default_factory=list)  # articles settled by an adjudication
    adjudications_ignored: list[str] = field(default_factory=list)
    per_round: dict[str, Counter[str]] = field(default_factory=dict)  # round -> articles, complete, with_conflicts
    # Document-level controls (none: the schema has no controls, and the report has no "choices").
    controls: list[str] = field(default_factory=list)
    choices_settled: dict[str, Counter[str]] = field(default_factory=dict)  # control -> articles by settled
    choice_values: dict[str, Counter[str]] = field(default_factory=dict)  # control -> articles by option settled

    def count_round(self, names: Iterable[str], record: dict[str, Any]) -> None:
        for name in names:
            counts = self.per_round.setdefault(name, Counter(articles=0, complete=0, with_conflicts=0))
            counts["articles"] += 1
            counts["with_conflicts" if record["conflicts"] else "complete"] += 1

    @property
    def balanced(self) -> bool:
        """Every record read is counted once; every candidate has one outcome; spans add up."""
        records_ok = sum(self.records[k] for k in RECORD_OUTCOMES) == self.records["read"]
        strategy_spans = sum(self.spans_per_settled[k] for k in ("single", "unanimous", "majority"))
        spans_ok = sum(self.spans_per_label.values()) == sum(self.spans_per_settled.values())
        choices_ok = all(sum(self.choices_settled[name].values()) == self.articles for name in self.controls)
        return records_ok and spans_ok and choices_ok and strategy_spans == self.candidates["gold"]

    def choices_dict(self) -> dict[str, Any]:
        """Per control: articles by how it was settled (``in_conflict``: not settled) and by option settled."""
        return {
            name: {
                "settled": {kind: self.choices_settled[name][kind] for kind in SETTLED},
                "in_conflict": self.choices_settled[name][IN_CONFLICT],
                "values": dict(self.choice_values[name]),
            }
            for name in self.controls
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "min_support": self.min_support,
            "gold": self.path,
            "articles": {
                "settled": self.articles,
                "complete": self.complete,
                "with_conflicts": self.with_conflicts,
                "awaiting_adjudication": self.awaiting_adjudication,
                "settled_by": dict(sorted(self.settled_by.items())),
            },
            "conflicts": self.conflicts,
            "conflicts_per_kind": dict(sorted(self.conflicts_per_kind.items())),
            "spans": sum(self.spans_per_label.values()),
            "spans_per_label": dict(self.spans_per_label),
            "spans_per_settled": dict(self.spans_per_settled),
            "candidates": {"total": sum(self.candidates.values()), **self.candidates},
            "records": {"read": self.records["read"], **{k: self.records[k] for k in RECORD_OUTCOMES}},
            "text_changed": self.text_changed,
            "problems": self.problems,
            "ground_truth": self.ground_truth,
            "ground_truth_overruled_by_adjudication": self.ground_truth_overruled,
            "adjudicated": self.adjudicated,
            "adjudications_ignored": self.adjudications_ignored,
            "per_round": {name: dict(counts) for name, counts in self.per_round.items()},
            **({"choices": self.choices_dict()} if self.controls else {}),
            "balanced": self.balanced,
        }


def check_options(strategy: str, min_support: int | None) -> None:
    if strategy not in STRATEGIES:
        raise AnnotateError(
            Messages.GOLD_UNKNOWN_STRATEGY, ExitCode.USAGE, strategy=strategy, known=", ".join(STRATEGIES)
        )
    if min_support is not None and (
        isinstance(min_support, bool) or not isinstance(min_support, int) or min_support < 1
    ):
        raise AnnotateError(Messages.GOLD_BAD_MIN_SUPPORT, ExitCode.USAGE, value=min_support)
    if min_support is not None and strategy == "unanimous":
        raise AnnotateError(Messages.GOLD_MIN_SUPPORT_UNANIMOUS, ExitCode.USAGE)


def gold(
    workspace: Workspace,
    strategy: str = "majority",
    min_support: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> GoldSummary:
    """Settle one set of spans per article and write ``gold/gold.jsonl`` (rules: module docstring).

    ``progress(1)`` hears of each article written.
    """
    check_options(strategy, min_support)
    schema = load_schema(workspace.schema_path)
    where = workspace.relative(workspace.annotations_path)
    if not workspace.annotations_path.exists():
        raise AnnotateError(Messages.AGREEMENT_NO_ANNOTATIONS, path=where)
    summary = GoldSummary(strategy, min_support, path=workspace.relative(workspace.gold_path))
    summary.spans_per_label.update(dict.fromkeys(schema.label_names, 0))
    for control in schema.controls:
        summary.controls.append(control.name)
        summary.choices_settled[control.name] = Counter()
        summary.choice_values[control.name] = Counter(dict.fromkeys(control.option_names, 0))
    labels = list(schema.label_names)
    with collector_paused():  # each article's records are let go as it is settled (see ``collector_paused``)
        by_article = _collect(workspace.read_annotations(), labels, summary, summary.controls)
        if summary.records["read"] == 0:
            raise AnnotateError(Messages.AGREEMENT_NO_ANNOTATIONS, path=where)
        decisions = {record["article_id"]: record for record in workspace.read_adjudications()}
        _settle_corpus(workspace, by_article, decisions, _Settler(strategy, min_support, schema, summary), progress)
    for article_id, left in by_article.items():
        summary.records["not_in_corpus"] += len(left)
        summary.problems.append(f"article {article_id}: {len(left)} annotation(s) of an article not in the corpus")
    for article_id in decisions:
        summary.adjudications_ignored.append(f"article {article_id}: not in the corpus; ignored")
    return summary


def _settle_corpus(
    workspace: Workspace,
    by_article: dict[str, dict[str, SubmittedAnnotation]],
    decisions: dict[str, dict[str, Any]],
    settler: _Settler,
    progress: Callable[[int], None] | None,
) -> None:
    """Settle and write each article with records or a decision, in corpus order, taking its records and
    decision out of ``by_article`` and ``decisions`` (what is left there is not in the corpus)."""
    summary, rounds = settler.summary, workspace.rounds_of_articles()
    with atomic_write(workspace.gold_path, "wb") as out:
        writer = jsonl_writer(out)
        for article in workspace.read_articles():
            marks, decision = by_article.pop(article["id"], {}), decisions.pop(article["id"], None)
            if not marks and decision is None:
                continue
            record = settler.article(article, marks, decision)
            if record is not None:
                writer.write(record)
                summary.count_round(rounds.get(article["id"], ()), record)
                if progress:
                    progress(1)


def _collect(
    annotations: Iterable[Any], labels: list[str], summary: GoldSummary, controls: list[str]
) -> dict[str, dict[str, SubmittedAnnotation]]:
    """Submitted records by article and annotator (two for one key: the last updated wins), counted."""
    found = collect_submitted(annotations, labels, controls)
    summary.records["read"] += found.records
    summary.records.update(found.left_out)
    for line, reason in found.problems:
        summary.problems.append(f"annotation record {line}: {reason.replace('_', ' ')}; left out")
    return found.by_article


class _Settler:
    """Settles one article at a time into its gold record, counting into the summary."""

    def __init__(self, strategy: str, min_support: int | None, schema: Schema, summary: GoldSummary):
        self.strategy = strategy
        self.min_support = min_support
        self.labels = list(schema.label_names)
        self.controls = schema.controls
        self.summary = summary

    def article(
        self, article: dict[str, Any], found: dict[str, SubmittedAnnotation], decision: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        text, summary = article["text"], self.summary
        marks: dict[str, list[Span]] = {}
        selections: dict[str, dict[str, tuple[str, ...]]] = {}  # annotator -> control -> options selected
        ground_truth: tuple[str, str] | None = None  # (updated_at, annotator) of the newest
        for annotator, record in sorted(found.items()):
            if record.sha256 != article["sha256"]:
                summary.records["text_changed"] += 1
                summary.text_changed.append(f"article {article['id']} by {annotator}")
                continue
            if not record.fits(len(text)):
                summary.records["offsets_outside_text"] += 1
                summary.problems.append(
                    f"annotation record {record.line} (article {article['id']} by {annotator}): "
                    f"offsets outside the text (0-{len(text)}); left out"
                )
                continue
            problem = self._choice_problem(record)
            if problem is not None:
                summary.records[problem[0]] += 1
                summary.problems.append(
                    f"annotation record {record.line} (article {article['id']} by {annotator}): {problem[1]}; left out"
                )
                continue
            summary.records["used"] += 1
            marks[annotator] = record.spans(self.labels)
            selections[annotator] = record.choices or {}
            if record.ground_truth:
                stamp = (timestamp(record.updated), annotator)
                ground_truth = max(ground_truth, stamp) if ground_truth else stamp
        decision = self._valid_decision(article, decision)
        if not marks and decision is None:
            return None
        needed = support_needed(self.strategy, len(marks), self.min_support)
        settlement = settle_spans(marks, needed)
        found_candidates = settlement.candidates
        record = {
            "article_id": article["id"],
            "sha256": article["sha256"],
            "strategy": self.strategy,
            "min_support": self.min_support,
            "support_needed": needed if marks else None,
            "settled_by": None,
            "decided_by": None,
            "annotators": sorted(marks),
            "spans": [],
            "conflicts": [],
        }
        choice_conflicts: list[dict[str, Any]] = []
        if self.controls:
            choices, choice_conflicts = self._choices(selections, needed, decision, ground_truth and ground_truth[1])
            record["choices"] = choices
            record["conflicts"] = record.pop("conflicts")  # "choices" before "conflicts", as the docs show
        if decision is not None or ground_truth is not None:
            self._override(record, text, found_candidates, decision, ground_truth and ground_truth[1], marks)
        else:
            self._by_strategy(record, text, marks, settlement, found_candidates, choice_conflicts)
        self._count(record)
        return record

    def _choice_problem(self, record: SubmittedAnnotation) -> tuple[str, str] | None:
        """Why a record's choices cannot be used (an option the control lacks, two in a single choice), or None."""
        for control in self.controls:
            try:
                check_selection(control, (record.choices or {}).get(control.name, ()))
            except SelectionError as problem:
                return ("unknown_label" if problem.kind == UNKNOWN_OPTION else "malformed"), str(problem)
        return None

    def _choices(
        self,
        selections: dict[str, dict[str, tuple[str, ...]]],
        needed: int,
        decision: dict[str, Any] | None,
        ground_truth: str | None,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Each control settled, ``{control: {value, settled, support}}``, and the conflicts of those in conflict.

        An adjudication settles every control (one it lacks: nothing chosen), else a ground truth does."""
        found: dict[str, Any] = {}
        conflicts: list[dict[str, Any]] = []
        for control in self.controls:
            settled = settle_choices(control, {who: chosen[control.name] for who, chosen in selections.items()}, needed)
            entry: dict[str, Any] = {"value": settled.value, "settled": settled.settled, "support": settled.support}
            if decision is not None:
                chosen = (decision.get("choices") or {}).get(control.name) or []
                entry["value"], entry["settled"] = sorted_values(chosen, control), "adjudicated"
            elif ground_truth is not None:
                entry["value"] = sorted_values(selections[ground_truth][control.name], control)
                entry["settled"] = "ground_truth"
            elif settled.conflict is not None:
                conflicts.append(_choice_conflict_entry(control.name, settled))
            found[control.name] = entry
        return found, conflicts

    def _valid_decision(self, article: dict[str, Any], decision: dict[str, Any] | None) -> dict[str, Any] | None:
        if decision is None:
            return None
        if decision.get("sha256") != article["sha256"]:
            self.summary.adjudications_ignored.append(
                f"article {article['id']}: adjudicated on another text (its sha256 differs); ignored"
            )
            return None
        spans = decision.get("spans")
        text = article["text"]
        try:
            valid = all(0 <= s["start"] < s["end"] <= len(text) and s["label"] in self.labels for s in spans)
        except (TypeError, KeyError):
            valid = False
        valid = valid and self._decided_choices_fit(decision.get("choices"))
        if not valid:
            self.summary.adjudications_ignored.append(
                f"article {article['id']}: the adjudication's spans do not fit the article (damaged file?); ignored"
            )
            return None
        return decision

    def _decided_choices_fit(self, choices: Any) -> bool:
        """Whether an adjudication's ``choices`` (if any) name only the controls' options, one in a single choice."""
        if choices is None:
            return True
        if not isinstance(choices, dict):
            return False
        try:
            for control in self.controls:
                check_selection(control, choices.get(control.name) or [])
        except SelectionError:
            return False
        return True

    def _override(
        self,
        record: dict[str, Any],
        text: str,
        found: list[Candidate],
        decision: dict[str, Any] | None,
        ground_truth: str | None,
        marks: dict[str, list[Span]],
    ) -> None:
        support = {c.span: c.support for c in found}
        if decision is not None:
            kind, decided_by = "adjudicated", decision.get("adjudicator")
            spans = sorted({Span(s["start"], s["end"], s["label"]) for s in decision["spans"]})
            self.summary.adjudicated.append(record["article_id"])
            if ground_truth is not None:
                self.summary.ground_truth_overruled.append(record["article_id"])
        else:
            kind, decided_by = "ground_truth", ground_truth
            spans = sorted(set(marks[ground_truth]))
            self.summary.ground_truth.append(record["article_id"])
        record["settled_by"], record["decided_by"] = kind, decided_by
        record["spans"] = [_span_entry(s, text, kind, support.get(s, ())) for s in spans]
        self.summary.candidates["overridden"] += len(found)

    def _by_strategy(
        self,
        record: dict[str, Any],
        text: str,
        marks: dict[str, list[Span]],
        settlement: Settlement,
        found: list[Candidate],
        choice_conflicts: list[dict[str, Any]],
    ) -> None:
        annotators = len(marks)
        record["settled_by"] = (
            "single" if annotators == 1 else "unanimous" if self.strategy == "unanimous" else "majority"
        )
        # ``_span_entry``'s entries, made inline (the gold spans of 10,000 articles are 125,000 calls).
        kind = [settled_kind(support, annotators) for support in range(annotators + 1)]
        record["spans"] = [
            {
                "start": start,
                "end": end,
                "label": label,
                "text": text[start:end],
                "settled": kind[len(support)],
                "support": sorted(support),
            }
            for (start, end, label), support in settlement.gold
        ]
        record["conflicts"] = [_conflict_entry(conflict, text) for conflict in settlement.conflicts]
        record["conflicts"] += choice_conflicts
        if self.strategy == "adjudicated":
            reason = "the adjudicated strategy counts an article only once an adjudicator or a ground truth settled it"
            record["conflicts"].append(_conflict_entry(Conflict(AWAITING, reason, found, 0, len(text)), text))
            self.summary.awaiting_adjudication += 1
        self.summary.candidates["gold"] += len(settlement.gold)
        self.summary.candidates["rejected"] += len(settlement.rejected)
        self.summary.candidates["in_conflicts"] += sum(len(c.candidates) for c in settlement.conflicts)

    def _count(self, record: dict[str, Any]) -> None:
        summary = self.summary
        summary.articles += 1
        summary.settled_by[record["settled_by"]] += 1
        summary.spans_per_label.update(map(_LABEL, record["spans"]))
        summary.spans_per_settled.update(map(_SETTLED, record["spans"]))
        for name, entry in record.get("choices", {}).items():
            summary.choices_settled[name][entry["settled"] or IN_CONFLICT] += 1
            summary.choice_values[name].update(entry["value"])
        if record["conflicts"]:
            summary.with_conflicts += 1
            summary.conflicts += len(record["conflicts"])
            summary.conflicts_per_kind.update(conflict["kind"] for conflict in record["conflicts"])
        else:
            summary.complete += 1


def _span_entry(span: Span, text: str, settled: str, support: Iterable[str]) -> dict[str, Any]:
    return {
        "start": span.start,
        "end": span.end,
        "label": span.label,
        "text": span.text_in(text),
        "settled": settled,
        "support": sorted(support),
    }


def _conflict_entry(conflict: Conflict, text: str) -> dict[str, Any]:
    return {
        "start": conflict.start,
        "end": conflict.end,
        "kind": conflict.kind,
        "reason": conflict.reason,
        "candidates": [
            {
                "start": c.span.start,
                "end": c.span.end,
                "label": c.span.label,
                "text": c.span.text_in(text),
                "support": sorted(c.support),
            }
            for c in conflict.candidates
        ],
    }


def settled_options(record: dict[str, Any], controls: Iterable[str]) -> dict[str, list[str]]:
    """A gold record's settled options per control (``choices.<control>.value``), for the stages that read
    gold; ``KeyError(control)`` when the record was settled before the schema had that control."""
    settled = record.get("choices") or {}
    found = {}
    for name in controls:
        entry = settled.get(name)
        if not isinstance(entry, dict):
            raise KeyError(name)
        found[name] = list(entry.get("value") or [])
    return found


def _choice_conflict_entry(control: str, settled: ChoiceSettlement) -> dict[str, Any]:
    """A control's conflict: the options in question and who selected each (the others selected none)."""
    return {
        "control": control,
        "kind": CHOICE,
        "reason": settled.conflict,
        "candidates": [{"option": option, "support": settled.support.get(option, [])} for option in settled.options],
    }
