"""The core package's own plugin: registers the standard evaluation protocols.

With ``GEOARENA_REGISTER_TOYS=1`` it also registers the synthetic ``test/`` task and model and
a ``test-toy`` suite, so that end-to-end tests can drive the real CLI in a subprocess.
"""

from __future__ import annotations

import os


def register() -> None:
    from geoarena.core.protocol import STANDARD_PROTOCOLS
    from geoarena.core.registry import PROTOCOLS

    from geoarena.core.suite import define_suite

    for proto in STANDARD_PROTOCOLS:
        PROTOCOLS.add(proto.name, proto)
    define_suite(
        "default",
        "every installed package's short share on embedded real data (no --data-root; "
        "`make benchmark`)",
    )
    if os.environ.get("GEOARENA_REGISTER_TOYS") == "1":
        from geoarena.core.suite import SuiteEntry, extend_suite
        from geoarena.core.testing import register_toys

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
