#!/usr/bin/python3
"""Writes the parity fixtures of the gradient-based visualizations (include/cnnlab/viz/
gradients.hpp) to tests/parity/fixtures/viz/viz_<case>.safetensors.

Run with Debian's interpreter (python3-torch 1.13):
    /usr/bin/python3 tests/parity/gen/make_viz_fixtures.py [CASE...]

The models are the twins of tools/torch_reference_models.py with hashed weights, exactly as
make_model_fixtures.py makes them (the fixture stores each state_dict entry's (offset, scale) as
"init.<name>"; the C++ test refills the registry model from them), in eval mode. The input is
hashed too ("viz_input.<attempt>"). For the classes `classes` (the predicted ones when a case
gives none) the fixture holds, computed in float64:
  logits       (N, K)
  saliency     (N, H, W)     max over channels of |d logit_c / d x| (Simonyan et al. 2014)
  guided       (N, C, H, W)  guided backprop: a full backward hook on every nn.ReLU that clamps
                             the ReLU's input gradient at 0 (Springenberg et al. 2015)
  deconvnet    (N, C, H, W)  the same hook returning max(grad_output, 0) (Zeiler & Fergus 2014)
  gradcam.<layer> (N, H, W)  Grad-CAM (Selvaraju et al. 2017): w = dS/dA averaged over h, w,
                             ReLU(sum_k w_k A_k), F.interpolate(bilinear, align_corners=False)
                             to (H, W), divided by its maximum per image
The generator keeps the first input attempt whose float32 PyTorch maps agree with float64 to a
tenth of the C++ test's float32 tolerance (|a - b| <= 1e-4 * max|b| per tensor), so that no ReLU
or max-pool kink lies within float32 rounding. As a check of the hook implementation, guided
backprop and deconvnet are also computed a second way (ReLU replaced by a torch.autograd.Function
with the modified backward) and must agree.
"""

import json
import pathlib
import sys

import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(HERE))

import torch_reference_models as zoo  # noqa: E402
from make_fixtures import write_safetensors  # noqa: E402
from make_model_fixtures import hashed, init_of  # noqa: E402

FIXTURE_DIR = ROOT / "tests" / "parity" / "fixtures" / "viz"
RTOL = 1e-4  # the C++ test's float32 tolerance, relative to each tensor's largest magnitude
MAX_TOLERANCE_USED = 0.1

# (fixture name, registry name, input (C, H, W), batch, classes (None: predicted), Grad-CAM layers)
CASES = [
    ("viz_lenet5", "lenet5", (1, 28, 28), 2, [3, 7], ["features.3", "features.0"]),
    ("viz_resnet20", "resnet20", (3, 32, 32), 1, None, ["layer3", "layer2.1.conv2"]),
]


def build(name, shape, values, dtype):
    model = zoo.make_model(name, shape, 10)
    model.load_state_dict(values)
    model = model.to(dtype).eval()
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False  # full backward hooks refuse in-place outputs
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def input_gradient(model, x, classes, relu_hook=None):
    handles = []
    if relu_hook is not None:
        handles = [m.register_full_backward_hook(relu_hook) for m in model.modules()
                   if isinstance(m, torch.nn.ReLU)]
    x = x.clone().requires_grad_(True)
    logits = model(x)
    logits.gather(1, classes[:, None]).sum().backward()
    for h in handles:
        h.remove()
    return logits.detach(), x.grad.detach()


class _ModifiedRelu(torch.autograd.Function):
    """ReLU whose backward is guided (mode "guided") or deconvnet's (mode "deconvnet"): the
    second, independent implementation that checks the hooks."""

    @staticmethod
    def forward(ctx, x, mode):
        ctx.save_for_backward(x)
        ctx.mode = mode
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.mode == "guided":
            return g.clamp(min=0) * (x > 0).to(g.dtype), None
        return g.clamp(min=0), None


class _ReluAs(torch.nn.Module):
    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def forward(self, x):
        return _ModifiedRelu.apply(x, self.mode)


def swap_relus(model, mode):
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, torch.nn.ReLU):
                setattr(module, child_name, _ReluAs(mode))
    return model


