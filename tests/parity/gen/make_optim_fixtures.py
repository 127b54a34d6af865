#!/usr/bin/python3
"""Writes the optimizer parity fixtures tests/parity/fixtures/optim_*.safetensors (read by
tests/parity/optim_parity_test.cpp): three steps of torch.optim.SGD / Adam / AdamW, the learning
rates of torch.optim.lr_scheduler's StepLR, MultiStepLR, CosineAnnealingLR and LinearLR, and
torch.nn.utils.clip_grad_norm_.

Run with Debian's interpreter, which has torch 1.13:
    /usr/bin/python3 tests/parity/gen/make_optim_fixtures.py
It replaces only the optim_*.safetensors files (make_fixtures.py writes the others), computes in
float64 from float32-representable inputs, seeds each fixture from its name, and uses the same
hand-written safetensors writer as make_fixtures.py.
"""

import json
import math
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_fixtures import FIXTURE_DIR, SUFFIX, f32, seed_of, write_safetensors  # noqa: E402

PREFIX = "optim_"
WRITTEN = []


def write(name, op, args, tensors):
    seed = seed_of(name)
    args = dict(args, seed=seed)
    metadata = {"op": op, "args": json.dumps(args, sort_keys=True), "torch": torch.__version__}
    write_safetensors(FIXTURE_DIR / (name + SUFFIX), tensors, metadata)
    WRITTEN.append(name)


def scalar(value):
    return torch.tensor(float(value), dtype=torch.float64)


def away_from_zero(*shape, lo=0.5, hi=2.0):
    """Magnitudes in [lo, hi] with random signs: parameters whose float32 rounding error stays
    relative to a value of order 1."""
    mag = torch.rand(*shape, dtype=torch.float64) * (hi - lo) + lo
    sign = torch.where(torch.rand(*shape, dtype=torch.float64) < 0.5, -1.0, 1.0)
    return f32(mag * sign)


# ---- optimizer steps --------------------------------------------------------------------------

SHAPES = [(3, 4), (5,), (2, 3)]
STEPS = 3
LR_FACTORS = [1.0, 0.5, 0.25]  # the learning rate is changed between steps, as a schedule does


def optimizer_fixture(name, cls, options, grad_scales=(1.0, 1.0, 1.0)):
    """Parameters "param.<i>", then for each step k = 1..3 the learning rate "step<k>.lr", the
    gradients "step<k>.grad.<i>" (parameter 2 gets none at step 2, so it must be skipped and its
    step count lags) and the parameters after the step "step<k>.param.<i>"; the options as
    "options.<name>" (betas as [2], booleans as 0/1); PyTorch's state after the last step as
    "state.<i>.<buffer>" (step as float64)."""
    torch.manual_seed(seed_of(name))
    tensors = {}
    params = []
    for i, shape in enumerate(SHAPES):
        p = away_from_zero(*shape)
        tensors["param.%d" % i] = p.clone()
        params.append(p.clone().requires_grad_(True))
    opt = cls(params, **options)
    base_lr = options["lr"]
    for k in range(1, STEPS + 1):
        lr = base_lr * LR_FACTORS[k - 1]
        for group in opt.param_groups:
            group["lr"] = lr
        tensors["step%d.lr" % k] = scalar(lr)
        for i, p in enumerate(params):
            if k == 2 and i == 2:
                p.grad = None
                continue
            g = f32(torch.randn(p.shape, dtype=torch.float64) * grad_scales[k - 1])
            p.grad = g.clone()
            tensors["step%d.grad.%d" % (k, i)] = g
        opt.step()
        for i, p in enumerate(params):
            tensors["step%d.param.%d" % (k, i)] = p.detach().clone()
    for key, value in options.items():
        if key == "betas":
            tensors["options.betas"] = torch.tensor(value, dtype=torch.float64)
        else:
            tensors["options." + key] = scalar(value)
    state = opt.state_dict()["state"]
    for i, entry in state.items():
        for key, value in entry.items():
            if value is None:
                continue
            tensors["state.%d.%s" % (i, key)] = value.detach().to(torch.float64).clone()
    write(name, "optim." + cls.__name__, options, tensors)


def optimizer_fixtures():
    optimizer_fixture("optim_sgd", torch.optim.SGD, {"lr": 0.1})
    optimizer_fixture("optim_sgd_momentum", torch.optim.SGD,
                      {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01})
    optimizer_fixture("optim_sgd_nesterov", torch.optim.SGD,
                      {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.001, "nesterov": True})
    optimizer_fixture("optim_adam", torch.optim.Adam, {"lr": 0.01})
    optimizer_fixture("optim_adam_weight_decay", torch.optim.Adam,
                      {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1})
    # Gradients shrink at step 3, so the second moment falls and the running maximum matters.
    optimizer_fixture("optim_adam_amsgrad", torch.optim.Adam,
                      {"lr": 0.01, "weight_decay": 0.01, "amsgrad": True},
                      grad_scales=(1.0, 2.0, 0.1))
    optimizer_fixture("optim_adamw", torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1})
    optimizer_fixture("optim_adamw_amsgrad", torch.optim.AdamW,
                      {"lr": 0.01, "amsgrad": True}, grad_scales=(1.0, 2.0, 0.1))


