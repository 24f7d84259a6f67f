"""sklearn_svcca.torch.compare_models against its floor: forward passes + moments.

Two modes:

- ``--mode cpu`` (default): two CNNs (``--model cnn``, the forward passes
  dominate) or two MLPs with four ``--width``-wide layers (``--model mlp``,
  the moments dominate), four compared layers each, over ``--n`` random
  3x32x32 images on the CPU. Timed in the same rounds:

  1. the forward passes alone (both models, batches of ``--batch``, under
     ``torch.no_grad()``, in eval mode);
  2. the moments of the same activations, recorded beforehand and reduced
     as compare_models reduces them (conv maps pooled in float64): each
     layer's mean and centered Gram matrix and every cross pair's
     cross-products, by the library's NumPy kernels (``view_moments``,
     ``cross_products``), which :func:`~sklearn_svcca.similarity_matrix`
     uses;
  3. ``compare_models(model_a, model_b, inputs, estimator=PWCCA())``:
     hooks, the streamed moments, and the fits of all 16 pairs.

  Target: (3) at most 1.3x of (1) + (2). The streamed matrix is also
  checked against ``similarity_matrix`` on the recorded activations.

- ``--mode gpu``: a ResNet-sized CNN (ResNet-18 layout, random weights)
  over ``--n`` (50000 by default) random 3x32x32 images on ``--device``
  (``cuda``), ``compare_models`` of two such networks against the forward
  passes alone; and torch-cka's ``CKA.compare`` when the ``torch_cka``
  package is installed (it averages minibatch CKAs, so it is not the same
  number). Not yet measured: no GPU was available when this was written.

Run::

    python benchmarks/bench_torch.py --repeat 3
    python benchmarks/bench_torch.py --mode gpu --device cuda

BLAS and torch threads are pinned (``--threads``, default 2) and reported.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn_svcca import PWCCA, similarity_matrix
from sklearn_svcca._linalg import cross_products, view_moments
from sklearn_svcca.torch import compare_models, record_activations


def small_cnn(seed, width):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, width // 2, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(width // 2, width, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(4),
        torch.nn.Flatten(),
        torch.nn.Linear(16 * width, width),
        torch.nn.ReLU(),
        torch.nn.Linear(width, 10),
    )


CPU_LAYERS = ["1", "4", "8", "9"]


def mlp(seed, width):
    """Four wide layers on a small input: the moments dominate the cost."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(3 * 32 * 32, width),
        torch.nn.ReLU(),
        torch.nn.Linear(width, width),
        torch.nn.ReLU(),
        torch.nn.Linear(width, width),
        torch.nn.Tanh(),
        torch.nn.Linear(width, width),
    )


MLP_LAYERS = ["2", "4", "6", "7"]


class _Block(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(cout)
        self.conv2 = torch.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(cout)
        self.skip = (
            torch.nn.Identity()
            if stride == 1 and cin == cout
            else torch.nn.Sequential(
                torch.nn.Conv2d(cin, cout, 1, stride, bias=False),
                torch.nn.BatchNorm2d(cout),
            )
        )

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.skip(x))


def resnet18(seed):
    """ResNet-18's layout for 32x32 inputs (11M parameters), random weights."""
    torch.manual_seed(seed)
    layers = [torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(64)]
    layers.append(torch.nn.ReLU())
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [_Block(cin, cout, stride), _Block(cout, cout, 1)]
        cin = cout
    layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()]
    layers.append(torch.nn.Linear(512, 10))
    return torch.nn.Sequential(*layers)


GPU_LAYERS = ["4", "6", "8", "10", "13"]  # after each stage, then the logits


def forward_only(models, inputs, batch, sync):
    with torch.no_grad():
        for model in models:
            model.eval()
        for chunk in inputs.split(batch):
            for model in models:
                model(chunk)
    sync()


def recorded_moments(layers_a, layers_b):
    views_a = [view_moments(a) for a in layers_a]
    views_b = [view_moments(b) for b in layers_b]
    for a, (ma, _) in zip(layers_a, views_a, strict=True):
        for b, (mb, _) in zip(layers_b, views_b, strict=True):
            cross_products(a, b, ma, mb)