def grad_cam(model, x, classes, layer):
    store = {}

    def hook(module, inputs, output):
        output = output.detach().requires_grad_(True)
        store["a"] = output
        return output

    handle = model.get_submodule(layer).register_forward_hook(hook)
    logits = model(x)
    handle.remove()
    logits.gather(1, classes[:, None]).sum().backward()
    a = store["a"]
    weights = a.grad.mean(dim=(2, 3), keepdim=True)
    raw = F.relu((weights * a.detach()).sum(dim=1))
    up = F.interpolate(raw[:, None], size=tuple(x.shape[2:]), mode="bilinear",
                       align_corners=False)[:, 0]
    top = up.amax(dim=(1, 2), keepdim=True)
    assert (top > 0).all(), "%s: a Grad-CAM map is 0 everywhere; pick another class" % layer
    return up / top


def maps(name, shape, values, x, requested, layers, dtype):
    model = build(name, shape, values, dtype)
    x = x.to(dtype)
    with torch.no_grad():
        logits = model(x)
    classes = (torch.tensor(requested, dtype=torch.int64) if requested is not None
               else logits.argmax(1))
    out = {"logits": logits}
    _, g = input_gradient(model, x, classes)
    out["saliency"] = g.abs().amax(dim=1)
    _, out["guided"] = input_gradient(model, x, classes,
                                      lambda m, gin, gout: (gin[0].clamp(min=0),))
    _, out["deconvnet"] = input_gradient(model, x, classes,
                                         lambda m, gin, gout: (gout[0].clamp(min=0),))
    for mode in ("guided", "deconvnet"):
        _, check = input_gradient(swap_relus(build(name, shape, values, dtype), mode), x, classes)
        assert torch.allclose(check, out[mode], rtol=1e-6, atol=1e-7 * check.abs().max().item()), (
            "%s: the ReLU hook and the autograd.Function %s disagree" % (name, mode))
    for layer in layers:
        out["gradcam." + layer] = grad_cam(model, x, classes, layer)
    return classes, out


def rel(a, b):
    return ((a.double() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-30)).item()


def viz_fixture(fixture, name, shape, batch, requested, layers):
    state = zoo.make_model(name, shape, 10).state_dict()
    inits = {k: init_of(k, t) for k, t in state.items()}
    values = {k: (torch.zeros_like(t) if t.dtype == torch.int64 else hashed(k, t.shape, *inits[k]))
              for k, t in state.items()}
    for attempt in range(50):
        x = hashed("viz_input.%d" % attempt, (batch,) + tuple(shape), 0.0, 1.0)
        classes, r64 = maps(name, shape, values, x, requested, layers, torch.float64)
        classes32, r32 = maps(name, shape, values, x, requested, layers, torch.float32)
        worst = max(rel(r32[k], r64[k]) for k in r64) / RTOL
        if worst < MAX_TOLERANCE_USED and torch.equal(classes, classes32):
            break
        print("%s: input attempt %d rejected (float32 PyTorch uses %.2g of the tolerance)"
              % (fixture, attempt, worst))
    else:
        raise RuntimeError(fixture + ": no input attempt with a stable float32 run")
    tensors = {"input_attempt": torch.tensor(attempt, dtype=torch.int64), "classes": classes}
    for k in sorted(state):
        tensors["init." + k] = torch.tensor(inits[k], dtype=torch.float64)
    tensors.update(r64)
    args = {"model": name, "input_shape": list(shape), "num_classes": 10, "batch": batch,
            "classes": "predicted" if requested is None else requested, "layers": layers,
            "input_attempt": attempt, "float32_tolerance_used": float("%.3g" % worst),
            "weights": "offset + scale * hash_uniform(name), rounded to float32 (make_model_fixtures.py)",
            "input": "hash_uniform('viz_input.<attempt>'), rounded to float32"}
    metadata = {"op": "viz_gradients", "args": json.dumps(args, sort_keys=True),
                "torch": torch.__version__}
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    path = FIXTURE_DIR / (fixture + ".safetensors")
    write_safetensors(path, tensors, metadata)
    print("wrote %s (%.1f KiB, attempt %d, float32 PyTorch uses %.2g of the tolerance)"
          % (path.relative_to(ROOT), path.stat().st_size / 1024, attempt, worst))


def main():
    wanted = set(sys.argv[1:])
    known = {case[0] for case in CASES}
    if wanted - known:
        raise SystemExit("unknown fixture names: %s (known: %s)"
                         % (", ".join(sorted(wanted - known)), ", ".join(sorted(known))))
    torch.set_num_threads(1)
    torch.manual_seed(0)  # only the twins' initialisation draws; the weights are hashed
    for case in CASES:
        if not wanted or case[0] in wanted:
            viz_fixture(*case)


if __name__ == "__main__":
    main()
