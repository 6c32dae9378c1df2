"""Entry point ``geoarena.plugins: train``. With ``GEOARENA_REGISTER_TOYS=1`` it registers the
synthetic ``test/`` task and model (``testing``) and a ``test-toy`` suite, so that end-to-end
tests can drive the real CLI in a subprocess; otherwise it registers nothing.
"""

from __future__ import annotations

import os


def register() -> None:
    if os.environ.get("GEOARENA_REGISTER_TOYS") == "1":
        from geoarena.core.suite import SuiteEntry, extend_suite
        from geoarena.train.testing import register_toys

        register_toys()
        train = {"epochs": 3, "batch_size": 16, "lr": 0.01}
        extend_suite(
            "test-toy",
            SuiteEntry(
                "test/blobs",
                ("test/mlp",),
                ("finetune", "linear_probe"),
                seeds=(0, 1, 2),
                train=train,
            ),
            description="synthetic harness check",
        )
        extend_suite("test-toy", SuiteEntry("test/broken", ("test/mlp",), seeds=(0,), train=train))
