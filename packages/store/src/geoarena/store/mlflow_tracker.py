"""MLflow tracking — the only module that imports mlflow.

Default store: a SQLite database plus an artifact folder in the working directory (the file store
is deprecated and refuses to start in MLflow 3). Metrics are queued and written with ``log_batch``
because one ``log_metric`` costs 12–27 ms on SQLite: logging must stay a small share of step time.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from geoarena.core.tracking import Tracker

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

_MAX_BATCH = 1000  # MLflow's per-call limit for metrics
_MAX_PARAMS = 100
_PARAM_VALUE_LIMIT = 6000


def default_tracking_uri(workdir: str | Path | None = None) -> str:
    """``sqlite:///<workdir>/mlflow.db`` (``$MLFLOW_TRACKING_URI`` wins when set)."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    root = Path(workdir or Path.cwd()).resolve()
    return f"sqlite:///{root / 'mlflow.db'}"


def _with_driver(uri: str) -> str:
    """SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which we do not ship: name
    psycopg2 (installed as psycopg2-binary) explicitly."""
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        return "postgresql+psycopg2://" + uri.split("://", 1)[1]
    return uri


@contextmanager
def _sqlite_store_lock(tracking_uri: str) -> Iterator[None]:
    """Serialise the first opening of a SQLite store across processes.

    MLflow creates and migrates the schema the first time a process touches the store; two
    processes doing that at once on a fresh file collide (``table _alembic_tmp_… already
    exists``). An exclusive lock on ``<db>.lock`` makes the second wait for the first.
    """
    if not tracking_uri.startswith("sqlite:///"):
        yield
        return
    import fcntl

    db = Path(tracking_uri.removeprefix("sqlite:///"))
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{db}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_mlflow_client(tracking_uri: str) -> Any:
    """An ``MlflowClient`` whose store is created/migrated already, safely when several
    processes open the same fresh SQLite file at once (suite workers, sweep workers, a poller)."""
    from mlflow.tracking import MlflowClient

    uri = _with_driver(tracking_uri)
    with _sqlite_store_lock(uri):
        client = MlflowClient(tracking_uri=uri)
        # the first access of each store (tracking, model registry) creates/migrates the schema
        client.search_experiments(max_results=1)
        client.search_registered_models(max_results=1)
    return client


