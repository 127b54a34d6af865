# The PyTorch side of the LeNet-5 benchmark (issue 4, parts a and b), the mirror of
# bench/lenet_cnnlab.cpp: same network (include/cnnlab/models/lenet.hpp), same data handling,
# same timed regions. Run by Debian's /usr/bin/python3 (torch 1.13) in PyTorch's best
# configuration for this machine: OPENBLAS_NUM_THREADS=1 (set by the driver) and
# torch.set_num_threads(N). Prints one "RESULT key=value ..." line for bench/run_bench.sh.
#   lenet_torch.py train BATCH | latency ITERS | throughput ITERS   [--threads N] [--data DIR]
import argparse
import gzip
import os
import statistics
import struct
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    """An IDX file (gzipped) as a numpy array of its stored dtype (uint8 for the MNIST family)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype == 0x08, f"{path}: not an unsigned-byte IDX file"
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    x = images.astype(np.float32)
    np.divide(x, np.float32(255.0), out=x)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(labels.astype(np.int64)), images


def lenet5():
    # include/cnnlab/models/lenet.hpp, default (ReLU / max-pool) form, same module indices.
    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
            self.classifier = nn.Sequential(
                nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

        def forward(self, x):
            return self.classifier(torch.flatten(self.features(x), 1))

    return LeNet5()


def run_train(x, y, batch):
    torch.manual_seed(1)
    model = lenet5()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    perm = torch.randperm(n)
    model.train()
    loss_sum, steps = 0.0, 0
    t0 = time.perf_counter()
    for b in range(0, n, batch):
        idx = perm[b : b + batch]
        xb, yb = x[idx], y[idx]
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += loss.item()
        steps += 1
    t = time.perf_counter() - t0
    print(f"RESULT kind=train batch={batch} seconds={t:.6f} steps={steps} "
          f"mean_loss={loss_sum / steps:.4f}", flush=True)


def run_infer(x, batch, iters):
    torch.manual_seed(1)
    model = lenet5()
    model.eval()
    xb = x[:batch].clone()
    warmup = max(10, iters // 20)
    checksum = 0.0
    with torch.no_grad():
        for _ in range(warmup):
            checksum += float(model(xb)[0, 0])
        times = []
        for _ in range(iters):
            t0 = time.perf_counter()
            out = model(xb)
            checksum += float(out[0, 0])
            times.append(time.perf_counter() - t0)
    print(f"RESULT kind=infer batch={batch} seconds={statistics.median(times):.9f} "
          f"iters={iters} checksum={checksum:.3f}", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "latency", "throughput"])
    p.add_argument("arg", type=int)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    x, y, raw = load(a.data, "train")
    # Statistics of the training pixels (x / 255), population std, as the C++ side computes them
    # in double; here exactly from the byte histogram, so that no large temporary inflates the
    # peak RSS.
    flat = raw.reshape(-1)
    hist = np.zeros(256, dtype=np.float64)
    for i in range(0, flat.size, 1 << 20):  # in chunks: bincount widens its input to int64
        hist += np.bincount(flat[i : i + (1 << 20)], minlength=256)
    v = np.arange(256, dtype=np.float64) / 255.0
    n = hist.sum()
    mean = float((hist * v).sum() / n)
    std = float(np.sqrt((hist * (v - mean) ** 2).sum() / n))
    del raw
    if a.mode == "train":
        x.sub_(mean).div_(std)  # in place, as the C++ side
        run_train(x, y, a.arg)
        return
    del x, y
    xt, _, _ = load(a.data, "test")
    xt.sub_(mean).div_(std)
    run_infer(xt, 1 if a.mode == "latency" else 256, a.arg)


if __name__ == "__main__":
    main()