# ---- learning-rate schedules ------------------------------------------------------------------

BASE_LR = 0.1
EPOCHS = 10


def epoch_lrs(make_scheduler, epochs=EPOCHS):
    """The learning rate in use during each epoch, stepping the scheduler after each epoch as a
    training loop does."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=BASE_LR)
    scheduler = make_scheduler(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()  # no gradient: a no-op that keeps the scheduler's order warning quiet
        scheduler.step()
    return torch.tensor(lrs, dtype=torch.float64)


def step_lrs(make_step_scheduler, make_epoch_scheduler, epochs, steps_per_epoch):
    """Per optimizer step: a warm-up scheduler stepped after every step and another scheduler
    stepped after every epoch, both on one optimizer (their factors multiply)."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=BASE_LR)
    warm = make_step_scheduler(opt)
    main = make_epoch_scheduler(opt)
    lrs = []
    for _ in range(epochs):
        for _ in range(steps_per_epoch):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            warm.step()
        main.step()
    return torch.tensor(lrs, dtype=torch.float64)


def schedule_fixture():
    """One tensor of learning rates per schedule; the C++ test holds the matching specs."""
    S = torch.optim.lr_scheduler
    tensors = {
        "base_lr": scalar(BASE_LR),
        # StepLR(step_size=3, gamma=0.5) = "step:3:0.5"
        "step": epoch_lrs(lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
        # MultiStepLR(milestones=[2, 5, 6], gamma=0.1) = "multistep:2,5,6"
        "multistep": epoch_lrs(lambda o: S.MultiStepLR(o, milestones=[2, 5, 6], gamma=0.1)),
        # CosineAnnealingLR(T_max=10, eta_min=1e-3) = "cosine:10:1e-3"
        "cosine": epoch_lrs(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=1e-3)),
        # CosineAnnealingLR(T_max=4) over 10 epochs (rises again after T_max) = "cosine:4"
        "cosine_past_t_max": epoch_lrs(lambda o: S.CosineAnnealingLR(o, T_max=4)),
        # LinearLR(start_factor=0.25, total_iters=6) per step, StepLR(2, 0.5) per epoch,
        # 4 epochs of 4 steps = "warmup:6:0.25+step:2:0.5"
        "warmup_steps_step": step_lrs(lambda o: S.LinearLR(o, start_factor=0.25, total_iters=6),
                                      lambda o: S.StepLR(o, step_size=2, gamma=0.5), 4, 4),
        # LinearLR(start_factor=0.1, total_iters=3) and CosineAnnealingLR(T_max=10), both per
        # epoch (ChainedScheduler) = "warmup:3epochs:0.1+cosine:10"
        "warmup_epochs_cosine": epoch_lrs(lambda o: S.ChainedScheduler(
            [S.LinearLR(o, start_factor=0.1, total_iters=3), S.CosineAnnealingLR(o, T_max=10)])),
    }
    write("optim_lr_schedules", "optim.lr_scheduler", {"base_lr": BASE_LR, "epochs": EPOCHS},
          tensors)


# ---- gradient clipping ------------------------------------------------------------------------


def clip_fixture():
    """Gradients "grad.<i>" and, per case, "<case>.max_norm", "<case>.norm_type", the returned
    "<case>.total_norm" and the clipped "<case>.grad.<i>"."""
    name = "optim_clip_grad_norm"
    torch.manual_seed(seed_of(name))
    grads = [f32(torch.randn(shape, dtype=torch.float64)) for shape in SHAPES]
    tensors = {"grad.%d" % i: g for i, g in enumerate(grads)}
    cases = {"l2_clipped": (1.0, 2.0), "l2_unclipped": (100.0, 2.0), "inf": (0.5, math.inf),
             "l1": (3.0, 1.0), "p3": (0.7, 3.0)}
    for case, (max_norm, norm_type) in cases.items():
        params = []
        for g in grads:
            p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
            p.grad = g.clone()
            params.append(p)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        tensors[case + ".max_norm"] = scalar(max_norm)
        tensors[case + ".norm_type"] = scalar(norm_type)
        tensors[case + ".total_norm"] = total.detach().to(torch.float64).reshape(())
        for i, p in enumerate(params):
            tensors["%s.grad.%d" % (case, i)] = p.grad.clone()
    write(name, "clip_grad_norm", {"cases": {k: [m, repr(t)] for k, (m, t) in cases.items()}}, tensors)


def main():
    torch.set_num_threads(1)  # fixed reduction order: regenerating gives identical bytes
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for old in FIXTURE_DIR.glob(PREFIX + "*" + SUFFIX):
        old.unlink()
    optimizer_fixtures()
    schedule_fixture()
    clip_fixture()
    if len(set(WRITTEN)) != len(WRITTEN):
        raise RuntimeError("duplicate fixture names")
    total = sum(p.stat().st_size for p in FIXTURE_DIR.glob(PREFIX + "*" + SUFFIX))
    print("wrote %d fixtures (%.1f KiB) to %s" % (len(WRITTEN), total / 1024, FIXTURE_DIR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
