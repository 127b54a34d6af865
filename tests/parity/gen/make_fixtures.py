#!/usr/bin/python3
"""Writes the PyTorch parity fixtures of tests/parity/fixtures/ (see tests/parity/README.md).

Run with Debian's interpreter, which has torch 1.13:
    /usr/bin/python3 tests/parity/gen/make_fixtures.py
Every fixture is computed in float64 from inputs that are exactly representable in float32 (so the
C++ float32 run sees the same inputs), seeded per fixture, and written as safetensors by hand.
"""

import json
import math
import pathlib
import struct
import sys
import warnings
import zlib

import torch
import torch.nn.functional as F

FIXTURE_DIR = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
SUFFIX = ".safetensors"


# ---- file format ------------------------------------------------------------------------------


def write_safetensors(path, tensors, metadata):
    """8-byte little-endian header length, JSON header padded with spaces to a multiple of 8,
    then every tensor's raw little-endian bytes in header order."""
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        values = t.reshape(-1).tolist()
        if t.dtype == torch.float64:
            dtype, blob = "F64", struct.pack("<%dd" % len(values), *values)
        elif t.dtype == torch.int64:
            dtype, blob = "I64", struct.pack("<%dq" % len(values), *values)
        else:
            raise TypeError("%s: tensor %r has dtype %s; fixtures hold float64 and int64 only"
                            % (path.name, name, t.dtype))
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)


# ---- inputs -----------------------------------------------------------------------------------


def f32(t):
    """Rounds a float64 tensor to values that float32 represents exactly."""
    return t.to(torch.float32).to(torch.float64)


def randn(*shape):
    return f32(torch.randn(shape, dtype=torch.float64))


def uniform(lo, hi, *shape):
    return f32(torch.rand(shape, dtype=torch.float64) * (hi - lo) + lo)


def distinct(*shape):
    """Values in (-2, 2) with no ties (a random permutation of an even grid): every max-pool
    window and max() reduction has a unique winner, in float32 as well."""
    n = math.prod(shape)
    perm = torch.randperm(n).to(torch.float64)
    return f32((perm + 0.5) / n * 4.0 - 2.0).reshape(shape)


def away_from_zero(*shape, margin=0.1):
    """Uniform in [-1, -margin] U [margin, 1]: keeps ReLU-like kinks away from the sample."""
    mag = torch.rand(*shape, dtype=torch.float64) * (1.0 - margin) + margin
    sign = torch.where(torch.rand(*shape, dtype=torch.float64) < 0.5, -1.0, 1.0)
    return f32(mag * sign)