def pooled(acts):
    return {
        k: v.astype(np.float64).mean(axis=(1, 2)) if v.ndim == 4 else v
        for k, v in acts.items()
    }


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def bench_cpu(args):
    make, layers = (small_cnn, CPU_LAYERS) if args.model == "cnn" else (mlp, MLP_LAYERS)
    a, b = make(0, args.width), make(1, args.width)
    inputs = torch.randn(args.n, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    rec_a = pooled(record_activations(a, inputs, layers, batch_size=args.batch))
    rec_b = pooled(record_activations(b, inputs, layers, batch_size=args.batch))
    arrays_a, arrays_b = list(rec_a.values()), list(rec_b.values())
    widths = [x.shape[1] for x in arrays_a]
    print(f"two {args.model}s, layers {layers} of widths {widths} (conv maps pooled)")
    print(f"n = {args.n} inputs of 3x32x32, batches of {args.batch}")

    times = {"forward": [], "moments": [], "compare_models": []}
    result = None
    for _ in range(args.repeat):
        times["forward"].append(
            timed(forward_only, [a, b], inputs, args.batch, lambda: None)[0]
        )
        times["moments"].append(timed(recorded_moments, arrays_a, arrays_b)[0])
        t, result = timed(
            compare_models,
            a,
            b,
            inputs,
            layers_a=layers,
            layers_b=layers,
            estimator=PWCCA(),
            batch_size=args.batch,
        )
        times["compare_models"].append(t)
    med = {k: statistics.median(v) for k, v in times.items()}
    floor = med["forward"] + med["moments"]
    for k, v in med.items():
        print(f"  {k:<16} {v:8.3f} s")
    print(f"  {'floor':<16} {floor:8.3f} s  (forward + moments)")
    ratio = med["compare_models"] / floor
    verdict = "met" if ratio <= 1.3 else "NOT met"
    print(f"compare_models / floor = {ratio:.2f}  (target <= 1.3: {verdict})")
    expected = similarity_matrix(rec_a, rec_b, estimator=PWCCA())
    err = np.abs(result.similarities - expected.similarities).max()
    print(f"max |streamed - similarity_matrix| = {err:.1e}")


def bench_gpu(args):
    device = torch.device(args.device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    a, b = resnet18(0).to(device), resnet18(1).to(device)
    inputs = torch.randn(args.n, 3, 32, 32, device=device)
    print(f"two ResNet-18 (random weights) on {device}, layers {GPU_LAYERS}")
    print(f"n = {args.n} inputs of 3x32x32, batches of {args.batch}")
    forward_only([a, b], inputs[: args.batch], args.batch, sync)  # warm up
    times = {"forward": [], "compare_models": []}
    for _ in range(args.repeat):
        times["forward"].append(
            timed(forward_only, [a, b], inputs, args.batch, sync)[0]
        )
        start = time.perf_counter()
        compare_models(
            a,
            b,
            inputs,
            layers_a=GPU_LAYERS,
            layers_b=GPU_LAYERS,
            estimator=PWCCA(),
            batch_size=args.batch,
        )
        sync()
        times["compare_models"].append(time.perf_counter() - start)
    try:
        from torch_cka import CKA
    except ImportError:
        print("torch_cka is not installed: its comparison is skipped")
    else:
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(inputs), batch_size=args.batch
        )
        cka = CKA(
            a, b, model1_layers=GPU_LAYERS, model2_layers=GPU_LAYERS, device=device
        )
        times["torch-cka"] = [timed(cka.compare, loader)[0] for _ in range(args.repeat)]
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items():
        print(f"  {k:<16} {v:8.3f} s  ({v / med['forward']:.2f}x forward)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--model", choices=["cnn", "mlp"], default="cnn")
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    if args.n is None:
        args.n = 20_000 if args.mode == "cpu" else 50_000
    torch.set_num_threads(args.threads)
    with threadpool_limits(args.threads):
        libs = {(i["internal_api"], i["num_threads"]) for i in threadpool_info()}
        print(
            f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
            f"numpy {np.__version__}, threads: torch {torch.get_num_threads()}, "
            f"BLAS {sorted(libs)}"
        )
        (bench_cpu if args.mode == "cpu" else bench_gpu)(args)


if __name__ == "__main__":
    main()
