#!/usr/bin/python3
"""Writes the whole-model parity fixtures (tests/parity/fixtures/model_*.safetensors) and the
torchvision state_dict key lists (tests/parity/fixtures/torchvision_state_dicts.txt).

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14):
    /usr/bin/python3 tests/parity/gen/make_model_fixtures.py

A model's weights would not fit the fixture budget (resnet18 alone is 45 MB), so they are not
stored: every state_dict entry is filled with offset + scale * u, where u in (-1, 1) comes from a
small integer hash of the entry's name and the element's index (hash_uniform below; the C++ test
has the same function), rounded to float32. The fixture stores the (offset, scale) of each entry
("init.<name>"), the eval-mode logits, and for one training step (train mode, dropout off,
cross-entropy on fixed labels) the loss, logits, each gradient's L2 norm ("gnorm.<name>") and
sampled elements ("grad.<name>" at "index.<name>"), and sampled BatchNorm buffers after the step
("after.<name>"). The reference runs in float64. The input is hashed too ("input.<attempt>"); the
generator takes the first attempt whose float32 PyTorch logits and loss agree with float64 far
inside the test's float32 tolerance. (The C++ test compares gradients in float64 only: in
float32 some of the ~10^6 ReLU inputs always lie within rounding of 0, and a flipped kink moves
single gradients by percents.)
"""

import json
import math
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import torch_reference_models as zoo  # noqa: E402
from make_fixtures import write_safetensors  # noqa: E402

FIXTURE_DIR = ROOT / "tests" / "parity" / "fixtures"
SAMPLES = 16  # sampled elements per gradient / buffer
M32 = 0xFFFFFFFF
# The float32 tolerance of the C++ test (tests/parity/models_resnet_vgg_parity_test.cpp) for the
# logits and the loss: |a - b| <= LOGIT_RTOL * max|b|. An input is kept when PyTorch's own float32
# run uses less than MAX_TOLERANCE_USED of it. The C++ test compares gradients in float64 only;
# for information, the metadata records how much of a 1e-3 float32 gradient tolerance
# (|a - b| <= GRAD_RTOL * (|b| + rms(b)) + floor) PyTorch's float32 run would use.
LOGIT_RTOL = 1e-4
GRAD_RTOL = 1e-3
GRAD_FLOOR = 1e-4
MAX_TOLERANCE_USED = 0.1

