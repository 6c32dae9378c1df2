"""The core package's own plugin: registers the standard evaluation protocols and describes the
``default`` suite (the toys of end-to-end tests are registered by ``geoarena.train.plugin``)."""

from __future__ import annotations


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
