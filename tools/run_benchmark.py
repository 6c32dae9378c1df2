#!/usr/bin/env python
"""Run a GeoArena benchmark suite.

    python tools/run_benchmark.py --list
    python tools/run_benchmark.py                      # the default suite on embedded data
    python tools/run_benchmark.py --suite geobench-v1 --data-root /data/geobench --seeds 0,1,2
    python tools/run_benchmark.py --tasks eo/spacenet-atlanta-buildings --set train.lr=3e-4

Browse the runs with ``mlflow ui --backend-store-uri sqlite:///mlflow.db``.
"""

import sys

from geoarena.core.cli_benchmark import main

if __name__ == "__main__":
    sys.exit(main())