# (fixture name, registry name, input shape (C, H, W), num_classes, batch[, float32 train rtol])
CASES = [
    ("model_resnet20", "resnet20", (3, 32, 32), 10, 2),
    ("model_resnet18_small", "resnet18", (3, 32, 32), 10, 2),
    ("model_vgg11_bn_small", "vgg11_bn", (3, 32, 32), 10, 2),
    ("model_alexnet_small", "alexnet", (3, 32, 32), 10, 2),
    ("model_alexnet_lrn_small", "alexnet_lrn", (1, 28, 28), 10, 2),
    ("model_googlenet_small", "googlenet", (3, 32, 32), 10, 2),
    ("model_googlenet_aux_small", "googlenet_aux", (1, 28, 28), 10, 2),
    # NOTE: a float32 train-mode step of Inception-v4 is ill-conditioned: its 4x4 and 2x2 maps
    # give train-mode BatchNorm 8 to 32 values per channel, and 40 such layers amplify float32
    # rounding to ~5e-3 of the logits in PyTorch itself (eval mode: 4e-7). Its float32 train
    # outputs therefore get the tolerance 0.1 (the optional sixth column, model_fixture's
    # train_rtol); float64 checks the step at full precision.
    ("model_inception_v4_small", "inception_v4", (3, 32, 32), 10, 2, 0.1),
    # The full (ImageNet) variants at the smallest input each takes: torchvision's stems, max
    # pools, adaptive pools (vgg's AdaptiveAvgPool2d(7) enlarges 2x2 to 7x7, alexnet's (6) 1x1 to
    # 6x6) and classifiers; inception_v4 at timm's minimum 75x75.
    # NOTE: at 64x64 the last stage of resnet50 and googlenet runs on 2x2 maps, 8 values per
    # channel for train-mode BatchNorm at batch 2, and PyTorch's own float32 step is 3e-5 to 2e-4
    # off its float64 step: their float32 train outputs get 1e-3 (eval and float64 stay as the
    # others). inception_v4's last 12 BatchNorms see 1x1 maps; at batch 2 (2 values per channel)
    # even float64 is ill-conditioned (two summation orders of PyTorch float64 differ by 1e-4 in
    # the gradients), so it runs at batch 8: float64 orders then agree to 1e-9 and its float32
    # step is as ill-conditioned as the small variant's (3e-3), hence 0.1.
    ("model_resnet18_full", "resnet18", (3, 64, 64), 10, 2),
    ("model_resnet50_full", "resnet50", (3, 64, 64), 10, 2, 1e-3),
    ("model_vgg11_bn_full", "vgg11_bn", (3, 64, 64), 10, 2),
    ("model_alexnet_full", "alexnet", (3, 64, 64), 10, 2),
    ("model_googlenet_full", "googlenet", (3, 64, 64), 10, 2, 1e-3),
    ("model_inception_v4_full", "inception_v4", (3, 75, 75), 10, 8, 0.1),
    # The rest of the registry (tests/parity/models_zoo_families_parity_test.cpp). The deeper
    # ResNets and the VGGs differ from the cases above only in depth (block counts, conv
    # configurations): their small variants at 3x32x32 suffice, as the full variants' stems,
    # pools and classifiers are those of resnet18/50 and vgg11_bn full. alexnet_lrn and
    # googlenet_aux full at 3x64x64 like alexnet and googlenet full; lenet5_classic, mlp (hidden
    # 256,128) and softmax at 1x28x28 (lenet5 has its own fixture, "lenet5").
    # NOTE: the optional seventh column is the number of sampled elements per gradient / buffer
    # (SAMPLES otherwise): the deep models keep 4 and every gradient's norm, to stay within the
    # fixture budget (tests/parity/fixtures_parity_test.cpp). resnet101 and resnet152 stack 23 and
    # 36 bottlenecks at 8x8 (32 values per channel for train-mode BatchNorm at batch 2): PyTorch's
    # own float32 train-mode logits are 6e-5 (resnet101) and 1.2e-4 to 3.6e-4 (resnet152, over
    # 37 inputs) off float64 (eval: 6e-7), so their float32 train outputs get 1e-3 and 3e-3 (eval
    # and float64 stay as the others). googlenet_aux full gets 1e-3 as googlenet full (PyTorch's
    # float32 step is up to 1.6e-4 off float64 over 50 inputs).
    ("model_resnet32", "resnet32", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_resnet44", "resnet44", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_resnet56", "resnet56", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_resnet110", "resnet110", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_resnet34_small", "resnet34", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_resnet101_small", "resnet101", (3, 32, 32), 10, 2, 1e-3, 4),
    ("model_resnet152_small", "resnet152", (3, 32, 32), 10, 2, 3e-3, 4),
    ("model_vgg11_small", "vgg11", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_vgg13_small", "vgg13", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_vgg13_bn_small", "vgg13_bn", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_vgg16_small", "vgg16", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_vgg16_bn_small", "vgg16_bn", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_vgg19_small", "vgg19", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_vgg19_bn_small", "vgg19_bn", (3, 32, 32), 10, 2, LOGIT_RTOL, 4),
    ("model_alexnet_lrn_full", "alexnet_lrn", (3, 64, 64), 10, 2),
    ("model_googlenet_aux_full", "googlenet_aux", (3, 64, 64), 10, 2, 1e-3, 4),
    ("model_lenet5_classic", "lenet5_classic", (1, 28, 28), 10, 2),
    ("model_mlp", "mlp", (1, 28, 28), 10, 2),
    ("model_softmax", "softmax", (1, 28, 28), 10, 2),
    # cnn_bn (issue 7's small CNN with BatchNorm) at 1x28x28: its pools floor 7 to 3.
    ("model_cnn_bn", "cnn_bn", (1, 28, 28), 10, 2),
]
LABELS = [3, 7, 0, 9, 5, 1, 8, 2]  # the first `batch` are a case's labels
AUX_WEIGHT = 0.3  # GoogLeNet's auxiliary losses (Szegedy et al. 2015; torchvision's recipe)


def fnv1a32(text):
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & M32
    return h


def hash_uniform(name, n):
    """n values in (-1, 1): element i is ((lowbias32(i * 0x9E3779B1 + fnv1a32(name)) >> 8) * 2 + 1)
    / 2^24 - 1, all in uint32 arithmetic. Exactly representable in float64."""
    x = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B1) + np.uint64(fnv1a32(name))) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & np.uint64(M32)
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    k = (x >> np.uint64(8)).astype(np.float64)
    return torch.from_numpy((2.0 * k + 1.0) / 16777216.0 - 1.0)