def seed_of(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


# ---- fixture driver ---------------------------------------------------------------------------

WRITTEN = []


def emit(name, op, args, make_inputs, forward, grads, dy=True):
    """Seeds torch from the fixture name, draws the inputs, runs forward in float64, draws a
    random upstream gradient dy (float32-representable), back-propagates and writes
    inputs + y + dy + d<input> for every input in `grads`.

    forward(**inputs) returns the output tensor y, or a dict with "y" plus extra tensors that
    are stored as they are (e.g. running statistics after the update, max indices), or a list
    of outputs (split): then they are stored as y0, y1, ..., each gets its own random upstream
    gradient dy0, dy1, ..., and all are back-propagated together."""
    seed = seed_of(name)
    torch.manual_seed(seed)
    inputs = make_inputs()
    leaves = {}
    for k, v in inputs.items():
        leaf = v.clone()
        if k in grads:
            leaf.requires_grad_(True)
        leaves[k] = leaf
    out = forward(**leaves)
    if isinstance(out, (list, tuple)):
        emit_pieces(name, op, args, seed, inputs, leaves, list(out), grads)
        return
    extra = {}
    if isinstance(out, dict):
        extra = {k: v for k, v in out.items() if k != "y"}
        out = out["y"]
    tensors = dict(inputs)
    tensors["y"] = out
    tensors.update(extra)
    if grads:
        if dy:
            upstream = randn(*out.shape)
            tensors["dy"] = upstream
            out.backward(upstream)
        else:
            out.backward()
        for k in grads:
            g = leaves[k].grad
            tensors["d" + k] = g if g is not None else torch.zeros_like(inputs[k])
    args = dict(args, seed=seed)
    metadata = {"op": op, "args": json.dumps(args, sort_keys=True), "torch": torch.__version__}
    write_safetensors(FIXTURE_DIR / (name + SUFFIX), tensors, metadata)
    WRITTEN.append(name)


def emit_pieces(name, op, args, seed, inputs, leaves, outs, grads):
    """The multi-output half of emit(): y<i>, dy<i> per output, then d<input>."""
    tensors = dict(inputs)
    upstream = []
    for i, o in enumerate(outs):
        tensors["y%d" % i] = o
        upstream.append(randn(*o.shape))
        tensors["dy%d" % i] = upstream[-1]
    torch.autograd.backward(outs, upstream)
    for k in grads:
        g = leaves[k].grad
        tensors["d" + k] = g if g is not None else torch.zeros_like(inputs[k])
    args = dict(args, seed=seed, outputs=len(outs))
    metadata = {"op": op, "args": json.dumps(args, sort_keys=True), "torch": torch.__version__}
    write_safetensors(FIXTURE_DIR / (name + SUFFIX), tensors, metadata)
    WRITTEN.append(name)


def with_values_at(x, values):
    """x with `values` written at distinct random flat positions (exact bounds, zeros, inf)."""
    flat = x.clone().reshape(-1)
    at = torch.randperm(flat.numel())[:len(values)]
    flat[at] = torch.tensor(values, dtype=flat.dtype)
    return flat.reshape(x.shape)


# ---- convolution ------------------------------------------------------------------------------


def conv_fixtures():
    def conv(name, x_shape, w_shape, bias=True, stride=1, padding=0, dilation=1, groups=1):
        args = {"x_shape": x_shape, "weight_shape": w_shape, "bias": bias, "stride": stride,
                "padding": padding, "dilation": dilation, "groups": groups}

        def make():
            d = {"x": randn(*x_shape), "weight": randn(*w_shape) * 0.5}
            if bias:
                d["bias"] = randn(w_shape[0])
            return d

        def fwd(x, weight, bias=None):
            return F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                            groups=groups)

        grads = ["x", "weight"] + (["bias"] if bias else [])
        emit(name, "conv2d", args, make, fwd, grads)

    conv("conv2d_plain", [2, 3, 9, 9], [4, 3, 3, 3])
    conv("conv2d_s2_p1", [2, 3, 9, 9], [4, 3, 3, 3], stride=2, padding=1)
    conv("conv2d_groups2", [2, 4, 9, 9], [6, 2, 3, 3], padding=1, groups=2)
    conv("conv2d_dilation2", [2, 3, 9, 9], [4, 3, 3, 3], padding=2, dilation=2)
    conv("conv2d_no_bias", [2, 3, 9, 9], [4, 3, 3, 3], bias=False, padding=1)
    conv("conv2d_k1x3_p0x1", [2, 3, 9, 9], [4, 3, 1, 3], padding=[0, 1])
    conv("conv2d_mixed", [1, 4, 8, 9], [4, 2, 3, 2], stride=[2, 1], padding=[1, 2],
         dilation=[1, 2], groups=2)


# ---- pooling ----------------------------------------------------------------------------------


