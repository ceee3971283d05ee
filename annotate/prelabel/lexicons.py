"""The pre-annotator's word lists: plain Python data, reviewed by hand.

As spaCy keeps ``lang/en/stop_words.py``, the lexicons are a module of their own, apart from the
rules that compile them (``annotate.prelabel.rules``): a reviewer reads and edits the words here,
the matching there. Each list's comment says how the rules use it. Change a list and bump
``RULES_VERSION`` (``rules.py``): predictions made by different rules never mix.
"""

# Lexicons are laid out by hand, several terms a line: keep the formatter off them.
# fmt: off

# Weapons, singular; plurals are generated (see rules._plural).  A hyphen also matches a space.
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

# Lower-case words allowed inside a place name: "Ras al-Ain", "Deir ez-Zor", "Kafr el-Sheikh".
PLACE_PARTICLES = frozenset(
    {"al", "el", "ad", "an", "ar", "as", "ash", "at", "az", "ez", "ibn", "bin", "de", "del", "la", "le",
     "du", "da", "di", "van", "von", "au", "aux"}
)

# fmt: on
