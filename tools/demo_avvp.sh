#!/usr/bin/env bash
# Train and test an audio-visual video parsing model on LLP-format data.
# Usage: bash tools/demo_avvp.sh [DATA_ROOT] [WORK_DIR] [EPOCHS] [NUM_VIDEOS] [CONFIG]
# When DATA_ROOT holds no LLP annotations, a synthetic dataset in the real
# LLP file format is generated there first (tools/data/llp/generate_synthetic.py).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
DATA_ROOT=${1:-data/llp}
WORK_DIR=${2:-work_dirs/demo_cpsp_avvp_llp}
EPOCHS=${3:-6}
NUM_VIDEOS=${4:-1000}
CONFIG=${5:-configs/cpsp_avvp_llp.py}
PY=${PYTHON:-.venv/bin/python}

if [ ! -f "$DATA_ROOT/AVVP_train.csv" ]; then
    echo "No LLP annotations in $DATA_ROOT: generating a synthetic LLP-format dataset ($NUM_VIDEOS videos)."
    "$PY" tools/data/llp/generate_synthetic.py "$DATA_ROOT" --num-videos "$NUM_VIDEOS" --seed 0
fi

DATA_OPTIONS=(
    "train_dataloader.dataset.data_root=$DATA_ROOT"
    "val_dataloader.dataset.data_root=$DATA_ROOT"
    "test_dataloader.dataset.data_root=$DATA_ROOT"
)
rm -rf "$WORK_DIR"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
    --cfg-options "${DATA_OPTIONS[@]}" "train_cfg.max_epochs=$EPOCHS" \
    default_hooks.logger.interval=10

BEST=$(ls "$WORK_DIR"/best_avvp_segment_type_epoch_*.pth)
"$PY" tools/test.py "$CONFIG" "$BEST" --work-dir "$WORK_DIR" \
    --metrics-out "$WORK_DIR/test_metrics.json" \
    --dump "$WORK_DIR/test_predictions.pkl" \
    --cfg-options "${DATA_OPTIONS[@]}"

"$PY" - "$WORK_DIR" "$BEST" "$CONFIG" <<'PYEOF'
import json
import pickle
import sys

from mmcpsp.evaluation.metrics import majority_class_scores

work_dir, best, config = sys.argv[1:]
metrics = json.load(open(f'{work_dir}/test_metrics.json'))
predictions = pickle.load(open(f'{work_dir}/test_predictions.pkl', 'rb'))
baseline = majority_class_scores(predictions)
print(f'\n{config}, best validation checkpoint {best}')
print(f'{"test metric":28s} {"model":>7s} {"most frequent class":>20s}')
for key, value in metrics.items():
    if key.startswith('avvp/'):
        print(f'  {key:26s} {value:7.2f} {baseline[key]:20.2f}')
print('(most frequent class: the class annotated in most segments, '
      'predicted in every segment, heard and seen)')
PYEOF
