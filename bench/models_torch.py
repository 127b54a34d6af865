# The PyTorch side of issue 4's benchmark parts (c), (d) and (e), the mirror of
# bench/models_cnnlab.cpp: same architectures (ResNet-20 from tools/torch_reference_models.py;
# VGG-11-BN built here without torchvision, checked against that file's twin), same optimizer, same
# timed regions, random 3x32x32 data; and part (g) of issue 6, one style-transfer iteration on VGG-19
# (run_style). Run by Debian's /usr/bin/python3 (torch 1.13) in PyTorch's best configuration:
# OPENBLAS_NUM_THREADS=1 (set by the driver), torch.set_num_threads(N), channels_last where chosen.
# Prints one "RESULT key=value ..." line for bench/run_bench.sh.
#   models_torch.py params MODEL | train MODEL BATCH | eval MODEL BATCH | conv-forward | conv-backward
#                   | style SIZE
#                   [--steps S] [--warmup W] [--threads N] [--memory-format channels_last|contiguous]
import argparse
import importlib
import os
import statistics
import sys
import time
import types

import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "bench"))


def vgg11_bn(num_classes=10):
    """VGG-11 with BatchNorm, the small-input variant of include/cnnlab/models/vgg.hpp for 3x32x32:
    torchvision's vgg11_bn layout and parameter names ("features.0.weight", ...; all five max pools
    kept at 32x32), avgpool AdaptiveAvgPool2d(1), classifier 0 Linear(512, 512) 1 ReLU 2 Dropout(0.5)
    3 Linear(512, 512) 4 ReLU 5 Dropout(0.5) 6 Linear(512, num_classes). Initialised as torchvision
    (and vgg.cpp). Built here rather than from torchvision so that the benchmark needs only torch."""
    layers, c = [], 3
    for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            c = v

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(
                nn.Linear(512, 512), nn.ReLU(True), nn.Dropout(0.5),
                nn.Linear(512, 512), nn.ReLU(True), nn.Dropout(0.5),
                nn.Linear(512, num_classes))
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    return VGG()


def import_zoo():
    """tools/torch_reference_models.py (the PyTorch twins of cnnlab's registry), imported without
    loading torchvision until something in it is used."""
    # NOTE: the zoo imports torchvision at the top, which adds about 40 MB to the process's peak RSS
    # that the benchmark would charge to PyTorch; ResNet-20 needs only torch. A stand-in module
    # loads the real torchvision on the first attribute access.
    if "torchvision" not in sys.modules:
        stub = types.ModuleType("torchvision")

        def load_real(name):
            del sys.modules["torchvision"]
            return getattr(importlib.import_module("torchvision"), name)

        stub.__getattr__ = load_real
        sys.modules["torchvision"] = stub
    import torch_reference_models

    return torch_reference_models


def build(name):
    """(model, input shape (C, H, W)) for a registry name."""
    if name == "resnet20":
        return import_zoo().make_model("resnet20", (3, 32, 32), 10), (3, 32, 32)
    if name == "vgg11_bn":
        return vgg11_bn(10), (3, 32, 32)
    if name == "resnet50":  # torchvision's, at ImageNet size, as cnnlab's registry builds it there
        import torchvision

        return torchvision.models.resnet50(weights=None), (3, 224, 224)
    if name == "lenet5":  # for trying the program out
        from lenet_torch import lenet5

        return lenet5(), (1, 28, 28)
    raise SystemExit(f"models_torch.py: unknown model '{name}'")


def num_params(model):
    return sum(p.numel() for p in model.parameters())


def random_batch(shape, batch):
    g = torch.Generator().manual_seed(1)
    x = torch.randn((batch, *shape), generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)
    return x, y


def fmt_of(a):
    return torch.channels_last if a.memory_format == "channels_last" else torch.contiguous_format


