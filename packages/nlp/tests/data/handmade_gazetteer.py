"""A hand-made gazetteer for the nlp tests of constructions and town slots: a few places
(Washington state and D.C., Peru and its Indiana and Illinois towns, New York and its city,
Georgia and Pennsylvania counties) behind the look-ups candidate generation reads.

Loaded by ``conftest.py`` as the module ``nlp_handmade_gazetteer``."""

from geoarena.nlp.gazetteer import NameMatch, Place
from geoarena.nlp.recognition import Mention
from geoarena.nlp.resolution import ContextResolver


def _span(text, name, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(name, start + 1)
    return start, start + len(name)


def _place(key, kind, lat=0.0, lon=0.0, cc="US", a1="", pop=0):
    return Place(key, key.split(":")[0], kind, lat, lon, cc, a1, pop)


class _Gaz:
    """Names → (place, found under its main name) pairs: what generate_candidates reads."""

    def __init__(self, names):
        self.names = names

    def lookup(self, name):
        return tuple(NameMatch(p, main) for p, main in self.names.get(name, ()))

    def lookup_backoff(self, name):
        return ()

    def lookup_abbreviation(self, surface):
        return ()

    def lookup_demonym(self, name):
        return ()


STATE_WA = _place("Washington:WA", "admin1", 47.36, -120.81, a1="WA", pop=6_544_495)
DC = Place("Washington:DC", "Washington", "city", 38.90, -77.04, "US", "DC", 689_545, None, True)
PERU = _place("Peru:PE", "country", -10.0, -76.0, cc="PE", pop=31_989_256)
PERU_IN = _place("Peru:IN", "city", 40.75, -86.07, a1="IN", pop=11_060)
PERU_IL = _place("Peru:IL", "city", 41.33, -89.13, a1="IL", pop=9_952)
KOKOMO = _place("Kokomo:IN", "city", 40.49, -86.13, a1="IN", pop=57_995)
SEATTLE = _place("Seattle:WA", "city", 47.61, -122.33, a1="WA", pop=780_995)
STATE_NY = _place("New York:NY", "admin1", 42.66, -75.40, a1="NY", pop=19_000_000)
NYC = _place("New York City:NY", "city", 40.71, -74.01, a1="NY", pop=8_804_190)
BUFFALO = _place("Buffalo:NY", "city", 42.89, -78.88, a1="NY", pop=278_349)
BROOKLYN = _place("Brooklyn:NY", "city", 40.65, -73.95, a1="NY", pop=2_736_074)
GAZ = _Gaz(
    {
        "WASHINGTON": [(STATE_WA, True), (DC, True)],
        "Washington": [(STATE_WA, True), (DC, True)],
        "Peru": [(PERU, True), (PERU_IN, True), (PERU_IL, True)],
        "Kokomo": [(KOKOMO, True)],
        "Seattle": [(SEATTLE, True)],
        "New York": [(STATE_NY, True), (NYC, False)],  # the city under an alternate name
        "Buffalo": [(BUFFALO, True)],
        "Brooklyn": [(BROOKLYN, True)],
    }
)


def _resolve(text, *names):
    ms = [Mention(*_span(text, n), n) for n in names]
    return [r.place.key for r in ContextResolver(GAZ).resolve(text, ms)]


class _AreaGaz(_Gaz):
    """A :class:`_Gaz` whose area look-up (admin-2 back-off entries) knows counties."""

    def __init__(self, names, areas):
        super().__init__(names)
        self.areas = areas

    def lookup_backoff(self, name):
        return tuple(NameMatch(p, True) for p in self.areas.get(name, ()))

    def is_common_word(self, name):
        return False


FULTON_GA = _place("Fulton County:GA", "admin2", 33.79, -84.47, a1="GA", pop=1_103_311)
ATLANTA = _place("Atlanta:GA", "city", 33.75, -84.39, a1="GA", pop=510_823)
DEKALB_IL = _place("DeKalb:IL", "city", 41.93, -88.75, a1="IL", pop=43_211)
DEKALB_CO_GA = _place("DeKalb County:GA", "admin2", 33.77, -84.23, a1="GA", pop=413_233)
DEKALB_CO_IL = _place("DeKalb County:IL", "admin2", 41.89, -88.77, a1="IL", pop=104_897)
COBB_CA = _place("Cobb:CA", "city", 38.82, -122.72, a1="CA", pop=1_778)
COBB_CO_GA = _place("Cobb County:GA", "admin2", 33.94, -84.58, a1="GA", pop=247_935)
TEXAS = _place("Texas:TX", "admin1", 31.25, -99.25, a1="TX", pop=25_145_561)
TEXAS_CO_MO = _place("Texas County:MO", "admin2", 37.32, -91.97, a1="MO", pop=26_008)
WASH_CO_PA = _place("Washington County:PA", "admin2", 40.19, -80.25, a1="PA", pop=207_820)
GREENE_CO_PA = _place("Greene County:PA", "admin2", 39.85, -80.23, a1="PA", pop=38_686)
AREA_GAZ = _AreaGaz(
    {
        "Fulton County": [(FULTON_GA, True)],
        "Atlanta": [(ATLANTA, True)],
        "DeKalb": [(DEKALB_IL, True)],
        "Cobb": [(COBB_CA, True)],
        "Texas": [(TEXAS, True)],
        "Washington": [(STATE_WA, True), (DC, True)],
    },
    {
        "DeKalb County": [DEKALB_CO_GA, DEKALB_CO_IL],
        "Cobb County": [COBB_CO_GA],
        "Texas County": [TEXAS_CO_MO],
        "Washington County": [WASH_CO_PA],
        "Greene County": [GREENE_CO_PA],
    },
)
