#!/bin/bash
# Submit a whole sweep to Slurm: create the study once (here, on the login node), start WORKERS
# array tasks on it, then the final seed runs once the array has ended.
#   WORKERS=8 STUDY=eo-tiny N_TRIALS=40 EXPERIMENT=experiments/eo_tiny_finetune.py \
#   GEOARENA_SWEEP_STORAGE=postgresql://... MLFLOW_TRACKING_URI=http://... docker/slurm/submit.sh
set -euo pipefail

: "${GEOARENA_SWEEP_STORAGE:?export GEOARENA_SWEEP_STORAGE=postgresql://USER:PASSWORD@HOST:5432/optuna}"
: "${MLFLOW_TRACKING_URI:?export MLFLOW_TRACKING_URI=http://MLFLOW_HOST:5000}"
export EXPERIMENT="${EXPERIMENT:-experiments/eo_tiny_finetune.py}"
export STUDY="${STUDY:-eo-tiny}"
export N_TRIALS="${N_TRIALS:-40}"
WORKERS="${WORKERS:-8}"
PYTHON="${GEOARENA_PYTHON:-python}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

mkdir -p logs results/sweeps
export GEOARENA_SWEEP_STORAGE MLFLOW_TRACKING_URI  # read from the environment, not argv
"$PYTHON" tools/sweep.py "$EXPERIMENT" --study "$STUDY" --n-trials "$N_TRIALS" --create-only

array_id="$(sbatch --parsable --export=ALL --array="0-$((WORKERS - 1))" "$HERE/sweep_array.sbatch")"
final_id="$(sbatch --parsable --export=ALL --dependency="afterany:${array_id}" "$HERE/sweep_final.sbatch")"
echo "workers: job ${array_id} (${WORKERS} tasks); final seed runs: job ${final_id}"
# shown unexpanded: the URL holds the database password
echo "watch:   optuna-dashboard \"\$GEOARENA_SWEEP_STORAGE\"   |   MLflow UI (see docs/security.md)"