def run_params(a):
    model, shape = build(a.model)
    if a.model == "vgg11_bn":
        # The twin built here must be the zoo's (and so cnnlab's) network: same names and shapes.
        try:
            ref = import_zoo().make_model(a.model, shape, 10)
        except ImportError as err:  # the zoo's VGG needs torchvision; the count is still checked
            print(f"models_torch.py: not comparing vgg11_bn with the zoo's: {err}", file=sys.stderr)
            ref = model
        mine = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
        theirs = [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
        if mine != theirs:
            raise SystemExit(f"models_torch.py: vgg11_bn differs from tools/torch_reference_models.py")
    print(f"RESULT kind=params model={a.model} seconds=0 params={num_params(model)}", flush=True)


def run_train(a):
    torch.manual_seed(1)
    model, shape = build(a.model)
    x, y = random_batch(shape, a.batch)
    if a.memory_format == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    model.train()
    times, first = [], None
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        last = loss.item()
        t = time.perf_counter() - t0
        first = last if first is None else first
        if i >= a.warmup:
            times.append(t)
    print(f"RESULT kind=train model={a.model} batch={a.batch} seconds={statistics.median(times):.6f} "
          f"min={min(times):.6f} steps={a.steps} warmup={a.warmup} threads={torch.get_num_threads()} "
          f"params={num_params(model)} format={a.memory_format} loss_first={first:.4f} "
          f"loss_last={last:.4f}", flush=True)


def run_eval(a):
    torch.manual_seed(1)
    model, shape = build(a.model)
    x, _ = random_batch(shape, a.batch)
    if a.memory_format == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    model.eval()
    times, checksum = [], 0.0
    with torch.no_grad():
        for i in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            out = model(x)
            checksum += float(out[0, 0])
            t = time.perf_counter() - t0
            if i >= a.warmup:
                times.append(t)
    print(f"RESULT kind=eval model={a.model} batch={a.batch} seconds={statistics.median(times):.6f} "
          f"min={min(times):.6f} steps={a.steps} warmup={a.warmup} threads={torch.get_num_threads()} "
          f"params={num_params(model)} format={a.memory_format} checksum={checksum:.4f}", flush=True)


def run_conv(a, backward):
    # Conv2d(16, 16, 3, padding=1, bias) on (128, 16, 32, 32); see models_cnnlab.cpp for the FLOPs.
    n, c, h, w, k = 128, 16, 32, 32, 3
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, c, h, w, generator=g)
    weight = (torch.rand(c, c, k, k, generator=g) * 2 - 1) / 12
    bias = (torch.rand(c, generator=g) * 2 - 1) / 12
    dy = torch.randn(n, c, h, w, generator=g)
    if a.memory_format == "channels_last":
        x, dy = (t.contiguous(memory_format=torch.channels_last) for t in (x, dy))
        weight = weight.contiguous(memory_format=torch.channels_last)
    fwd_flops = 2.0 * n * c * h * w * c * k * k
    times, checksum = [], 0.0
    if not backward:
        with torch.no_grad():
            for i in range(a.warmup + a.steps):
                t0 = time.perf_counter()
                out = F.conv2d(x, weight, bias, padding=1)
                t = time.perf_counter() - t0
                checksum += float(out[0, 0, 0, 0])
                if i >= a.warmup:
                    times.append(t)
    else:
        x.requires_grad_()
        weight.requires_grad_()
        bias.requires_grad_()
        for i in range(a.warmup + a.steps):
            x.grad = weight.grad = bias.grad = None
            out = F.conv2d(x, weight, bias, padding=1)
            t0 = time.perf_counter()
            out.backward(dy)
            t = time.perf_counter() - t0
            checksum += float(x.grad[0, 0, 0, 0]) + float(weight.grad[0, 0, 0, 0])
            if i >= a.warmup:
                times.append(t)
    flops = 2 * fwd_flops if backward else fwd_flops
    med = statistics.median(times)
    print(f"RESULT kind=conv pass={'backward' if backward else 'forward'} seconds={med:.6f} "
          f"min={min(times):.6f} gflops={flops / med * 1e-9:.2f} flops={flops:.0f} steps={a.steps} "
          f"threads={torch.get_num_threads()} format={a.memory_format} checksum={checksum:.4f}",
          flush=True)


