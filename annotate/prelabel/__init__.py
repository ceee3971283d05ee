"""Rule-based pre-annotation: suggested spans that annotators correct in Label Studio.

The stage between corpus and tasks, in three layers:

- ``lexicons``: the word lists (weapons, armed groups, people nouns, place words...), plain Python
  data reviewed by hand;
- ``rules``: the lists compiled into regexes and a gazetteer, one function per label, overlaps
  settled: ``prelabel(text)`` and ``RULES_VERSION``;
- ``scoring``: precision, recall and F1 against reference spans: ``evaluate`` and ``score``.

Every public name of the three is importable from ``annotate.prelabel``.
"""

from annotate.prelabel.lexicons import *  # noqa: F403  (every word list, by its own name)
from annotate.prelabel.rules import (  # noqa: F401
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
from annotate.prelabel.scoring import evaluate, score  # noqa: F401
