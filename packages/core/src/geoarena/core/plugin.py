"""The core package's own plugin: registers the standard evaluation protocols."""

from __future__ import annotations


def register() -> None:
    from geoarena.core.protocol import STANDARD_PROTOCOLS
    from geoarena.core.registry import PROTOCOLS

    for proto in STANDARD_PROTOCOLS:
        PROTOCOLS.add(proto.name, proto)