class MLflowTracker(Tracker):
    """Tracker on an MLflow store (SQLite file, PostgreSQL, or a tracking server URL).

    Args:
        experiment: experiment name (suite name or experiment file).
        tracking_uri: store or server; default :func:`default_tracking_uri`.
        artifact_root: artifact folder for experiments created here on a local database store
            (default ``<dir of the db>/mlartifacts``); servers choose their own.
        flush_every_s: queued metrics are also written when this much time passed.
    """

    def __init__(
        self,
        experiment: str = "geoarena",
        tracking_uri: str | None = None,
        artifact_root: str | Path | None = None,
        flush_every_s: float = 30.0,
    ):
        import mlflow

        self._mlflow = mlflow
        self.tracking_uri = _with_driver(tracking_uri or default_tracking_uri())
        self.client = open_mlflow_client(self.tracking_uri)
        self.experiment_name = experiment
        self.experiment_id = self._ensure_experiment(experiment, artifact_root)
        self.flush_every_s = flush_every_s
        self._queue: dict[str, list[Any]] = {}
        self._last_flush: dict[str, float] = {}

    def cell_claims(self) -> Any:
        """Claims on suite cells for this store: experiments with a heartbeat on a tracking
        server (several machines), else core's file or PostgreSQL locks."""
        from geoarena.core.claims import CellClaims

        if self.tracking_uri.startswith(("http://", "https://")):
            from geoarena.store.claims_server import ServerClaims

            return ServerClaims(self.tracking_uri)
        return CellClaims(self.tracking_uri)

    def _ensure_experiment(self, name: str, artifact_root: str | Path | None) -> str:
        exp = self.client.get_experiment_by_name(name)
        if exp is not None:
            if exp.lifecycle_stage == "deleted":
                self.client.restore_experiment(exp.experiment_id)
            return exp.experiment_id
        location = None
        if self.tracking_uri.startswith("sqlite:///"):
            db = Path(self.tracking_uri.removeprefix("sqlite:///"))
            location = Path(artifact_root or db.parent / "mlartifacts").resolve().as_uri()
        elif artifact_root is not None:
            location = Path(artifact_root).resolve().as_uri()
        from mlflow.exceptions import MlflowException

        try:
            return self.client.create_experiment(name, artifact_location=location)
        except MlflowException:
            # another worker created it between our lookup and create (RESOURCE_ALREADY_EXISTS)
            exp = self.client.get_experiment_by_name(name)
            if exp is None:
                raise
            return exp.experiment_id

    # runs ---------------------------------------------------------------------------------
    def start_run(self, name, tags=None, parent_id=None, run_id=None):
        if run_id is not None:
            self.client.update_run(run_id, status="RUNNING")
            return run_id
        all_tags = {k: str(v) for k, v in (tags or {}).items()}
        if parent_id:
            all_tags["mlflow.parentRunId"] = parent_id
        run = self.client.create_run(self.experiment_id, run_name=name, tags=all_tags)
        return run.info.run_id

    def log_params(self, run_id, params):
        from mlflow.entities import Param

        items = [Param(k, str(v)[:_PARAM_VALUE_LIMIT]) for k, v in params.items()]
        for i in range(0, len(items), _MAX_PARAMS):
            self.client.log_batch(run_id, params=items[i : i + _MAX_PARAMS], synchronous=True)

    def log_metrics(self, run_id, metrics, step=None):
        from mlflow.entities import Metric

        ts = int(time.time() * 1000)
        q = self._queue.setdefault(run_id, [])
        for k, v in metrics.items():
            v = float(v)
            if v != v:  # MLflow stores NaN, but comparisons in the UI break on it
                continue
            q.append(Metric(k, v, ts, int(step or 0)))
        last = self._last_flush.setdefault(run_id, time.monotonic())
        if len(q) >= _MAX_BATCH or time.monotonic() - last > self.flush_every_s:
            self.flush(run_id)

    def flush(self, run_id=None):
        ids = [run_id] if run_id else list(self._queue)
        for rid in ids:
            q = self._queue.pop(rid, [])
            for i in range(0, len(q), _MAX_BATCH):
                self.client.log_batch(rid, metrics=q[i : i + _MAX_BATCH], synchronous=True)
            self._last_flush[rid] = time.monotonic()

    def set_tags(self, run_id, tags):
        from mlflow.entities import RunTag

        self.client.log_batch(
            run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()], synchronous=True
        )

    def log_artifact(self, run_id, path, artifact_path=None):
        self.client.log_artifact(run_id, str(path), artifact_path)

    def log_text(self, run_id, text, artifact_file):
        self.client.log_text(run_id, text, artifact_file)

    def download_artifact(self, run_id, artifact_path, dst_dir):
        from mlflow.exceptions import MlflowException

        try:
            return Path(self.client.download_artifacts(run_id, artifact_path, str(dst_dir)))
        except (MlflowException, OSError):
            return None  # the run has no such artifact (yet)

    def delete_artifacts(self, run_id, artifact_path):
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        # the run's own artifact repository (local folder, object store or mlflow-artifacts
        # server) removes the file or folder; a path that does not exist is not an error
        root = self.client.get_run(run_id).info.artifact_uri
        get_artifact_repository(root).delete_artifacts(artifact_path)

    def log_figure(self, run_id, figure, artifact_file):
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / Path(artifact_file).name
            figure.savefig(p, dpi=100, bbox_inches="tight")
            parent = str(Path(artifact_file).parent)
            self.client.log_artifact(run_id, str(p), None if parent == "." else parent)

    def end_run(self, run_id, status="FINISHED"):
        self.flush(run_id)
        self.client.set_terminated(run_id, status=status)

    # queries ------------------------------------------------------------------------------
    def find_runs(self, filter_tags, status=None):
        clauses = [f"tags.`{k}` = '{v}'" for k, v in filter_tags.items()]
        if status:
            clauses.append(f"attributes.status = '{status}'")
        runs = self.client.search_runs(
            [self.experiment_id], filter_string=" and ".join(clauses), max_results=50000
        )
        return [
            {
                "run_id": r.info.run_id,
                "status": r.info.status,
                "tags": dict(r.data.tags),
                "params": dict(r.data.params),
                "metrics": dict(r.data.metrics),
                "start_time": r.info.start_time,
            }
            for r in runs
        ]
