"""The one place open3d is imported, with an error that says what to install when it fails."""

from __future__ import annotations

from types import ModuleType

from geoarena.core.errors import NotInstalledError

_HINT = (
    "open3d 0.20 needs the Debian/Ubuntu system library libusb-1.0-0 "
    "(install it with `apt-get install -y libusb-1.0-0`) and the wheel `pip install open3d==0.20.0`"
)


def open3d() -> ModuleType:
    """Import open3d lazily; a missing wheel or missing ``libusb-1.0.so.0`` raises
    ``NotInstalledError`` that names the package to install."""
    try:
        import open3d as o3d
    except ImportError as exc:  # covers both the wheel and the shared library
        raise NotInstalledError(f"cannot import open3d ({exc}); {_HINT}") from exc
    o3d.utility.set_verbosity_level(o3d.utility.VerbosityLevel.Error)
    return o3d