def vgg19_features_to_conv5_1():
    """torchvision's vgg19().features[:29] (cfg "E" up to conv5_1 = features.28), built here without
    torchvision, initialised as torchvision (kaiming_normal_ fan_out, bias 0). NOTE: ReLU(inplace=False),
    as in PyTorch's neural-style tutorial: an in-place ReLU would overwrite the captured conv outputs."""
    layers, c = [], 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            conv = nn.Conv2d(c, v, 3, padding=1)
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(conv.bias)
            layers += [conv, nn.ReLU(inplace=False)]
            c = v
    return nn.Sequential(*layers[:29])


def gram(f):
    n, c, h, w = f.shape
    f = f.reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def run_style(a):
    """Part (g), the mirror of models_cnnlab.cpp's run_style: per iteration zero the image's grad, forward
    through features[:29] keeping the outputs of features.0, 5, 10, 19, 28 (style, weight 0.2 each, Gram
    error relative to the target's squared norm) and features.21 (content, relative squared error), TV
    (sum of squared right/down differences over the (H-1)x(W-1) grid / numel, weight 1e-3), backward to
    the pixels; parameters frozen. The usual PyTorch neural-style loop."""
    size = int(a.model)
    torch.manual_seed(1)
    feats = vgg19_features_to_conv5_1().eval()
    for p in feats.parameters():
        p.requires_grad_(False)
    style_idx, content_idx = [0, 5, 10, 19, 28], 21
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    fmt = fmt_of(a)
    if a.memory_format == "channels_last":
        feats = feats.to(memory_format=torch.channels_last)

    def features(x):
        out, h = {}, ((x - mean) / std).contiguous(memory_format=fmt)
        for i, layer in enumerate(feats):
            h = layer(h)
            if i in style_idx or i == content_idx:
                out[i] = h
        return out

    g = torch.Generator().manual_seed(1)
    content = torch.rand(1, 3, size, size, generator=g)
    style = torch.rand(1, 3, size, size, generator=g)
    with torch.no_grad():
        fs, fc = features(style), features(content)
        targets = {i: gram(fs[i]) for i in style_idx}
        norms = {i: float((t * t).sum()) for i, t in targets.items()}
        ctarget = fc[content_idx]
        cnorm = float((ctarget * ctarget).sum())
    x = torch.rand(1, 3, size, size, generator=g).requires_grad_()
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        x.grad = None
        f = features(x)
        loss = sum(0.2 * ((gram(f[k]) - targets[k]) ** 2).sum() / norms[k] for k in style_idx)
        loss = loss + ((f[content_idx] - ctarget) ** 2).sum() / cnorm
        dr = x[:, :, :-1, 1:] - x[:, :, :-1, :-1]
        dd = x[:, :, 1:, :-1] - x[:, :, :-1, :-1]
        loss = loss + 1e-3 * (dr * dr + dd * dd).sum() / x.numel()
        loss.backward()
        last = loss.item()
        t = time.perf_counter() - t0
        if i >= a.warmup:
            times.append(t)
    print(f"RESULT kind=style model=vgg19 size={size} seconds={statistics.median(times):.6f} "
          f"min={min(times):.6f} steps={a.steps} warmup={a.warmup} threads={torch.get_num_threads()} "
          f"format={a.memory_format} loss_last={last:.6f} checksum={float(x.grad.flatten()[0]):.6g}",
          flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["params", "train", "eval", "conv-forward", "conv-backward", "style"])
    p.add_argument("model", nargs="?")
    p.add_argument("batch", nargs="?", type=int)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--memory-format", choices=["channels_last", "contiguous"], default="contiguous")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.mode == "params":
        run_params(a)
    elif a.mode in ("train", "eval"):
        if a.model is None or a.batch is None:
            p.error(f"{a.mode} needs MODEL and BATCH")
        (run_train if a.mode == "train" else run_eval)(a)
    elif a.mode == "style":
        if a.model is None:
            p.error("style needs SIZE")
        run_style(a)
    else:
        run_conv(a, a.mode == "conv-backward")


if __name__ == "__main__":
    main()