def init_of(name, t):
    """(offset, scale) of a state_dict entry: kaiming-uniform-like weights, BatchNorm statistics
    near their defaults."""
    if t.dtype == torch.int64:
        return 0.0, 0.0
    if name.endswith("running_var"):
        return 1.0, 0.5
    if name.endswith("running_mean"):
        return 0.0, 0.2
    if name.endswith("bias"):
        return 0.0, 0.1
    if t.dim() == 1:  # BatchNorm weight
        return 1.0, 0.3
    fan_in = t[0].numel()
    return 0.0, math.sqrt((6.0 if t.dim() == 4 else 3.0) / fan_in)


def hashed(name, shape, offset, scale):
    n = math.prod(shape)
    v = offset + scale * hash_uniform(name, n)
    return v.to(torch.float32).to(torch.float64).reshape(shape)


def sample_index(n, samples=SAMPLES):
    if n <= samples:
        return torch.arange(n, dtype=torch.int64)
    return torch.tensor(sorted(set(np.linspace(0, n - 1, samples).round().astype(np.int64).tolist())),
                        dtype=torch.int64)


def run(model, x, labels, dtype):
    """Eval logits, then one train-mode step (dropout kept off): loss, logits, grads, buffers."""
    model = model.to(dtype)
    x = x.to(dtype)
    model.eval()
    with torch.no_grad():
        logits_eval = model(x)
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.eval()  # masks come from different generators in cnnlab and PyTorch
    model.zero_grad()
    logits = model(x)
    if isinstance(logits, tuple):
        # GoogLeNet with aux classifiers (train mode): torchvision's recipe, loss(main) +
        # AUX_WEIGHT * (loss(aux1) + loss(aux2)); the C++ test builds the same loss.
        loss = F.cross_entropy(logits.logits, labels) + AUX_WEIGHT * (
            F.cross_entropy(logits.aux_logits1, labels) + F.cross_entropy(logits.aux_logits2, labels))
        logits = logits.logits
    else:
        loss = F.cross_entropy(logits, labels)
    loss.backward()
    grads = {k: p.grad.detach().clone() for k, p in model.named_parameters()}
    buffers = {k: b.detach().clone() for k, b in model.named_buffers() if b.dtype != torch.int64}
    return logits_eval, logits.detach(), loss.detach(), grads, buffers


def rel(a, b, floor=1e-30):
    """Largest |a - b| over the largest |b| or floor (the tests' scaled error)."""
    return ((a.double() - b.double()).abs().max() / b.double().abs().max().clamp_min(floor)).item()


