#!/usr/bin/env bash
# Train and test CPSP (fully supervised) on AVE-format data.
# Usage: bash tools/demo.sh [DATA_ROOT] [WORK_DIR] [EPOCHS] [NUM_VIDEOS]
# When DATA_ROOT holds no AVE features, a synthetic dataset in the real AVE
# file format is generated there first (tools/data/ave/generate_synthetic.py).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
DATA_ROOT=${1:-data/ave}
WORK_DIR=${2:-work_dirs/demo_cpsp_fully_ave}
EPOCHS=${3:-6}
NUM_VIDEOS=${4:-1000}
PY=${PYTHON:-.venv/bin/python}
CONFIG=configs/cpsp_fully_ave.py

if [ ! -f "$DATA_ROOT/audio_feature.h5" ]; then
    echo "No AVE features in $DATA_ROOT: generating a synthetic AVE-format dataset ($NUM_VIDEOS videos)."
    "$PY" tools/data/ave/generate_synthetic.py "$DATA_ROOT" --num-videos "$NUM_VIDEOS" --seed 0
fi

DATA_OPTIONS=(
    "train_dataloader.dataset.data_root=$DATA_ROOT"
    "val_dataloader.dataset.data_root=$DATA_ROOT"
    "test_dataloader.dataset.data_root=$DATA_ROOT"
)
rm -rf "$WORK_DIR"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
    --cfg-options "${DATA_OPTIONS[@]}" "train_cfg.max_epochs=$EPOCHS" \
    default_hooks.logger.interval=5

BEST=$(ls "$WORK_DIR"/best_avel_segment_acc_epoch_*.pth)
"$PY" tools/test.py "$CONFIG" "$BEST" --work-dir "$WORK_DIR" \
    --metrics-out "$WORK_DIR/test_metrics.json" \
    --dump "$WORK_DIR/test_predictions.pkl" \
    --cfg-options "${DATA_OPTIONS[@]}"

"$PY" - "$WORK_DIR" "$BEST" <<'PYEOF'
import collections
import json
import pickle
import sys

work_dir, best = sys.argv[1:]
metrics = json.load(open(f'{work_dir}/test_metrics.json'))
predictions = pickle.load(open(f'{work_dir}/test_predictions.pkl', 'rb'))
labels = collections.Counter(
    int(label) for p in predictions for label in p['gt_segment_labels'])
majority = 100 * max(labels.values()) / sum(labels.values())
print(f'\nCPSP (fully supervised), best validation checkpoint {best}')
for key in ('avel/segment_acc', 'avel/event_acc', 'avel/background_acc'):
    print(f'  test {key}: {metrics[key]:.2f} %')
print(f'  most frequent class on the test split: {majority:.2f} % of '
      f'{sum(labels.values())} segments (the accuracy of always '
      'predicting it)')
PYEOF
