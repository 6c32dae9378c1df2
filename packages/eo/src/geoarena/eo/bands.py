"""Band names: the one band module of ``geoarena.eo``.

Two surfaces, kept exactly as they were before the two band tables were merged here:

* **physical bands** (``resolve_band``/``resolve_bands``/``wavelengths_um``/``same_band`` and the
  sensor tables) — what models use to adapt weights by band and to condition on wavelength;
* **the data band-name catalogue** (``BAND_WAVELENGTHS``, ``BAND_ALIASES``,
  ``check_band_names``, ``band_index``) — the canonical names datasets declare for their
  channels (checked when a scene is read), the wavelengths recorded in a task's ``info`` and the
  role lookup (red, nir…) of spectral indices. Every catalogue name also resolves to a physical
  band (tested); a few catalogue wavelengths are the sensor-neutral values the data side has
  always recorded (``pan`` 0.640, ``tir`` 10.9, 0.0 for SAR/DEM/CHM) where ``resolve_band``
  picks a representative sensor's band.

Models and data describe their channels by *name*; this module is the one place that decides
whether two names denote the same physical band (``"B04"``, ``"S2:B04"``, ``"04 - Red"`` and
``"red"`` all mean Sentinel-2 red) and what a band's central wavelength is, which the
wavelength-conditioned patch embedding (DOFA/Clay style) needs.

Wavelengths are central wavelengths in micrometres from the sensors' published band tables
(Sentinel-2 MSI, Landsat-8 OLI/TIRS, Landsat-7 ETM+, NAIP); SAR bands carry their radar
wavelength (C band, 5.55 cm) so that they still have a distinct, finite conditioning value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geoarena.core.errors import ConfigError


@dataclass(frozen=True)
class Band:
    """One physical band.

    Attributes:
        sensor: ``sentinel2``, ``landsat8``, ``landsat7``, ``naip``, ``rgb``, ``sentinel1``.
        band_id: the sensor's own id (``B04``, ``B8A``, ``VV``).
        common: sensor-independent name (``red``, ``nir``, ``swir16``…), used to match bands
            across sensors when adapting pretrained weights.
        wavelength_um: central wavelength in micrometres.
    """

    sensor: str
    band_id: str
    common: str
    wavelength_um: float

    @property
    def key(self) -> str:
        return f"{self.sensor}:{self.band_id}"


def _table(sensor: str, rows: list[tuple[str, str, float]]) -> dict[str, Band]:
    return {bid: Band(sensor, bid, common, wl) for bid, common, wl in rows}


SENTINEL2 = _table(
    "sentinel2",
    [
        ("B01", "coastal", 0.443),
        ("B02", "blue", 0.490),
        ("B03", "green", 0.560),
        ("B04", "red", 0.665),
        ("B05", "rededge1", 0.705),
        ("B06", "rededge2", 0.740),
        ("B07", "rededge3", 0.783),
        ("B08", "nir", 0.842),
        ("B8A", "nir08", 0.865),
        ("B09", "watervapor", 0.945),
        ("B10", "cirrus", 1.375),
        ("B11", "swir16", 1.610),
        ("B12", "swir22", 2.190),
    ],
)
LANDSAT8 = _table(
    "landsat8",
    [
        ("B1", "coastal", 0.443),
        ("B2", "blue", 0.482),
        ("B3", "green", 0.561),
        ("B4", "red", 0.655),
        ("B5", "nir08", 0.865),
        ("B6", "swir16", 1.609),
        ("B7", "swir22", 2.201),
        ("B8", "pan", 0.590),
        ("B9", "cirrus", 1.373),
        ("B10", "lwir11", 10.895),
        ("B11", "lwir12", 12.005),
    ],
)
LANDSAT7 = _table(
    "landsat7",
    [
        ("B1", "blue", 0.483),
        ("B2", "green", 0.560),
        ("B3", "red", 0.662),
        ("B4", "nir", 0.835),
        ("B5", "swir16", 1.648),
        ("B6", "lwir", 11.335),
        ("B7", "swir22", 2.206),
        ("B8", "pan", 0.706),
    ],
)
LANDSAT5 = _table(
    "landsat5",
    [
        ("TM1", "blue", 0.485),
        ("TM2", "green", 0.560),
        ("TM3", "red", 0.660),
        ("TM4", "nir", 0.830),
        ("TM5", "swir16", 1.650),
        ("TM6", "lwir", 11.45),
        ("TM7", "swir22", 2.215),
    ],
)
#: non-spectral channels some tasks stack onto imagery; they have no wavelength (NaN), so the
#: wavelength-conditioned embedding refuses them while weight adaptation treats them as unknown.
ANCILLARY = _table("ancillary", [("dem", "dem", float("nan")), ("chm", "chm", float("nan"))])
NAIP = _table(
    "naip", [("R", "red", 0.635), ("G", "green", 0.555), ("B", "blue", 0.465), ("N", "nir", 0.833)]
)
RGB = _table("rgb", [("red", "red", 0.665), ("green", "green", 0.560), ("blue", "blue", 0.490)])
SENTINEL1 = _table(
    "sentinel1",
    [
        ("VV", "vv", 55465.0),
        ("VH", "vh", 55465.0),
        ("HH", "hh", 55465.0),
        ("HV", "hv", 55465.0),
        # the VV/VH ratio channel PASTIS-R and TreeSatAI ship, and single-channel SAR amplitude
        # (CaFFe's "gray" glacier images) — C band like the rest of this table
        ("VV/VH", "vv/vh", 55465.0),
        ("AMP", "sar_amplitude", 55465.0),
    ],
)
#: WorldView-2/3 multispectral + panchromatic (SpaceNet 2), centres of the published bands
WORLDVIEW = _table(
    "worldview",
    [
        ("C", "coastal", 0.425),
        ("B", "blue", 0.480),
        ("G", "green", 0.545),
        ("Y", "yellow", 0.605),
        ("R", "red", 0.660),
        ("RE", "rededge", 0.725),
        ("N1", "nir", 0.8325),
        ("N2", "nir2", 0.950),
        ("P", "pan", 0.625),
    ],
)

SENSORS: dict[str, dict[str, Band]] = {
    "sentinel2": SENTINEL2,
    "landsat8": LANDSAT8,
    "landsat7": LANDSAT7,
    "naip": NAIP,
    "rgb": RGB,
    "sentinel1": SENTINEL1,
    "landsat5": LANDSAT5,
    "ancillary": ANCILLARY,
    "worldview": WORLDVIEW,
}
_SENSOR_ALIASES = {
    "s2": "sentinel2",
    "sentinel2": "sentinel2",
    "sentinel-2": "sentinel2",
    "l8": "landsat8",
    "landsat8": "landsat8",
    "landsat-8": "landsat8",
    "oli": "landsat8",
    "l7": "landsat7",
    "landsat7": "landsat7",
    "landsat-7": "landsat7",
    "etm": "landsat7",
    "naip": "naip",
    "rgb": "rgb",
    "l5": "landsat5",
    "landsat5": "landsat5",
    "tm": "landsat5",
    "s1": "sentinel1",
    "sentinel1": "sentinel1",
    "sentinel-1": "sentinel1",
    "wv": "worldview",
    "worldview": "worldview",
}

#: sensor-independent names (and common spellings) → a representative band. The representative
#: gives the wavelength; matching across sensors uses ``Band.common``.
_COMMON_ALIASES: dict[str, str] = {
    "coastal": "coastal",
    "coastal_aerosol": "coastal",
    "aerosol": "coastal",
    "blue": "blue",
    "b": "blue",
    "green": "green",
    "g": "green",
    "red": "red",
    "r": "red",
    "rededge1": "rededge1",
    "red_edge_1": "rededge1",
    "rededge2": "rededge2",
    "red_edge_2": "rededge2",
    "rededge3": "rededge3",
    "red_edge_3": "rededge3",
    "nir": "nir",
    "n": "nir",
    "near_infrared": "nir",
    "nir08": "nir08",
    "nir_narrow": "nir08",
    "narrow_nir": "nir08",
    "watervapor": "watervapor",
    "water_vapour": "watervapor",
    "water_vapor": "watervapor",
    "cirrus": "cirrus",
    "swir1": "swir16",
    "swir16": "swir16",
    "swir_1": "swir16",
    "swir2": "swir22",
    "swir22": "swir22",
    "swir_2": "swir22",
    "pan": "pan",
    "panchromatic": "pan",
    "thermal": "lwir",
    "lwir": "lwir",
    "tir": "lwir",
    "lwir11": "lwir11",
    "lwir12": "lwir12",
    "vv": "vv",
    "vh": "vh",
    "hh": "hh",
    "hv": "hv",
    "dem": "dem",
    "elevation": "dem",
    "chm": "chm",
    "canopy_height": "chm",
    "vv/vh": "vv/vh",
    "gray": "sar_amplitude",
    "sar_amplitude": "sar_amplitude",
}
_REPRESENTATIVE: dict[str, Band] = {}
for _sensor in ("rgb", "sentinel2", "landsat7", "landsat8", "sentinel1", "ancillary", "worldview"):
    for _b in SENSORS[_sensor].values():
        _REPRESENTATIVE.setdefault(_b.common, _b)

# GEO-Bench v1 writes Sentinel-2 bands as "04 - Red", "08A - Vegetation Red Edge".
_GEOBENCH_S2 = re.compile(r"^(\d{1,2}a?)\s*-\s*.+$", re.IGNORECASE)
_SENSOR_PREFIX = re.compile(r"^([a-z0-9\-]+)\s*[:._/]\s*(.+)$", re.IGNORECASE)
# SAR channels of one orbit direction (GEO-Bench-2's "VV_asc", "VH_desc"): the same physical band
_ORBIT_SUFFIX = re.compile(r"^(.+)_(asc|desc)$", re.IGNORECASE)


def _s2_id(token: str) -> str | None:
    t = token.upper().lstrip("B").lstrip("0")
    if t == "8A":
        return "B8A"
    if t.isdigit():
        cand = f"B{int(t):02d}"
        return cand if cand in SENTINEL2 else None
    return None


def _sensor_band(sensor: str, token: str) -> Band | None:
    table = SENSORS[sensor]
    tok = token.strip()
    if sensor == "sentinel2":
        sid = _s2_id(tok)
        return SENTINEL2.get(sid) if sid else _by_common(table, tok)
    for cand in (tok, tok.upper(), "B" + tok.upper().lstrip("B").lstrip("0")):
        if cand in table:
            return table[cand]
    return _by_common(table, tok)


def _by_common(table: dict[str, Band], token: str) -> Band | None:
    common = _COMMON_ALIASES.get(token.lower().replace(" ", "_").replace("-", "_"))
    if common is None:
        return None
    for b in table.values():
        if b.common == common:
            return b
    return None


def resolve_band(name: str) -> Band:
    """The physical band a channel name denotes.

    Accepted: sensor-independent names (``red``, ``nir``, ``swir1``…), sensor-qualified ids
    (``S2:B04``, ``landsat8.B5``, ``L7_B3``, ``naip:N``), bare Sentinel-2 ids (``B04``, ``B8A``)
    and GEO-Bench's ``"04 - Red"`` spelling. Anything else raises ``ConfigError`` naming it.
    """
    raw = str(name).strip()
    orbit = _ORBIT_SUFFIX.match(raw)
    if orbit:
        return resolve_band(orbit.group(1))
    low = raw.lower()
    m = _SENSOR_PREFIX.match(raw)
    if m and m.group(1).lower() in _SENSOR_ALIASES:
        band = _sensor_band(_SENSOR_ALIASES[m.group(1).lower()], m.group(2))
        if band is not None:
            return band
    m = _GEOBENCH_S2.match(raw)
    if m:
        sid = _s2_id(m.group(1))
        if sid:
            return SENTINEL2[sid]
    common = _COMMON_ALIASES.get(low.replace(" ", "_").replace("-", "_"))
    if common is not None:
        return _REPRESENTATIVE[common]
    if raw.upper() in LANDSAT5:  # "TM1".."TM7"
        return LANDSAT5[raw.upper()]
    sid = _s2_id(raw) if re.fullmatch(r"[bB]\d{1,2}[aA]?|[bB]?8[aA]", raw) else None
    if sid:
        return SENTINEL2[sid]
    raise ConfigError(
        f"unknown band name {raw!r}: use a common name (red, green, blue, nir, swir1, swir2, "
        "rededge1-3, coastal, cirrus, pan, vv, vh), a sensor-qualified id (S2:B04, L8:B5, L7:B3, "
        "naip:N) or a Sentinel-2 id (B01…B12, B8A)"
    )


def resolve_bands(names: tuple[str, ...] | list[str]) -> list[Band]:
    """``resolve_band`` for each name; the error names every unknown band at once."""
    out, bad = [], []
    for n in names:
        try:
            out.append(resolve_band(n))
        except ConfigError:
            bad.append(str(n))
    if bad:
        raise ConfigError(
            f"unknown band name(s) {', '.join(repr(b) for b in bad)}: not a recognised band "
            "(see geoarena.eo.bands.resolve_band for accepted spellings)"
        )
    return out


def wavelengths_um(names: tuple[str, ...] | list[str]) -> list[float]:
    """Central wavelengths (µm) of the named bands."""
    return [b.wavelength_um for b in resolve_bands(names)]


def same_band(a: Band, b: Band) -> bool:
    """Whether two bands carry the same physical signal for weight transfer: same common name
    (Sentinel-2 red ≙ Landsat-8 red ≙ RGB red; broad and narrow NIR count as one)."""
    return _FAMILY.get(a.common, a.common) == _FAMILY.get(b.common, b.common)


_FAMILY = {"nir08": "nir"}


RGB_BANDS = ("red", "green", "blue")
SENTINEL2_BANDS = tuple(f"S2:{b}" for b in SENTINEL2)
LANDSAT8_BANDS = tuple(f"L8:{b}" for b in LANDSAT8)
LANDSAT7_BANDS = tuple(f"L7:{b}" for b in LANDSAT7)
NAIP_BANDS = tuple(f"naip:{b}" for b in NAIP)
#: Prithvi-EO-2.0's six HLS bands.
HLS_BANDS = ("blue", "green", "red", "nir08", "swir16", "swir22")