def grad_floor(grads):
    """The absolute floor of the gradient comparison, below which a gradient counts as zero: GRAD_FLOOR times the largest RMS of any
    parameter's gradient. Conv biases in front of BatchNorm have gradients that are exactly 0 in
    exact arithmetic (BatchNorm subtracts the mean) and rounding noise in float32."""
    return GRAD_FLOOR * max((g.norm() / math.sqrt(g.numel())).item() for g in grads.values())


def grad_tolerance_used(g32, g64):
    """The largest fraction of a float32 gradient tolerance that PyTorch's float32 run uses,
    over every element of every gradient."""
    floor = grad_floor(g64)
    used = 0.0
    for k, b in g64.items():
        rms = (b.norm() / math.sqrt(b.numel())).item()
        tol = GRAD_RTOL * (b.abs() + rms) + floor
        used = max(used, ((g32[k].double() - b).abs() / tol).max().item())
    return used


def model_fixture(fixture, name, shape, num_classes, batch, train_rtol=LOGIT_RTOL,
                  samples=SAMPLES):
    """train_rtol: the float32 tolerance of the train-mode logits and loss (LOGIT_RTOL unless
    the case says otherwise; the C++ test uses the same value). samples: sampled elements per
    gradient / buffer (SAMPLES unless the case says otherwise; every gnorm is kept)."""
    model = zoo.make_model(name, shape, num_classes)
    state = model.state_dict()
    inits = {k: init_of(k, t) for k, t in state.items()}
    values = {k: (torch.zeros_like(t) if t.dtype == torch.int64 else hashed(k, t.shape, *inits[k]))
              for k, t in state.items()}
    labels = torch.tensor(LABELS[:batch], dtype=torch.int64)
    for attempt in range(50):
        x = hashed("input.%d" % attempt, (batch,) + tuple(shape), 0.0, 1.0)
        ref = zoo.make_model(name, shape, num_classes).double()
        ref.load_state_dict(values)
        r64 = run(ref, x, labels, torch.float64)
        ref32 = zoo.make_model(name, shape, num_classes)
        ref32.load_state_dict(values)
        r32 = run(ref32, x, labels, torch.float32)
        worst = max(rel(r32[0], r64[0]) / LOGIT_RTOL, rel(r32[1], r64[1]) / train_rtol,
                    rel(r32[2], r64[2]) / train_rtol)
        grad_used = grad_tolerance_used(r32[3], r64[3])
        if worst < MAX_TOLERANCE_USED:
            break
        print("%s: input attempt %d rejected (float32 PyTorch uses %.2g of the tolerance)"
              % (fixture, attempt, worst))
    else:
        raise RuntimeError(fixture + ": no input attempt with a stable float32 run")
    logits_eval, logits, loss, grads, buffers = r64
    tensors = {"input_attempt": torch.tensor(attempt, dtype=torch.int64), "labels": labels,
               "logits_eval": logits_eval, "logits_train": logits, "loss": loss}
    for k, t in state.items():
        tensors["init." + k] = torch.tensor(inits[k], dtype=torch.float64)
    for k, g in grads.items():
        idx = sample_index(g.numel(), samples)
        tensors["index." + k] = idx
        tensors["grad." + k] = g.reshape(-1)[idx]
        tensors["gnorm." + k] = g.norm()
    for k, b in buffers.items():
        idx = sample_index(b.numel(), samples)
        tensors["index." + k] = idx
        tensors["after." + k] = b.reshape(-1)[idx]
    args = {"model": name, "input_shape": list(shape), "num_classes": num_classes,
            "batch": batch, "labels": LABELS[:batch], "input_attempt": attempt,
            "float32_output_tolerance_used": float("%.3g" % worst),
            "float32_train_rtol": train_rtol,
            "float32_grad_tolerance_used": float("%.3g" % grad_used),
            **({"samples": samples} if samples != SAMPLES else {}),
            "weights": "offset + scale * hash_uniform(name), rounded to float32",
            "step": "train mode, dropout off, cross_entropy mean"
                    + (" + %g * (aux1 + aux2)" % AUX_WEIGHT if name == "googlenet_aux" else "")}
    metadata = {"op": "model", "args": json.dumps(args, sort_keys=True), "torch": torch.__version__}
    path = FIXTURE_DIR / (fixture + ".safetensors")
    write_safetensors(path, tensors, metadata)
    print("wrote %s (%.1f KiB, attempt %d, float32 PyTorch uses %.2g of the tolerance)"
          % (path.name, path.stat().st_size / 1024, attempt, worst))


