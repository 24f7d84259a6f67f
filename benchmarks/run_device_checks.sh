#!/usr/bin/env bash
# Every check that needs the device machine (one CUDA GPU, 16 host cores),
# in one call, so that a session that is lent one can run it at once:
#
#   bash benchmarks/run_device_checks.sh            # from the repository root
#   PYTHON=/path/to/python OUT=/tmp/out bash benchmarks/run_device_checks.sh
#
# 1. benchmarks/bench_gpu.py at 100000 x 2048 vs 100000 x 2048 float32 on the
#    GPU (torch), with the same fit in NumPy on all host cores against the
#    host's float64 floor, and FourierCCA on 4000 x 16 x 16 x 128 maps on the
#    GPU vs the host cores; then the same with CuPy when it is installed;
# 2. the Array API tests (tests/test_array_api.py, and
#    tests/test_device_solve.py: the dense engine's decompositions run on the
#    device, never in NumPy/SciPy), which run their CUDA torch and CuPy cases
#    where those are available.
#
# Output goes to the terminal and to $OUT/device_checks.log (OUT defaults to
# the current directory). The exit status is non-zero if a check failed.
# Budget: about 5 minutes on an H200 (most of it the host comparison); pass
# QUICK=1 for a 20000 x 512 smoke run first.
set -u
PYTHON=${PYTHON:-python}
OUT=${OUT:-.}
LOG="$OUT/device_checks.log"
mkdir -p "$OUT"
status=0
run() {
    echo "\$ $*" | tee -a "$LOG"
    "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]}
    echo "(exit $rc)" | tee -a "$LOG"
    [ "$rc" -eq 0 ] || status=1
}
export SCIPY_ARRAY_API=1
size=()
[ "${QUICK:-0}" = 1 ] && size=(--n 20000 --p 512 --fourier-shape 1000 16 16 32)
{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
    nproc
    "$PYTHON" -c "import numpy, scipy, sklearn; print('numpy', numpy.__version__, 'scipy', scipy.__version__, 'sklearn', sklearn.__version__)"
    "$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
} 2>&1 | tee -a "$LOG"
run "$PYTHON" benchmarks/bench_gpu.py --backend torch --device cuda "${size[@]}"
if "$PYTHON" -c "import cupy" 2>/dev/null; then
    run "$PYTHON" benchmarks/bench_gpu.py --backend cupy --skip-cpu --skip-fourier "${size[@]}"
fi
# 3. sklearn_svcca.torch: compare_models on two ResNet-18-sized CNNs over
#    50000 inputs against the forward passes alone (and torch-cka if it is
#    installed there), then the torch tests on the GPU's host.
torch_n=()
[ "${QUICK:-0}" = 1 ] && torch_n=(--n 5000)
run "$PYTHON" benchmarks/bench_torch.py --mode gpu --device cuda --threads 16 "${torch_n[@]}"
run "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_array_api.py tests/test_device_solve.py tests/test_torch.py -rs
exit $status
