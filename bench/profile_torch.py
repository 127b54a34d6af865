# PyTorch's side of the per-op-type profile of issue 4 ("where the time goes"): one training step
# (or eval forward) of the benchmark's models (bench/models_torch.py's builders, optimizer, data and
# memory format), its time split by op type with torch.profiler, the median over the timed steps,
# plus the same step timed without the profiler. Writes JSON for bench/compare_profiles.py.
#   profile_torch.py MODEL BATCH [--eval] [--threads N] [--steps S] [--warmup W] [--memory-format F] --json OUT
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch.autograd.profiler import record_function
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models_torch  # noqa: E402  (the same builders and batch as the timed benchmark)

# Categories, shared with bench/compare_profiles.py: the op types that cnnlab's `bench --json`
# by_type rows map to, and the parts of a step outside the layers.
# Module type name -> category, for forward ops (by the innermost module scope around them).
MODULE_CATEGORY = {
    "Conv2d": "conv", "BatchNorm2d": "batchnorm", "ReLU": "relu", "MaxPool2d": "pool",
    "AvgPool2d": "pool", "AdaptiveAvgPool2d": "pool", "Linear": "linear",
    "CifarBasicBlock": "residual", "BasicBlock": "residual", "Dropout": "other",
}
# Autograd node name -> category, for backward ops (the node whose evaluate_function wraps them).
NODE_CATEGORY = {
    "ConvolutionBackward0": "conv", "MkldnnConvolutionBackward0": "conv",
    "NativeBatchNormBackward0": "batchnorm",
    "ReluBackward0": "relu", "ThresholdBackward0": "relu",
    "MaxPool2DWithIndicesBackward0": "pool", "AdaptiveAvgPool2DBackward0": "pool",
    "MeanBackward1": "pool", "AvgPool2DBackward0": "pool",
    "AddmmBackward0": "linear", "TBackward0": "linear", "MmBackward0": "linear",
    "AddBackward0": "residual", "SliceBackward0": "residual", "ConstantPadNdBackward0": "residual",
    "NllLossBackward0": "loss", "LogSoftmaxBackward0": "loss",
    "torch::autograd::AccumulateGrad": "engine",
}
# NOTE: forward ops are attributed to the innermost module scope (as cnnlab's profiler does: a
# ResNet block's own residual add and shortcut are the block's "self"); backward ops to the
# autograd node that runs them, since PyTorch's backward runs outside any module scope. Whatever
# is left (the engine's ops outside a node, Python between ops, the profiler's own cost) is
# "unattributed": the profiled step's wall time minus the events' time.


def classify(name, inherited):
    """(category, pass) for an event: a scope marker sets the category of what runs inside it; the
    innermost module scope wins, other markers (autograd nodes, step parts) do not nest."""
    if name.startswith("module::"):
        return (MODULE_CATEGORY.get(name[8:], "other"), "forward")
    if inherited is not None:
        return inherited
    if name.startswith("autograd::engine::evaluate_function: "):
        node = name.split(": ", 1)[1]
        return (NODE_CATEGORY.get(node, "other"), "backward")
    if name in ("step::loss",):
        return ("loss", "forward")
    if name in ("step::optimizer", "step::zero_grad"):
        return ("optimizer" if name == "step::optimizer" else "zero_grad", "forward")
    return None


PROFILING = [False]  # the module scopes are opened only while a step is profiled


def add_module_scopes(model):
    """A record_function scope "module::<Type>" around every module's forward (pre/post hooks)."""
    stack = []

    def pre(module, inputs):
        if not PROFILING[0]:
            return
        rf = record_function("module::" + type(module).__name__)
        rf.__enter__()
        stack.append(rf)

    def post(module, inputs, output):
        if PROFILING[0]:
            stack.pop().__exit__(None, None, None)

    for m in model.modules():
        if type(m).__name__ != "Sequential":  # a Sequential runs no op of its own
            m.register_forward_pre_hook(pre)
            m.register_forward_hook(post)


def step_totals(events):
    """{category: {"forward": us, "backward": us}} from one step's function events (self times of
    every event, each credited to the category of its outermost classified ancestor)."""
    totals = {}

    def visit(ev, inherited):
        cat = classify(ev.name, inherited)
        key, pas = cat if cat is not None else ("other", "forward")
        slot = totals.setdefault(key, {"forward": 0.0, "backward": 0.0})
        slot[pas] += ev.self_cpu_time_total
        for child in ev.cpu_children:
            visit(child, cat)

    for ev in events:
        if ev.cpu_parent is None:
            visit(ev, None)
    return totals


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("batch", type=int)
    p.add_argument("--eval", action="store_true", help="eval forward without grad (default: train)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--memory-format", choices=["channels_last", "contiguous"], default="contiguous")
    p.add_argument("--json", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model, shape = models_torch.build(a.model)
    x, y = models_torch.random_batch(shape, a.batch)
    if a.memory_format == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    # The optimizer of models_torch.run_train.
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    model.train(not a.eval)

    def step():
        if a.eval:
            with torch.no_grad():
                out = model(x)
                float(out[0, 0])
            return
        with record_function("step::zero_grad"):
            opt.zero_grad()
        out = model(x)
        with record_function("step::loss"):
            loss = F.cross_entropy(out, y)
        loss.backward()
        with record_function("step::optimizer"):
            opt.step()
        loss.item()

    add_module_scopes(model)
    for i in range(a.warmup + 1):
        PROFILING[0] = i == a.warmup  # the last warm-up step pays the profiler's first-use cost
        step()
    # NOTE: plain and profiled steps alternate, as in `cnnlab bench`, so that a drift in the
    # machine's speed affects both alike.
    plain, per_step, walls = [], [], []
    for _ in range(a.steps):
        PROFILING[0] = False
        t0 = time.perf_counter()
        step()
        plain.append((time.perf_counter() - t0) * 1e3)
        PROFILING[0] = True
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            t0 = time.perf_counter()
            step()
            walls.append((time.perf_counter() - t0) * 1e3)
        per_step.append(step_totals(prof.events()))
    cats = sorted({c for s in per_step for c in s})
    by_cat = {}
    for c in cats:
        by_cat[c] = {pas + "_ms": statistics.median(s.get(c, {}).get(pas, 0.0) for s in per_step) / 1e3
                     for pas in ("forward", "backward")}
    attributed = [sum(v["forward"] + v["backward"] for v in s.values()) / 1e3 for s in per_step]
    gaps = [w - t for w, t in zip(walls, attributed)]
    result = {
        "side": "torch", "model": a.model, "batch": a.batch, "train": not a.eval,
        "threads": torch.get_num_threads(), "memory_format": a.memory_format,
        "steps": a.steps, "warmup": a.warmup, "torch_version": torch.__version__,
        "categories": by_cat,
        "unattributed_ms": statistics.median(gaps),
        "step_profiled_ms": statistics.median(walls),
        "step_ms": statistics.median(plain), "step_min_ms": min(plain), "step_max_ms": max(plain),
    }
    tmp = a.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, a.json)
    print(f"profile_torch.py: {a.model} b{a.batch} {'eval' if a.eval else 'train'} "
          f"{a.threads} threads {a.memory_format}: step {result['step_ms']:.2f} ms "
          f"(profiled {result['step_profiled_ms']:.2f} ms); wrote {a.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
