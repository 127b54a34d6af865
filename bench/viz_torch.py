# The PyTorch mirror of bench/viz_bench.cpp: saliency (max over channels of |d logit / d x|) of a
# batch of LeNet-5 (include/cnnlab/models/lenet.hpp) images, one forward + one backward to the
# input with the parameters frozen, median over repeats after warm-up. Run by Debian's
# /usr/bin/python3 (torch 1.13) with OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(N).
#   viz_torch.py [--batch 64] [--repeats 50] [--threads 2]
import argparse
import statistics
import time

import torch
from torch import nn


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def saliency(model, x):
    x = x.clone().requires_grad_(True)
    logits = model(x)
    classes = logits.argmax(1)
    logits.gather(1, classes[:, None]).sum().backward()
    return x.grad.abs().amax(dim=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = lenet5().eval()
    for q in model.parameters():
        q.requires_grad_(False)
    x = torch.randn(a.batch, 1, 28, 28)
    for _ in range(5):
        saliency(model, x)
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        s = saliency(model, x)
        times.append(time.perf_counter() - t0)
        assert s.shape == (a.batch, 28, 28)
    print("RESULT impl=torch method=saliency batch=%d threads=%d median_ms=%.3f min_ms=%.3f"
          % (a.batch, a.threads, 1e3 * statistics.median(times), 1e3 * min(times)))


if __name__ == "__main__":
    main()
