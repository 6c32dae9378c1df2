"""The 19 GEO-Bench-2 datasets: what GeoArena needs to know about each (facts from GEO-Bench-2's
public dataset classes and its leaderboard's ``utils/constants.py``).

Band order: GEO-Bench-2 names each modality's bands (``band_default_order``); ``bands`` below is
the model input order GeoArena stacks (modality by modality, in that published order) and
``canonical`` the same channels in GeoArena's band naming (``geoarena.eo.bands``), which is what
models adapt their input layers by.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the leaderboard's capability groups ("dimensions"), dataset lists as published; the results
#: member holds the same table (geoarena.results.capability) — tests/test_geobench2_tables_agree.py
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "Multi-Spectral-Dependent": (
        "benv2",
        "biomassters",
        "pastis",
        "so2sat",
        "cloudsen12",
        "spacenet2",
        "burn_scars",
        "fotw",
    ),
    "Multi-Temporal": ("kuro_siwo", "pastis", "biomassters", "dynamic_earthnet"),
    "Pixel-wise": (
        "kuro_siwo",
        "pastis",
        "burn_scars",
        "spacenet2",
        "cloudsen12",
        "caffe",
        "flair2",
        "dynamic_earthnet",
        "biomassters",
        "spacenet7",
        "fotw",
    ),
    "Classification": ("so2sat", "forestnet", "benv2", "treesatai"),
    "Detection (Object/Instance)": ("substation", "everwatch", "nzcattle", "pastis_r"),
    "Under 10m Resolution": ("spacenet2", "treesatai", "flair2", "dynamic_earthnet", "spacenet7"),
    "10m and Above Resolution": (
        "biomassters",
        "so2sat",
        "kuro_siwo",
        "cloudsen12",
        "pastis",
        "benv2",
        "forestnet",
        "burn_scars",
        "caffe",
        "fotw",
    ),
    "RGB/NIR": ("flair2", "treesatai", "dynamic_earthnet", "spacenet7", "fotw"),
    "Core": (
        "kuro_siwo",
        "pastis",
        "burn_scars",
        "cloudsen12",
        "flair2",
        "spacenet7",
        "benv2",
        "treesatai",
        "biomassters",
        "fotw",
        "substation",
        "everwatch",
    ),
}

S2_12 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12")
S2_10 = ("B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")
RGBN = ("red", "green", "blue", "nir")


@dataclass(frozen=True)
class GB2Spec:
    """One GEO-Bench-2 dataset as a GeoArena task.

    Attributes:
        name: the leaderboard's dataset name (``pastis_r`` is PASTIS-R's instance labels).
        folder: data folder and file stem (``<data_root>/<folder>/geobench_<folder>*.tortilla``).
        kind: GeoArena task kind.
        bands: GEO-Bench-2 band names in input order (keys of the normalisation stats).
        canonical: the same channels in GeoArena's band naming.
        time_steps: input time steps (``1``: a single image ``(C, H, W)``).
        leaderboard_metric: the ``Metric`` column of ``results_and_parameters.csv``.
        metric: GeoArena's primary metric key for the task (chosen on val).
        score_key: the metric key whose test value is the leaderboard's ``test metric``.
        ignore_index: label value excluded from loss and metric.
        gsd: ground sample distance in metres (nominal).
    """

    name: str
    folder: str
    kind: str
    num_classes: int
    bands: tuple[str, ...]
    canonical: tuple[str, ...]
    leaderboard_metric: str
    metric: str
    score_key: str
    gsd: float
    time_steps: int = 1
    class_names: tuple[str, ...] = ()
    ignore_index: int | None = None
    description: str = ""

    @property
    def stem(self) -> str:
        return f"geobench_{self.folder}"

    @property
    def capabilities(self) -> tuple[str, ...]:
        return tuple(d for d, names in DIMENSIONS.items() if self.name in names)


SEG = ("Multiclass_Jaccard_Index", "miou", "miou")


def _seg(name, n, bands, canonical, gsd, desc, **kw) -> GB2Spec:
    lb, metric, score = SEG
    return GB2Spec(
        name, name, "seg", n, bands, canonical, lb, metric, score, gsd, description=desc, **kw
    )


SPECS: dict[str, GB2Spec] = {
    s.name: s
    for s in (
        GB2Spec(
            "benv2",
            "benv2",
            "multilabel",
            19,
            (*S2_12, "VV", "VH"),
            (*S2_12, "VV", "VH"),
            "Multilabel_F1_Score",
            "f1_micro",
            "f1_micro",
            10.0,
            description="BigEarthNet v2: multi-label land cover from Sentinel-2 + Sentinel-1",
        ),
        GB2Spec(
            "biomassters",
            "biomassters",
            "regression",
            1,
            ("VV_asc", "VH_asc", "VV_desc", "VH_desc", *S2_10),
            ("VV_asc", "VH_asc", "VV_desc", "VH_desc", *S2_10),
            "RMSE",
            "rmse",
            "gb2_score",
            10.0,
            time_steps=4,
            description="BioMassters: above-ground biomass per pixel from S1+S2 time series",
        ),
        GB2Spec(
            "so2sat",
            "so2sat",
            "cls",
            17,
            (*S2_10, "VV", "VH"),
            (*S2_10, "VV", "VH"),
            "Overall_Accuracy",
            "overall_accuracy",
            "overall_accuracy",
            10.0,
            description="So2Sat: local climate zones from Sentinel-2 + Sentinel-1",
        ),
        GB2Spec(
            "forestnet",
            "forestnet",
            "cls",
            12,
            ("B02", "B03", "B04", "B8A", "B11", "B12"),
            ("L8:B2", "L8:B3", "L8:B4", "L8:B5", "L8:B6", "L8:B7"),
            "Overall_Accuracy",
            "overall_accuracy",
            "overall_accuracy",
            15.0,
            description="ForestNet: deforestation drivers from Landsat-8",
        ),
        GB2Spec(
            "treesatai",
            "treesatai",
            "multilabel",
            15,
            (
                *RGBN,
                "vv",
                "vh",
                "vv/vh",
                "B02",
                "B03",
                "B04",
                "B08",
                "B05",
                "B06",
                "B07",
                "B8A",
                "B11",
                "B12",
                "B01",
                "B09",
            ),
            (
                *RGBN,
                "VV",
                "VH",
                "VV/VH",
                "B02",
                "B03",
                "B04",
                "B08",
                "B05",
                "B06",
                "B07",
                "B8A",
                "B11",
                "B12",
                "B01",
                "B09",
            ),
            "Multilabel_F1_Score",
            "f1_micro",
            "f1_micro",
            0.2,
            description="TreeSatAI: multi-label tree genera from aerial CIR + S1 + S2",
        ),
        _seg(
            "kuro_siwo",
            4,
            ("vv", "vh", "dem"),
            ("VV", "VH", "dem"),
            10.0,
            "Kuro Siwo: flood mapping from SAR pre/pre/post-event series + DEM",
            time_steps=3,
        ),
        _seg(
            "dynamic_earthnet",
            7,
            ("r", "g", "b", "nir"),
            RGBN,
            3.0,
            "DynamicEarthNet: land use/cover from PlanetScope weekly series",
            time_steps=6,
        ),
        _seg(
            "pastis",
            20,
            S2_10,
            S2_10,
            10.0,
            "PASTIS: crop types from Sentinel-2 time series",
            time_steps=6,
            ignore_index=19,
        ),
        GB2Spec(
            "pastis_r",
            "pastis",
            "instance_seg",
            20,
            S2_10,
            S2_10,
            "test_test_segm_map",
            "segm_map",
            "segm_map",
            10.0,
            time_steps=6,
            description="PASTIS-R: crop parcels as instances from Sentinel-2 time series",
        ),
        _seg(
            "burn_scars",
            2,
            ("B02", "B03", "B04", "B8A", "B11", "B12"),
            ("B02", "B03", "B04", "B8A", "B11", "B12"),
            30.0,
            "HLS burn scars from Harmonized Landsat Sentinel-2",
            ignore_index=2,
        ),
        _seg(
            "spacenet2",
            3,
            ("coastal", "blue", "green", "yellow", "red", "red_edge", "nir1", "nir2", "pan"),
            ("WV:C", "WV:B", "WV:G", "WV:Y", "WV:R", "WV:RE", "WV:N1", "WV:N2", "WV:P"),
            0.3,
            "SpaceNet 2: building footprints from WorldView-3 multispectral + pan",
        ),
        _seg("cloudsen12", 4, S2_12, S2_12, 10.0, "CloudSEN12: clouds and shadows, Sentinel-2 L1C"),
        _seg(
            "fotw",
            3,
            RGBN,
            RGBN,
            10.0,
            "Fields of The World: field boundaries from two Sentinel-2 windows",
            time_steps=2,
        ),
        _seg(
            "caffe", 4, ("gray",), ("gray",), 7.0, "CaFFe: glacier calving fronts in SAR amplitude"
        ),
        _seg(
            "flair2",
            13,
            (*RGBN, "elevation"),
            (*RGBN, "elevation"),
            0.2,
            "FLAIR #2: land cover from aerial RGBN + elevation",
        ),
        _seg(
            "spacenet7",
            3,
            ("red", "green", "blue"),
            ("red", "green", "blue"),
            4.0,
            "SpaceNet 7: buildings from PlanetScope RGB",
        ),
        GB2Spec(
            "substation",
            "substation",
            "instance_seg",
            1,
            (*S2_12[:9], "B09", "B10", "B11", "B12"),
            (*S2_12[:9], "B09", "B10", "B11", "B12"),
            "test_test_segm_map",
            "segm_map",
            "segm_map",
            10.0,
            class_names=("power_station",),
            description="Substation: power substations as instances in Sentinel-2",
        ),
        GB2Spec(
            "everwatch",
            "everwatch",
            "det",
            8,
            ("red", "green", "blue"),
            ("red", "green", "blue"),
            "test_test_map",
            "map",
            "map",
            0.02,
            class_names=(
                "White Ibis",
                "Great Egret",
                "Great Blue Heron",
                "Snowy Egret",
                "Wood Stork",
                "Roseate Spoonbill",
                "Anhinga",
                "Unknown White",
            ),
            description="EverWatch: wading birds in drone RGB",
        ),
        GB2Spec(
            "nzcattle",
            "nzcattle",
            "det",
            1,
            ("red", "green", "blue"),
            ("red", "green", "blue"),
            "test_test_map",
            "map",
            "map",
            0.1,
            class_names=("cattle",),
            description="NZ Cattle: cattle in aerial RGB",
        ),
    )
}