def pool_fixtures():
    def max_pool(name, x_shape, kernel, stride=None, padding=0, dilation=1, ceil_mode=False,
                 make_x=None):
        args = {"x_shape": x_shape, "kernel": kernel, "stride": stride, "padding": padding,
                "dilation": dilation, "ceil_mode": ceil_mode}

        def fwd(x):
            return F.max_pool2d(x, kernel, stride=stride, padding=padding, dilation=dilation,
                                ceil_mode=ceil_mode)

        emit(name, "max_pool2d", args, lambda: {"x": (make_x or distinct)(*x_shape)}, fwd, ["x"])

    max_pool("max_pool2d_k3_s2_p1", [2, 3, 9, 9], 3, 2, 1)
    max_pool("max_pool2d_ceil", [2, 3, 8, 8], 3, 2, 0, ceil_mode=True)
    max_pool("max_pool2d_dilation2", [2, 3, 9, 9], 3, 2, 1, dilation=2)
    max_pool("max_pool2d_k2", [2, 3, 8, 7], 2)
    # Small integers: many ties, so this checks that the first maximum in row-major window
    # order gets the gradient, as PyTorch's CPU kernel does.
    max_pool("max_pool2d_ties", [2, 2, 6, 6], 2, 1, 0,
             make_x=lambda *s: torch.randint(0, 3, s).to(torch.float64))

    def avg_pool(name, x_shape, kernel, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        args = {"x_shape": x_shape, "kernel": kernel, "stride": stride, "padding": padding,
                "ceil_mode": ceil_mode, "count_include_pad": count_include_pad}

        def fwd(x):
            return F.avg_pool2d(x, kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                                count_include_pad=count_include_pad)

        emit(name, "avg_pool2d", args, lambda: {"x": randn(*x_shape)}, fwd, ["x"])

    avg_pool("avg_pool2d_include_pad", [2, 3, 9, 9], 3, 2, 1, count_include_pad=True)
    avg_pool("avg_pool2d_exclude_pad", [2, 3, 9, 9], 3, 2, 1, count_include_pad=False)
    avg_pool("avg_pool2d_ceil_include_pad", [2, 3, 8, 8], 3, 2, 1, ceil_mode=True,
             count_include_pad=True)
    avg_pool("avg_pool2d_ceil_exclude_pad", [2, 3, 8, 8], 3, 2, 1, ceil_mode=True,
             count_include_pad=False)
    avg_pool("avg_pool2d_k2", [2, 3, 8, 7], 2)

    def adaptive(name, x_shape, out):
        args = {"x_shape": x_shape, "output_size": out}
        emit(name, "adaptive_avg_pool2d", args, lambda: {"x": randn(*x_shape)},
             lambda x: F.adaptive_avg_pool2d(x, out), ["x"])

    adaptive("adaptive_avg_pool2d_7x7_to_3x3", [2, 3, 7, 7], [3, 3])
    adaptive("adaptive_avg_pool2d_5x7_to_2x3", [2, 3, 5, 7], [2, 3])
    adaptive("adaptive_avg_pool2d_3x4_to_5x6", [1, 2, 3, 4], [5, 6])


# ---- activations, softmax, dropout ------------------------------------------------------------


def activation_fixtures():
    shape = [2, 3, 5, 4]

    def unary(name, op, fn, make, args=None):
        emit(name, op, dict(args or {}, x_shape=shape), lambda: {"x": make(*shape)},
             lambda x: fn(x), ["x"])

    unary("relu", "relu", F.relu, away_from_zero)
    unary("leaky_relu", "leaky_relu", F.leaky_relu, away_from_zero,
          {"negative_slope": 0.01})
    unary("leaky_relu_slope0.2", "leaky_relu", lambda x: F.leaky_relu(x, 0.2), away_from_zero,
          {"negative_slope": 0.2})
    unary("sigmoid", "sigmoid", torch.sigmoid, lambda *s: randn(*s) * 2)
    unary("tanh", "tanh", torch.tanh, lambda *s: randn(*s) * 2)
    unary("softmax_dim1", "softmax", lambda x: F.softmax(x, dim=1), lambda *s: randn(*s) * 2,
          {"dim": 1})
    unary("log_softmax_dim1", "log_softmax", lambda x: F.log_softmax(x, dim=1),
          lambda *s: randn(*s) * 2, {"dim": 1})
    emit("log_softmax_2d_last", "log_softmax", {"x_shape": [4, 7], "dim": -1},
         lambda: {"x": randn(4, 7) * 3}, lambda x: F.log_softmax(x, dim=-1), ["x"])
    emit("log_softmax_dim0", "log_softmax", {"x_shape": [4, 3, 5], "dim": 0},
         lambda: {"x": randn(4, 3, 5) * 2}, lambda x: F.log_softmax(x, dim=0), ["x"])
    # Slope 0 (ReLU's limit) with a few exact zeros: PyTorch's gradient at 0 is the slope, 0.
    unary("leaky_relu_slope0", "leaky_relu", lambda x: F.leaky_relu(x, 0.0),
          lambda *s: with_values_at(away_from_zero(*s), [0.0, 0.0, 0.0]),
          {"negative_slope": 0.0, "exact_zeros": 3})
    emit("dropout_eval", "dropout", {"x_shape": shape, "p": 0.5, "training": False},
         lambda: {"x": randn(*shape)}, lambda x: F.dropout(x, 0.5, training=False), ["x"])


# ---- linear, matmul ---------------------------------------------------------------------------


def linear_fixtures():
    def linear(name, x_shape, out_features, bias=True):
        in_features = x_shape[-1]
        args = {"x_shape": x_shape, "out_features": out_features, "bias": bias}

        def make():
            d = {"x": randn(*x_shape), "weight": randn(out_features, in_features) * 0.5}
            if bias:
                d["bias"] = randn(out_features)
            return d

        emit(name, "linear", args, make, lambda x, weight, bias=None: F.linear(x, weight, bias),
             ["x", "weight"] + (["bias"] if bias else []))

    linear("linear", [5, 7], 4)
    linear("linear_no_bias", [5, 7], 4, bias=False)
    linear("linear_3d_input", [2, 3, 7], 4)

    def matmul(name, a_shape, b_shape):
        emit(name, "matmul", {"a_shape": a_shape, "b_shape": b_shape},
             lambda: {"a": randn(*a_shape), "b": randn(*b_shape)},
             lambda a, b: torch.matmul(a, b), ["a", "b"])

    matmul("matmul_2d", [3, 4], [4, 5])
    matmul("matmul_batched", [2, 3, 4], [2, 4, 5])
    matmul("matmul_batched_times_2d", [2, 3, 4], [4, 5])
    matmul("matmul_two_batch_dims", [2, 2, 3, 4], [2, 2, 4, 3])


# ---- batch norm, LRN --------------------------------------------------------------------------


def norm_fixtures():
    def batch_norm(name, x_shape, training, momentum=0.1, eps=1e-5):
        c = x_shape[1]
        args = {"x_shape": x_shape, "training": training, "momentum": momentum, "eps": eps}

        def make():
            return {"x": randn(*x_shape) * 1.5 + 0.5, "weight": uniform(0.5, 1.5, c),
                    "bias": randn(c), "running_mean": randn(c) * 0.2,
                    "running_var": uniform(0.5, 2.0, c)}

        def fwd(x, weight, bias, running_mean, running_var):
            rm, rv = running_mean.clone(), running_var.clone()
            y = F.batch_norm(x, rm, rv, weight, bias, training=training, momentum=momentum,
                             eps=eps)
            return {"y": y, "running_mean_after": rm, "running_var_after": rv}

        emit(name, "batch_norm", args, make, fwd, ["x", "weight", "bias"])

    batch_norm("batch_norm_train_4d", [4, 3, 5, 5], True)
    batch_norm("batch_norm_train_2d", [6, 5], True)
    batch_norm("batch_norm_train_4d_momentum0.3_eps1e-3", [3, 4, 3, 3], True, 0.3, 1e-3)
    batch_norm("batch_norm_eval_4d", [4, 3, 5, 5], False)
    batch_norm("batch_norm_eval_2d", [6, 5], False)

    def lrn(name, x_shape, size, alpha, beta, k, scale=1.0):
        args = {"x_shape": x_shape, "size": size, "alpha": alpha, "beta": beta, "k": k}
        emit(name, "local_response_norm", args, lambda: {"x": randn(*x_shape) * scale},
             lambda x: F.local_response_norm(x, size, alpha=alpha, beta=beta, k=k), ["x"])

    # AlexNet's constants; inputs of AlexNet-like magnitude so the alpha term matters.
    lrn("lrn_alexnet", [2, 7, 4, 4], 5, 1e-4, 0.75, 2.0, scale=10.0)
    lrn("lrn_alpha0.5_size3", [2, 6, 4, 4], 3, 0.5, 0.75, 1.0)
    lrn("lrn_size4_even", [2, 6, 3, 3], 4, 0.3, 0.6, 1.5)


# ---- losses -----------------------------------------------------------------------------------


def loss_fixtures():
    n, c = 6, 5
    # Targets with every class present; class 2 appears twice (the ignore_index cases use it).
    target = torch.tensor([0, 2, 4, 2, 1, 3], dtype=torch.int64)

    def ce(name, weight=False, label_smoothing=0.0, ignore_index=-100, reduction="mean"):
        args = {"logits_shape": [n, c], "target": target.tolist(), "weight": weight,
                "label_smoothing": label_smoothing, "ignore_index": ignore_index,
                "reduction": reduction}

        def make():
            d = {"x": randn(n, c) * 2, "target": target.clone()}
            if weight:
                d["weight"] = uniform(0.2, 2.0, c)
            return d

        def fwd(x, target, weight=None):
            return F.cross_entropy(x, target, weight=weight, ignore_index=ignore_index,
                                   reduction=reduction, label_smoothing=label_smoothing)

        emit(name, "cross_entropy", args, make, fwd, ["x"])

    ce("cross_entropy")
    ce("cross_entropy_weight", weight=True)
    ce("cross_entropy_label_smoothing", label_smoothing=0.1)
    ce("cross_entropy_weight_label_smoothing", weight=True, label_smoothing=0.1)
    ce("cross_entropy_ignore_index", ignore_index=2)
    ce("cross_entropy_weight_ignore_index", weight=True, ignore_index=2)
    ce("cross_entropy_ignore_index_label_smoothing", ignore_index=2, label_smoothing=0.1)
    ce("cross_entropy_sum", reduction="sum")
    ce("cross_entropy_none", reduction="none")
    ce("cross_entropy_weight_label_smoothing_none", weight=True, label_smoothing=0.1,
       reduction="none")

    def nll(name, weight=False, ignore_index=-100, reduction="mean"):
        args = {"log_probs_shape": [n, c], "target": target.tolist(), "weight": weight,
                "ignore_index": ignore_index, "reduction": reduction}

        def make():
            d = {"x": f32(F.log_softmax(torch.randn(n, c, dtype=torch.float64) * 2, dim=1)),
                 "target": target.clone()}
            if weight:
                d["weight"] = uniform(0.2, 2.0, c)
            return d

        def fwd(x, target, weight=None):
            return F.nll_loss(x, target, weight=weight, ignore_index=ignore_index,
                              reduction=reduction)

        emit(name, "nll_loss", args, make, fwd, ["x"])

    nll("nll_loss")
    nll("nll_loss_weight_ignore_index", weight=True, ignore_index=2)
    nll("nll_loss_sum", reduction="sum")
    nll("nll_loss_none", reduction="none")

    def mse(name, reduction):
        emit(name, "mse_loss", {"shape": [2, 3, 4], "reduction": reduction},
             lambda: {"x": randn(2, 3, 4), "target": randn(2, 3, 4)},
             lambda x, target: F.mse_loss(x, target, reduction=reduction), ["x", "target"])

    mse("mse_loss", "mean")
    mse("mse_loss_sum", "sum")
    mse("mse_loss_none", "none")

    def kl(name, reduction, log_target=False):
        args = {"shape": [4, 6], "reduction": reduction, "log_target": log_target}

        def make():
            x = f32(F.log_softmax(torch.randn(4, 6, dtype=torch.float64), dim=1))
            t = torch.randn(4, 6, dtype=torch.float64)
            t = F.log_softmax(t, dim=1) if log_target else F.softmax(t, dim=1)
            return {"x": x, "target": f32(t)}

        emit(name, "kl_div", args, make,
             lambda x, target: F.kl_div(x, target, reduction=reduction, log_target=log_target),
             ["x", "target"])

    kl("kl_div_batchmean", "batchmean")
    kl("kl_div_batchmean_log_target", "batchmean", log_target=True)
    kl("kl_div_mean", "mean")
    kl("kl_div_sum", "sum")
    kl("kl_div_none", "none")

    # Targets with exact zeros: PyTorch's pointwise term there is 0 (xlogy), dx is finite, and
    # dtarget is NaN (the derivative of xlogy(t, t) with respect to its second argument, t / t).
    def kl_zero_target():
        x = f32(F.log_softmax(torch.randn(4, 6, dtype=torch.float64), dim=1))
        t = F.softmax(torch.randn(4, 6, dtype=torch.float64), dim=1)
        t[0, 1] = t[2, 0] = t[2, 5] = t[3, 3] = 0.0
        return {"x": x, "target": f32(t)}

    emit("kl_div_zero_target", "kl_div",
         {"shape": [4, 6], "reduction": "sum", "log_target": False,
          "zero_targets": [[0, 1], [2, 0], [2, 5], [3, 3]]},
         kl_zero_target, lambda x, target: F.kl_div(x, target, reduction="sum"),
         ["x", "target"])

    def gram(x):
        # include/cnnlab/ops/loss.hpp: G[n] = F F^T / (C * H * W), F = features[n] as (C, H*W).
        nb, ch, h, w = x.shape
        feats = x.reshape(nb, ch, h * w)
        return torch.bmm(feats, feats.transpose(1, 2)) / (ch * h * w)

    emit("gram_matrix", "gram_matrix", {"x_shape": [2, 3, 4, 5]},
         lambda: {"x": randn(2, 3, 4, 5)}, gram, ["x"])

    def tv(beta):
        # include/cnnlab/ops/loss.hpp: sum over n, c and the (H-1) x (W-1) grid of
        # ((x[i, j+1] - x[i, j])^2 + (x[i+1, j] - x[i, j])^2)^(beta / 2).
        def fn(x):
            dw = x[:, :, :-1, 1:] - x[:, :, :-1, :-1]
            dh = x[:, :, 1:, :-1] - x[:, :, :-1, :-1]
            return (dw * dw + dh * dh).pow(beta / 2).sum()
        return fn

    emit("total_variation_beta2", "total_variation", {"x_shape": [2, 3, 5, 6], "beta": 2.0},
         lambda: {"x": randn(2, 3, 5, 6)}, tv(2.0), ["x"])
    emit("total_variation_beta1.5", "total_variation", {"x_shape": [2, 3, 5, 6], "beta": 1.5},
         lambda: {"x": randn(2, 3, 5, 6)}, tv(1.5), ["x"])


# ---- elementwise math (include/cnnlab/ops/math.hpp) ------------------------------------------


def math_fixtures():
    def binary(name, op, fn, make_b):
        emit(name, op, {"a_shape": [2, 3, 4], "b_shape": [3, 1]},
             lambda: {"a": randn(2, 3, 4), "b": make_b(3, 1)}, lambda a, b: fn(a, b),
             ["a", "b"])

    binary("add_broadcast", "add", torch.add, randn)
    binary("sub_broadcast", "sub", torch.sub, randn)
    binary("mul_broadcast", "mul", torch.mul, randn)
    binary("div_broadcast", "div", torch.div, lambda *s: uniform(0.5, 2.0, *s))

    shape = [3, 4, 5]

    def unary(name, op, fn, make, args=None):
        emit(name, op, dict(args or {}, x_shape=shape), lambda: {"x": make(*shape)},
             lambda x: fn(x), ["x"])

    unary("exp", "exp", torch.exp, randn)
    unary("log", "log", torch.log, lambda *s: uniform(0.2, 3.0, *s))
    unary("pow_2.5", "pow", lambda x: x.pow(2.5), lambda *s: uniform(0.2, 2.0, *s),
          {"exponent": 2.5})
    unary("neg", "neg", torch.neg, randn)
    unary("sqrt", "sqrt", torch.sqrt, lambda *s: uniform(0.2, 3.0, *s))
    # Exact zeros: PyTorch's abs gradient there is sign(0) = 0; sign's gradient is 0 everywhere.
    with_zeros = lambda *s: with_values_at(randn(*s), [0.0, 0.0, 0.0])
    unary("abs", "abs", torch.abs, with_zeros, {"exact_zeros": 3})
    unary("sign", "sign", torch.sign, with_zeros, {"exact_zeros": 3})

    # Values exactly at the bounds: PyTorch passes the gradient there (min <= x <= max).
    def clamp(name, lo, hi):
        at_bounds = [v for v in (lo, hi) if v is not None] * 2
        unary(name, "clamp", lambda x: torch.clamp(x, min=lo, max=hi),
              lambda *s: with_values_at(randn(*s), at_bounds),
              {"min": lo, "max": hi, "values_at_bounds": len(at_bounds)})

    clamp("clamp_min", -0.5, None)
    clamp("clamp_max", None, 0.5)
    clamp("clamp_both", -0.5, 0.5)

    # where: condition as float 0/1 (cnnlab masks are floating); the values of the branch not
    # taken must not leak into the output or the gradients.
    def where_fwd(condition, a, b):
        return torch.where(condition != 0, a, b)

    emit("where_broadcast", "where",
         {"condition_shape": [3, 1, 5], "a_shape": [3, 4, 5], "b_shape": [4, 1]},
         lambda: {"condition": (torch.rand(3, 1, 5) < 0.5).to(torch.float64),
                  "a": randn(3, 4, 5), "b": randn(4, 1)},
         where_fwd, ["a", "b"])

    def where_nonfinite():
        condition = (torch.rand(4, 5) < 0.5).to(torch.float64)
        condition[0, :3] = torch.tensor([0.0, 0.0, 1.0])
        condition[1, :3] = torch.tensor([1.0, 1.0, 0.0])
        a, b = randn(4, 5), randn(4, 5)
        a[0, :2] = torch.tensor([math.nan, math.inf])   # not selected (condition 0)
        b[1, :2] = torch.tensor([-math.inf, math.nan])  # not selected (condition 1)
        a[1, 2] = -math.inf                              # not selected
        b[0, 2] = math.nan                               # not selected
        return {"condition": condition, "a": a, "b": b}

    emit("where_nonfinite_unselected", "where",
         {"shape": [4, 5], "nonfinite": "inf/NaN only in the branch not taken"},
         where_nonfinite, where_fwd, ["a", "b"])


# ---- reductions (include/cnnlab/ops/reduce.hpp) -----------------------------------------------


def reduce_fixtures():
    shape = [3, 4, 5]

    def unary(name, op, fn, make, args=None, x_shape=shape):
        emit(name, op, dict(args or {}, x_shape=x_shape), lambda: {"x": make(*x_shape)},
             lambda x: fn(x), ["x"])

    unary("sum_dims_0_2", "sum", lambda x: x.sum(dim=(0, 2)), randn,
          {"dims": [0, 2], "keepdim": False})
    unary("sum_dim1_keepdim", "sum", lambda x: x.sum(dim=1, keepdim=True), randn,
          {"dims": [1], "keepdim": True})
    unary("mean_dim_last", "mean", lambda x: x.mean(dim=-1), randn, {"dims": [-1]})
    unary("mean_all", "mean", lambda x: x.mean(), randn, {"dims": []})
    unary("var_unbiased_dim1", "var", lambda x: x.var(dim=1, unbiased=True), randn,
          {"dims": [1], "unbiased": True})
    unary("var_biased_all", "var", lambda x: x.var(unbiased=False), randn,
          {"dims": [], "unbiased": False})

    def max_dim(x):
        values, indices = torch.max(x, dim=1)
        return {"y": values, "indices": indices}

    def min_dim(x):
        values, indices = torch.min(x, dim=1)
        return {"y": values, "indices": indices}

    unary("max_dim1", "max", max_dim, distinct, {"dim": 1})
    unary("min_dim1", "min", min_dim, distinct, {"dim": 1})
    # Full reductions over small integers: the extreme is tied several times, and PyTorch 1.13
    # splits the gradient evenly among the tied elements.
    small_ints = lambda *s: torch.randint(0, 3, s).to(torch.float64)
    unary("max_all_ties", "max", lambda x: x.max(), small_ints, {"dims": [], "ties": True})
    unary("min_all_ties", "min", lambda x: x.min(), small_ints, {"dims": [], "ties": True})

    # p-norms; each x has a zero slice, whose norm is 0 and whose gradient PyTorch gives as 0.
    def norm(name, p, dims, keepdim, x_shape, zero):
        def make(*s):
            x = randn(*s)
            x[zero] = 0.0
            return x

        unary(name, "norm",
              lambda x: torch.linalg.vector_norm(x, ord=p, dim=dims, keepdim=keepdim), make,
              {"p": p, "dims": dims, "keepdim": keepdim, "zero_slice": zero}, x_shape)

    norm("norm_p2_dims_1_2", 2.0, [1, 2], False, [3, 4, 5], 1)
    norm("norm_p1_dim1", 1.0, [1], False, [4, 5], 2)
    norm("norm_p3_dim1_keepdim", 3.0, [1], True, [4, 5], 0)
    unary("norm_p2_all", "norm", lambda x: torch.linalg.vector_norm(x, ord=2.0), randn,
          {"p": 2.0, "dims": []})


# ---- data movement (include/cnnlab/ops/shape_ops.hpp) -----------------------------------------


def shape_fixtures():
    emit("transpose_1_2", "transpose", {"dim0": 1, "dim1": 2, "x_shape": [3, 4, 5]},
         lambda: {"x": randn(3, 4, 5)}, lambda x: x.transpose(1, 2), ["x"])
    emit("permute_2_0_1", "permute", {"x_shape": [2, 3, 4], "dims": [2, 0, 1]},
         lambda: {"x": randn(2, 3, 4)}, lambda x: x.permute(2, 0, 1), ["x"])
    emit("cat_dim1", "cat", {"a_shape": [2, 3, 4], "b_shape": [2, 2, 4], "dim": 1},
         lambda: {"a": randn(2, 3, 4), "b": randn(2, 2, 4)},
         lambda a, b: torch.cat([a, b], dim=1), ["a", "b"])
    emit("stack_dim1", "stack", {"shape": [3, 4], "tensors": 3, "dim": 1},
         lambda: {"a": randn(3, 4), "b": randn(3, 4), "c": randn(3, 4)},
         lambda a, b, c: torch.stack([a, b, c], dim=1), ["a", "b", "c"])
    emit("split_dim0", "split", {"x_shape": [5, 4], "split_size": 2, "dim": 0},
         lambda: {"x": randn(5, 4)}, lambda x: list(torch.split(x, 2, dim=0)), ["x"])
    emit("split_dim1", "split", {"x_shape": [3, 7, 2], "split_size": 3, "dim": 1},
         lambda: {"x": randn(3, 7, 2)}, lambda x: list(torch.split(x, 3, dim=1)), ["x"])
    emit("narrow_dim1", "narrow", {"x_shape": [3, 6, 4], "dim": 1, "start": 2, "length": 3},
         lambda: {"x": randn(3, 6, 4)}, lambda x: x.narrow(1, 2, 3), ["x"])
    # Repeated indices: their gradients add up.
    emit("index_select_dim1", "index_select", {"x_shape": [4, 5], "dim": 1},
         lambda: {"x": randn(4, 5), "index": torch.tensor([3, 0, 3, 1])},
         lambda x, index: torch.index_select(x, 1, index), ["x"])
    emit("index_select_dim0", "index_select", {"x_shape": [5, 3], "dim": 0},
         lambda: {"x": randn(5, 3), "index": torch.tensor([4, 4, 0])},
         lambda x, index: torch.index_select(x, 0, index), ["x"])
    emit("gather_dim1", "gather", {"x_shape": [4, 5], "index_shape": [4, 3], "dim": 1},
         lambda: {"x": randn(4, 5), "index": torch.randint(0, 5, (4, 3))},
         lambda x, index: torch.gather(x, 1, index), ["x"])
    # Forward only (integer labels); F.one_hot gives int64, stored as float64.
    emit("one_hot", "one_hot", {"labels_shape": [6], "num_classes": 5},
         lambda: {"labels": torch.tensor([0, 4, 2, 2, 1, 3])},
         lambda labels: F.one_hot(labels, 5).to(torch.float64), [])


# ---- LeNet-5 ----------------------------------------------------------------------------------


class LeNet5(torch.nn.Module):
    """The cnnlab LeNet-5 (same parameter names as models/lenet)."""

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
        self.classifier = torch.nn.Sequential(
            torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84),
            torch.nn.ReLU(), torch.nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def lenet_margins_ok(model, x):
    """True when no ReLU input is within 1e-5 of 0 and no max-pool window has two distinct
    positive values within 1e-5: then float32 rounding cannot flip a kink, and the float32
    C++ run is comparable to the float64 reference at tight tolerances."""
    with torch.no_grad():
        h = x
        for layer in list(model.features) + [torch.nn.Flatten()] + list(model.classifier):
            if isinstance(layer, torch.nn.ReLU) and h.abs().min() < 1e-5:
                return False
            if isinstance(layer, torch.nn.MaxPool2d):
                windows = F.unfold(h.reshape(-1, 1, *h.shape[2:]), 2, stride=2)  # (B, 4, L)
                top2 = windows.topk(2, dim=1).values
                gap = top2[:, 0] - top2[:, 1]
                if ((top2[:, 0] > 0) & (gap > 0) & (gap < 1e-5)).any():
                    return False
            h = layer(h)
    return True


def lenet_fixture():
    name = "lenet5"
    seed = seed_of(name)
    for attempt in range(100):
        torch.manual_seed(seed + attempt)
        model = LeNet5().to(torch.float64)  # PyTorch's default initialisation
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(f32(p))
        x = randn(4, 1, 28, 28)
        labels = torch.randint(0, 10, (4,))
        if lenet_margins_ok(model, x):
            break
    else:
        raise RuntimeError("lenet5: no seed with safe ReLU/max-pool margins")
    x_leaf = x.clone().requires_grad_(True)
    logits = model(x_leaf)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    tensors = {"x": x, "labels": labels}
    params = dict(model.named_parameters())
    for k, p in params.items():
        tensors[k] = p.detach().clone()
    tensors["logits"] = logits
    tensors["loss"] = loss
    for k, p in params.items():
        tensors["grad." + k] = p.grad
    tensors["grad.x"] = x_leaf.grad
    args = {"x_shape": [4, 1, 28, 28], "labels": labels.tolist(), "seed": seed + attempt,
            "init": "PyTorch default (rounded to float32)", "loss": "cross_entropy mean"}
    metadata = {"op": "lenet5", "args": json.dumps(args, sort_keys=True),
                "torch": torch.__version__}
    write_safetensors(FIXTURE_DIR / (name + SUFFIX), tensors, metadata)
    WRITTEN.append(name)


def main():
    torch.set_num_threads(1)  # fixed reduction order: regenerating gives identical bytes
    # kl_div's reduction="mean" warns that it is not the true KL; that case is wanted.
    warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for old in FIXTURE_DIR.glob("*" + SUFFIX):
        # optim_* belong to make_optim_fixtures.py, model_* to make_model_fixtures.py
        if not old.name.startswith(("optim_", "model_")):
            old.unlink()
    conv_fixtures()
    pool_fixtures()
    activation_fixtures()
    linear_fixtures()
    norm_fixtures()
    loss_fixtures()
    math_fixtures()
    reduce_fixtures()
    shape_fixtures()
    lenet_fixture()
    if len(set(WRITTEN)) != len(WRITTEN):
        raise RuntimeError("duplicate fixture names")
    total = sum(p.stat().st_size for p in FIXTURE_DIR.glob("*" + SUFFIX))
    print("wrote %d fixtures (%.1f KiB) to %s" % (len(WRITTEN), total / 1024, FIXTURE_DIR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
