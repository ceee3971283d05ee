"""Rule-based pre-annotation: suggested spans that annotators correct in Label Studio.

The stage between corpus and tasks, in three layers:

- ``lexicons``: the word lists (weapons, armed groups, people nouns, place words...), plain Python
  data reviewed by hand;
- ``rules``: the lists compiled into regexes and a gazetteer, one function per label, overlaps
  settled: ``prelabel(text)`` and ``RULES_VERSION``;
- ``scoring``: precision, recall and F1 against reference spans: ``evaluate`` and ``score``.

Every public name of the three is importable from ``annotate.prelabel``.
"""

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
from annotate.prelabel.rules import (
    ARMED_GROUP_RE,
    CASUALTY_RE,
    FORCE_PHRASE_RE,
    LABEL_PRIORITY,
    LABELS,
    PLACE_OF_RE,
    PLACE_TYPE_RE,
    RULES_VERSION,
    SPEECH_VERB_RE,
    TARGET_CUE_RE,
    VICTIM_GROUP_RE,
    WEAPON_RE,
    gazetteer,
    prelabel,
    resolve_overlaps,
)
from annotate.prelabel.scoring import evaluate, score

__all__ = [
    "AFFILIATION_SUFFIXES",
    "ARMED_GROUPS",
    "ARMED_GROUP_RE",
    "CASUALTY_MODIFIERS",
    "CASUALTY_RE",
    "DEMONYMS",
    "EXTRA_PLACES",
    "FORCE_MODIFIERS",
    "FORCE_NOUNS",
    "FORCE_NOUNS_NEEDING_MODIFIER",
    "FORCE_PHRASE_RE",
    "GAZETTEER_MIN_CITY_POPULATION",
    "GAZETTEER_STOPLIST",
    "LABELS",
    "LABEL_PRIORITY",
    "MODIFIED_NOUNS",
    "NOT_PLACE_NAME_WORDS",
    "NOT_WEAPON_PHRASES",
    "NUMBER_TENS",
    "NUMBER_UNITS",
    "PEOPLE_NOUNS",
    "PLACE_OF_RE",
    "PLACE_PARTICLES",
    "PLACE_TYPE_NOUNS",
    "PLACE_TYPE_RE",
    "QUALIFIERS",
    "RULES_VERSION",
    "SINGLE_PERSON_FORCE_NOUNS",
    "SPEECH_VERBS",
    "SPEECH_VERB_RE",
    "TARGET_CUES",
    "TARGET_CUE_RE",
    "UNCOUNTABLE_WEAPONS",
    "VAGUE_COUNTS",
    "VICTIM_GROUP_NOUNS",
    "VICTIM_GROUP_RE",
    "WEAPON_RE",
    "WEAPON_TERMS",
    "evaluate",
    "gazetteer",
    "prelabel",
    "resolve_overlaps",
    "score",
]
