#!/usr/bin/env bash
# Create ./.venv with the pinned stack and every GeoArena package installed editable.
# Idempotent; `make env` calls it when the environment is missing or the pins changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=${VENV:-.venv}

# open3d's shared library links against libusb-1.0 (a Debian package, not a wheel).
if ! ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing libusb-1.0-0 (needed by open3d)"
    (apt-get install -y -qq libusb-1.0-0 >/dev/null 2>&1) || \
      (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libusb-1.0-0 >/dev/null)
  else
    echo "warning: libusb-1.0-0 is missing; open3d (geoarena-pc PLY/PCD I/O) will not import." >&2
    echo "         install it with: sudo apt-get install libusb-1.0-0" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip"
$PIP install -q --disable-pip-version-check "pip>=24,<26"
# torch first, exactly these builds: pip finds them on local disk here (uv/poetry would
# download ~3 GB of CUDA wheels instead).
$PIP install -q --disable-pip-version-check torch==2.14.1 torchvision==0.29.1
$PIP install -q --disable-pip-version-check -c requirements/constraints.txt \
  -e packages/core -e packages/eo -e packages/det -e packages/pc -e packages/nlp \
  -r requirements/dev.txt
$PIP check
echo "environment ready: $VENV"