def key_lists():
    """torchvision's state_dict names, shapes and dtypes, one entry a line:
    <model> <name> <dtype> <d0,d1,...>   (a scalar has the shape "-")."""
    import torchvision

    lines = ["# torchvision %s state_dict entries (tests/parity/gen/make_model_fixtures.py)"
             % torchvision.__version__]
    # (label, torchvision builder, its arguments); googlenet's builder defaults to aux_logits=True
    for name, builder, kwargs in [
            ("resnet18", "resnet18", {}), ("resnet50", "resnet50", {}), ("vgg11_bn", "vgg11_bn", {}),
            ("alexnet", "alexnet", {}),
            ("googlenet", "googlenet", {"aux_logits": False, "init_weights": True}),
            ("googlenet_aux", "googlenet", {"aux_logits": True, "init_weights": True})]:
        model = getattr(torchvision.models, builder)(weights=None, **kwargs)
        for k, t in sorted(model.state_dict().items()):
            shape = ",".join(str(d) for d in t.shape) or "-"
            lines.append("%s %s %s %s" % (name, k, "int64" if t.dtype == torch.int64 else "float32",
                                          shape))
    path = FIXTURE_DIR / "torchvision_state_dicts.txt"
    path.write_text("\n".join(lines) + "\n")
    print("wrote %s (%d entries)" % (path.name, len(lines) - 1))


TIMM_KEYS = "timm_inception_v4_state_dict"


def timm_key_list():
    """The state_dict entries of the timm inception_v4 twin (tools/torch_reference_models.py) at
    3x299x299 and 1000 classes, in key_lists()' format (timm is not packaged in Debian)."""
    model = zoo.make_model("inception_v4", (3, 299, 299), 1000)
    lines = ["# timm inception_v4 state_dict entries, from its twin in tools/"
             "torch_reference_models.py (tests/parity/gen/make_model_fixtures.py)"]
    for k, t in sorted(model.state_dict().items()):
        shape = ",".join(str(d) for d in t.shape) or "-"
        lines.append("inception_v4 %s %s %s" % (
            k, "int64" if t.dtype == torch.int64 else "float32", shape))
    path = FIXTURE_DIR / (TIMM_KEYS + ".txt")
    path.write_text("\n".join(lines) + "\n")
    print("wrote %s (%d entries)" % (path.name, len(lines) - 1))


def main():
    # Arguments: fixture names (CASES' first column, "torchvision_state_dicts" or TIMM_KEYS) to
    # write only those; none writes everything.
    wanted = set(sys.argv[1:])
    known = {case[0] for case in CASES} | {"torchvision_state_dicts", TIMM_KEYS}
    if wanted - known:
        raise SystemExit("unknown fixture names: %s (known: %s)"
                         % (", ".join(sorted(wanted - known)), ", ".join(sorted(known))))
    torch.set_num_threads(1)
    torch.manual_seed(0)  # only torchvision's initialisation draws; the weights are hashed
    for case in CASES:
        if not wanted or case[0] in wanted:
            model_fixture(*case)
    if not wanted or "torchvision_state_dicts" in wanted:
        key_lists()
    if not wanted or TIMM_KEYS in wanted:
        timm_key_list()
    return 0


if __name__ == "__main__":
    sys.exit(main())
