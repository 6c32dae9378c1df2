"""Tracker: where runs, params, metrics and artifacts go.

``MLflowTracker`` (in the ``geoarena.store`` member) is the only tracker that imports mlflow; ``NullTracker``
keeps everything in memory for tests.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Tracker(ABC):
    """Runs are addressed by id so that several can be open at once (suite parent + cell child)."""

    @abstractmethod
    def start_run(
        self,
        name: str,
        tags: dict[str, str] | None = None,
        parent_id: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Open a run (or re-open ``run_id``) and return its id."""

    @abstractmethod
    def log_params(self, run_id: str, params: dict[str, Any]) -> None: ...

    @abstractmethod
    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int | None = None) -> None:
        """Queue metrics; they are written in batches (``flush``)."""

    @abstractmethod
    def set_tags(self, run_id: str, tags: dict[str, str]) -> None: ...

    @abstractmethod
    def log_artifact(
        self, run_id: str, path: str | Path, artifact_path: str | None = None
    ) -> None: ...

    @abstractmethod
    def flush(self, run_id: str | None = None) -> None:
        """Write queued metrics."""

    @abstractmethod
    def end_run(self, run_id: str, status: str = "FINISHED") -> None:
        """Flush and close a run with ``FINISHED``, ``FAILED`` or ``KILLED``."""

    def find_runs(
        self, filter_tags: dict[str, str], status: str | None = None
    ) -> list[dict[str, Any]]:
        """Runs of the current experiment whose tags match; dicts with id, status, tags, metrics, params."""
        return []

    @abstractmethod
    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Store ``text`` as an artifact file."""

    @abstractmethod
    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        """Store a matplotlib figure as an artifact (PNG)."""

    def download_artifact(
        self, run_id: str, artifact_path: str, dst_dir: str | Path
    ) -> Path | None:
        """Copy artifact ``artifact_path`` of ``run_id`` into ``dst_dir`` and return its local
        path; ``None`` when the run has no such artifact (checkpoint resume reads through this)."""
        return None

    def delete_artifacts(self, run_id: str, artifact_path: str) -> None:
        """Remove artifact ``artifact_path`` (a file or folder) of ``run_id``; stores that keep no
        files (this base) have nothing to remove."""
        return None


@dataclass
class NullRun:
    id: str
    name: str
    parent_id: str | None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, list[tuple[int | None, float]]] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    status: str = "RUNNING"


class NullTracker(Tracker):
    """Keeps runs in memory (tests, dry runs). ``runs[id]`` exposes everything logged."""

    def __init__(self) -> None:
        self.runs: dict[str, NullRun] = {}
        self.files: dict[tuple[str, str], bytes] = {}
        self._ids = itertools.count()

    def start_run(self, name, tags=None, parent_id=None, run_id=None):
        if run_id is not None and run_id in self.runs:
            self.runs[run_id].status = "RUNNING"
            return run_id
        rid = f"run{next(self._ids)}"
        self.runs[rid] = NullRun(rid, name, parent_id, dict(tags or {}))
        return rid

    def log_params(self, run_id, params):
        self.runs[run_id].params.update({k: str(v) for k, v in params.items()})

    def log_metrics(self, run_id, metrics, step=None):
        for k, v in metrics.items():
            self.runs[run_id].metrics.setdefault(k, []).append((step, float(v)))

    def set_tags(self, run_id, tags):
        self.runs[run_id].tags.update({k: str(v) for k, v in tags.items()})

    def log_artifact(self, run_id, path, artifact_path=None):
        p = Path(path)
        key = f"{artifact_path + '/' if artifact_path else ''}{p.name}"
        self.runs[run_id].artifacts[key] = str(p)
        if p.is_file():  # a copy, as a real store keeps one
            self.files[(run_id, key)] = p.read_bytes()

    def download_artifact(self, run_id, artifact_path, dst_dir):
        blob = self.files.get((run_id, artifact_path))
        if blob is None:
            return None
        out = Path(dst_dir) / Path(artifact_path).name
        out.write_bytes(blob)
        return out

    def delete_artifacts(self, run_id, artifact_path):
        prefix = artifact_path.rstrip("/") + "/"
        gone = [
            k for k in self.runs[run_id].artifacts if k == artifact_path or k.startswith(prefix)
        ]
        for key in gone:
            del self.runs[run_id].artifacts[key]
            self.files.pop((run_id, key), None)

    def log_text(self, run_id, text, artifact_file):
        self.runs[run_id].artifacts[artifact_file] = text

    def log_figure(self, run_id, figure, artifact_file):
        self.runs[run_id].artifacts[artifact_file] = "<figure>"

    def flush(self, run_id=None):
        pass

    def end_run(self, run_id, status="FINISHED"):
        self.runs[run_id].status = status

    def find_runs(self, filter_tags, status=None):
        out = []
        for r in self.runs.values():
            if all(r.tags.get(k) == v for k, v in filter_tags.items()) and (
                status is None or r.status == status
            ):
                out.append(
                    {
                        "run_id": r.id,
                        "status": r.status,
                        "tags": dict(r.tags),
                        "params": dict(r.params),
                        "metrics": {k: v[-1][1] for k, v in r.metrics.items()},
                    }
                )
        return out
