#!/usr/bin/env bash
# The --paper budget (10,000 steps per arm, batch 100, lambda 4000) on one GPU host, scratch
# schedule (both arms from step 0, as in the reference study), three seeds side by side.
#
# Each seed is one process on the GPU with its own data workers (the synthetic generator, not the
# GPU, limits the speed: 100 windows per step). Run from the repository root:
#
#     OUT=/tmp/out bash benchmarks/gpu/paper_scratch.sh
#
# Results: benchmarks/results/seismic_s_phase_synthetic_paper_scratch_seed{0,1,2}.json, and a
# tarball of them plus the per-seed work folders (curves, logs, predictions) in $OUT, which
# `python benchmarks/seismic_s_phase.py --paper --schedule scratch --work-dir <unpacked work>`
# summarises into one JSON and its figures on any machine.
#
# Provenance is written by each run into its JSON, at run time: the command, the commit
# (`git rev-parse HEAD`, or $SHAPELOSS_GIT_COMMIT on a host whose copy of the tree has no .git)
# and `device_info` (torch and its CUDA build, torch.cuda.get_device_name, memory, compute
# capability, the NVIDIA driver from nvidia-smi). device.txt below is only this host's log.
set -u
OUT=${OUT:-/tmp/shapeloss_gpu_out}
export SHAPELOSS_GIT_COMMIT=${SHAPELOSS_GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null)}
[ -n "$SHAPELOSS_GIT_COMMIT" ] || echo "warning: no .git and no SHAPELOSS_GIT_COMMIT: the JSONs will record no commit" >&2
WORKERS=${WORKERS:-4}
BUDGET=${BUDGET:-500}   # seconds per seed process before it is stopped (its checkpoints stay)
SEEDS=${SEEDS:-"0 1 2"}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/device.txt"
python3 -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__, 'cpus', __import__('os').cpu_count())" | tee -a "$OUT/device.txt"
start=$(date +%s)
for s in $SEEDS; do
  timeout "$BUDGET" python3 benchmarks/seismic_s_phase.py --paper --schedule scratch --seeds "$s" \
    --workers "$WORKERS" --threads 1 --device cuda --no-figures --work-dir work \
    --out "benchmarks/results/seismic_s_phase_synthetic_paper_scratch_seed$s.json" > "$OUT/paper_seed$s.log" 2>&1 &
done
wait
echo "all seeds: $(( $(date +%s) - start )) s" | tee -a "$OUT/device.txt"
tail -n 30 "$OUT"/paper_seed*.log
tar czf "$OUT/paper.tgz" benchmarks/results/seismic_s_phase_synthetic_paper_scratch_seed*.json \
  $(find work -name '*.jsonl' -o -name 'result.json' -o -name '*.npz') 2>/dev/null
ls -la "$OUT"
