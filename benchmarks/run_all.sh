#!/usr/bin/env bash
# Every benchmark, one after the other, each alone on the machine (under the CPU lock when one
# is given), with its log and the RESULT lines collected — the chain behind benchmarks/RESULTS.md.
#
#   bash benchmarks/run_all.sh OUT_DIR            # from the repository root, after `make env`
#
# TerraTorch's side of vs_terratorch runs in a venv of its own: TT_ENV names it (built there by
# the benchmark's --make-env when missing). LOCK names a lock file to hold around each benchmark
# (e.g. one shared with other jobs on the machine); ONLY="a b" runs a subset.
set -u
OUT=${1:?usage: run_all.sh OUT_DIR}
PY=${PYTHON:-.venv/bin/python}
TT_ENV=${TT_ENV:-${TMPDIR:-/tmp}/peer-terratorch}
mkdir -p "$OUT"

run() {  # run LOGNAME SCRIPT ARGS...
    local log=$1 script=$2
    shift 2
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $log "* ]]; then return 0; fi
    echo "== $(date -u +%H:%M:%S) $script $* (load $(cut -d' ' -f1-3 /proc/loadavg))"
    local cmd=("$PY" "benchmarks/$script.py" "$@")
    if [ -n "${LOCK:-}" ]; then cmd=(flock "$LOCK" "${cmd[@]}"); fi
    "${cmd[@]}" >"$OUT/$log.log" 2>&1
    echo "   exit $? — $(grep -c '^RESULT' "$OUT/$log.log") RESULT lines"
}

run loader_throughput loader_throughput --rounds 9
run step_overhead step_overhead --rounds 21
run chip_throughput chip_throughput --rounds 7
run vs_terratorch vs_terratorch --rounds 4 --no-iterate --tt-env "$TT_ENV" --make-env
run vs_terratorch_prithvi_tiny vs_terratorch --backbone prithvi-tiny --rounds 4 --no-iterate \
    --tt-env "$TT_ENV" --make-env
run sliced_detection sliced_detection --rounds 3
run scene_inference scene_inference --rounds 3
run geobench_aggregate geobench_aggregate --rounds 5
run sweep_scaling sweep_scaling --rounds 3
run logging_overhead logging_overhead --rounds 3
run pc_inference pc_inference --rounds 3
run geoparse_throughput geoparse_throughput --rounds 5

grep -h '^RESULT' "$OUT"/*.log | tee "$OUT/RESULTS.txt"
