"""The published GEO-Bench-2 leaderboard data that ships with this package (see
``data/geobench2_leaderboard/README.md`` for source and license)."""

from __future__ import annotations

from pathlib import Path

LEADERBOARD_DIR = Path(__file__).parent / "data" / "geobench2_leaderboard"
#: submission id → what it holds
SUBMISSIONS = {
    "114be1f0-5a41-43a5-b4e6-7fb683bc01ec": "full fine-tuning, 18 backbones, 19 datasets",
    "2ce4a907-7ae3-45d3-a07a-558f8d0d758b": "full fine-tuning with SAR bands, 3 backbones",
    "80100fc6-dc1a-4514-b946-341157eaf816": "frozen encoders, 15 datasets",
}


def submission_csv(submission_id: str) -> Path:
    """``results_and_parameters.csv`` of a shipped submission."""
    if submission_id not in SUBMISSIONS:
        raise KeyError(f"unknown submission {submission_id!r}; shipped: {', '.join(SUBMISSIONS)}")
    return LEADERBOARD_DIR / submission_id / "results_and_parameters.csv"


def normalizer_json() -> Path:
    """The leaderboard's ``normalizer.json`` (per-dataset min/max)."""
    return LEADERBOARD_DIR / "normalizer.json"
