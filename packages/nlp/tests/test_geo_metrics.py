import math

import numpy as np
import pytest

from geoarena.nlp.geo_metrics import (
    EARTH_RADIUS_KM,
    Span,
    bootstrap_ci,
    error_auc,
    geocoding_summary,
    haversine_km,
    match_spans,
    prf,
)


def _hand_haversine(lat1, lon1, lat2, lon2):
    """Written out term by term from the textbook formula, in plain math (the reference)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@pytest.mark.parametrize(
    ("a", "b", "expected_km"),
    [
        ((0.0, 0.0), (0.0, 1.0), 2 * math.pi * 6371.0088 / 360),  # one degree on the equator
        ((0.0, 0.0), (90.0, 0.0), math.pi * 6371.0088 / 2),  # equator to pole
        ((0.0, 0.0), (0.0, 180.0), math.pi * 6371.0088),  # antipodes
        # reference values by the spherical law of cosines (an independent formula), to 0.01 km
        ((51.5074, -0.1278), (48.8566, 2.3522), 343.56),  # London–Paris
        ((40.0, -100.0), (38.0, -97.0), 341.52),  # GeoVirus' US point vs the Factbook point
    ],
)
def test_haversine_matches_hand_computed_reference(a, b, expected_km):
    got = float(haversine_km(a[0], a[1], b[0], b[1]))
    assert got == pytest.approx(expected_km, abs=0.05)
    assert got == pytest.approx(_hand_haversine(*a, *b), rel=1e-12)


def test_haversine_broadcasts_and_is_symmetric():
    lat = np.array([0.0, 10.0, -33.9])
    lon = np.array([0.0, 20.0, 151.2])
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    assert d.shape == (3, 3)
    np.testing.assert_allclose(d, d.T)
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-9)


def test_geocoding_summary_on_fixed_errors():
    errors = [0.0, 50.0, 160.9, 161.0, 161.1, 1000.0, 20039.0, 30000.0]
    s = geocoding_summary(errors)
    assert s["acc161"] == pytest.approx(4 / 8)  # ≤ 161 km counts
    clipped = [0.0, 50.0, 160.9, 161.0, 161.1, 1000.0, 20039.0, 20039.0]
    assert s["mean_km"] == pytest.approx(sum(clipped) / 8)
    assert s["median_km"] == pytest.approx((161.0 + 161.1) / 2)
    # AUC by hand: trapezoid over sorted ln(1 + e), unit spacing, / (ln 20039 · (n − 1))
    logs = sorted(math.log(1 + e) for e in clipped)
    area = sum((logs[i] + logs[i + 1]) / 2 for i in range(len(logs) - 1))
    assert s["auc"] == pytest.approx(area / (math.log(20039) * 7))


def test_auc_bounds():
    assert error_auc([0.0, 0.0, 0.0]) == 0.0
    assert error_auc([20039.0] * 4) == pytest.approx(math.log(20040) / math.log(20039))


def test_exact_and_overlap_span_matching():
    gold = [Span(0, 5), Span(10, 20), Span(30, 35)]
    pred = [Span(0, 5), Span(12, 25), Span(40, 45), Span(11, 13)]
    assert match_spans(gold, pred, "exact") == [(0, 0)]
    # one-to-one: gold 1 takes the larger overlap (12–20), the small one stays a false positive
    assert match_spans(gold, pred, "overlap") == [(0, 0), (1, 1)]
    assert prf(2, 4, 3) == pytest.approx({"precision": 0.5, "recall": 2 / 3, "f1": 4 / 7})
    assert prf(0, 0, 3)["f1"] == 0.0
    with pytest.raises(ValueError, match="mode"):
        match_spans(gold, pred, "fuzzy")


def test_bootstrap_ci_is_deterministic_and_brackets_the_estimate():
    docs = [[1.0] * 8 + [0.0] * 2 for _ in range(10)] + [[0.0] * 10 for _ in range(3)]

    def stat(ds):
        flat = [x for d in ds for x in d]
        return float(np.mean(flat))

    lo, hi = bootstrap_ci(docs, stat, n_boot=300, seed=1)
    assert (lo, hi) == bootstrap_ci(docs, stat, n_boot=300, seed=1)
    assert lo < stat(docs) < hi
    assert lo > 0.4 and hi < 0.85


def test_haversine_pair_path_equals_the_array_path():
    # plain floats take the math path; numpy scalars and arrays the numpy one: same distances
    rng = np.random.default_rng(7)
    pts = np.column_stack([rng.uniform(-90, 90, 200), rng.uniform(-180, 180, 200)])
    arr = haversine_km(pts[:100, 0], pts[:100, 1], pts[100:, 0], pts[100:, 1])
    for k in range(100):
        a, b = pts[k].tolist(), pts[100 + k].tolist()
        pair = haversine_km(a[0], a[1], b[0], b[1])
        assert isinstance(pair, np.floating)
        assert float(pair) == pytest.approx(float(arr[k]), rel=1e-12, abs=1e-9)
