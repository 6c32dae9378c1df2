"""Cell claims through an MLflow tracking server, for suite runs on several machines.

A server offers no lock, but creating an experiment is atomic: its name is unique in the
store, so of several processes creating ``geoarena-claim:<key>`` at once exactly one succeeds
and the others get ``RESOURCE_ALREADY_EXISTS``. The holder refreshes a ``heartbeat`` tag on it
from a background thread; a claim whose heartbeat is older than ``ttl_s`` belongs to a dead
holder and is retired (renamed to a unique tombstone name, then deleted) by the next claimant,
which then races for the name like everyone else. Releasing retires it the same way. Holders'
clocks must agree to well within ``ttl_s`` (NTP).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

from geoarena.core.claims import Claim

PREFIX = "geoarena-claim:"


class ServerClaims:
    """Claims as experiments of the tracking server at ``tracking_uri``."""

    def __init__(self, tracking_uri: str, ttl_s: float = 120.0, beat_s: float | None = 20.0):
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=tracking_uri)
        self.ttl_s, self.beat_s = ttl_s, beat_s
        self.where = f"experiments {PREFIX}* on {tracking_uri.split('@')[-1]}"

    def try_claim(self, key: str) -> Claim | None:
        """The claim on ``key`` if nobody alive holds it, else ``None`` (never waits)."""
        from mlflow.exceptions import MlflowException

        name = PREFIX + key
        for _ in range(3):
            try:
                exp_id = self.client.create_experiment(name, tags=self._beat_tags())
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
            else:
                return self._held(key, exp_id)
            exp = self.client.get_experiment_by_name(name)
            if exp is None:
                continue  # released between our create and our look: race again
            if exp.lifecycle_stage != "deleted" and not self._stale(exp):
                return None
            self._retire(exp.experiment_id, name)  # a dead holder's (or a half-retired) claim
        return None

    def wait_claim(self, key: str, poll_s: float = 2.0) -> Claim:
        """The claim on ``key``, waiting for its holder to release it or to die (ttl)."""
        while True:
            claim = self.try_claim(key)
            if claim is not None:
                return claim
            time.sleep(poll_s)

    def is_free(self, key: str) -> bool:
        exp = self.client.get_experiment_by_name(PREFIX + key)
        return exp is None or exp.lifecycle_stage == "deleted" or self._stale(exp)

    # -- internals ------------------------------------------------------------------------------
    def _beat_tags(self) -> dict[str, str]:
        return {
            "heartbeat": f"{time.time():.3f}",
            "holder": f"{socket.gethostname()}:{os.getpid()}",
        }

    def _stale(self, exp) -> bool:
        beat = float(exp.tags.get("heartbeat", "0") or 0)
        return time.time() - beat > self.ttl_s

    def _held(self, key: str, exp_id: str) -> Claim:
        stop = threading.Event()
        if self.beat_s:

            def beat() -> None:
                while not stop.wait(self.beat_s):
                    try:
                        self.client.set_experiment_tag(exp_id, "heartbeat", f"{time.time():.3f}")
                    except Exception:  # a flaky server: the next beat tries again
                        continue

            threading.Thread(target=beat, name=f"claim-{key}", daemon=True).start()

        def release() -> None:
            stop.set()
            self._retire(exp_id, PREFIX + key)

        return Claim(key, release)

    def _retire(self, exp_id: str, name: str) -> None:
        """Free the name: rename the claim to a unique tombstone, then delete that."""
        from mlflow.exceptions import MlflowException

        tomb = f"{name}~{uuid.uuid4().hex[:12]}"
        try:
            self.client.rename_experiment(exp_id, tomb)
            self.client.delete_experiment(exp_id)
        except MlflowException:
            pass  # another claimant retired it first
