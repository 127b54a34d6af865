# Markdown tables of issue 4's "where the time goes": cnnlab's per-type profile (`cnnlab bench
# --json`) against PyTorch's (bench/profile_torch.py) per op type, ms per step, ratio and share of
# the step; and the 1- against N-thread speedup per op type. Prints to stdout (run_bench.sh adds it
# to bench/RESULTS.md).
#   compare_profiles.py [--pair CNNLAB.json TORCH.json]... [--scaling C1.json CN.json T1.json TN.json]
import argparse
import json

# cnnlab's by_type "type" -> category of bench/profile_torch.py (its MODULE_CATEGORY).
TYPE_CATEGORY = {
    "Conv2d": "conv", "BatchNorm2d": "batchnorm", "ReLU": "relu", "MaxPool2d": "pool",
    "AvgPool2d": "pool", "AdaptiveAvgPool2d": "pool", "Linear": "linear",
    "CifarBasicBlock": "residual", "BasicBlock": "residual",
}
ORDER = ["conv", "batchnorm", "relu", "pool", "linear", "residual", "loss", "zero_grad",
         "optimizer", "engine", "other", "unattributed"]
LABEL = {
    "conv": "conv", "batchnorm": "batch norm", "relu": "ReLU", "pool": "pooling (max, avg)",
    "linear": "linear", "residual": "residual block's own ops (add, shortcut)",
    "loss": "cross-entropy", "zero_grad": "zero_grad", "optimizer": "optimizer step",
    "engine": "autograd engine (graph walk, AccumulateGrad)", "other": "other ops (flatten, dropout, ...)",
    "unattributed": "unattributed (Python / framework between ops, timers)",
}


def cnnlab_parts(d):
    """{category: (forward ms, backward ms)} of a `cnnlab bench --json` file."""
    out = {}

    def add(cat, f, b):
        of, ob = out.get(cat, (0.0, 0.0))
        out[cat] = (of + f, ob + b)

    for r in d["by_type"]:
        add(TYPE_CATEGORY.get(r["type"], "other"), r["forward_ms"], r["backward_ms"])
    add("loss", d.get("loss_forward_ms", 0.0), d.get("loss_backward_ms", 0.0))
    add("zero_grad", d.get("zero_grad_ms", 0.0), 0.0)
    add("optimizer", d.get("optimizer_ms", 0.0), 0.0)
    add("engine", 0.0, d.get("engine_ms", 0.0))
    add("unattributed", d.get("other_ms", 0.0), 0.0)
    return out


def torch_parts(d):
    out = {c: (v["forward_ms"], v["backward_ms"]) for c, v in d["categories"].items()}
    out["unattributed"] = (d["unattributed_ms"], 0.0)
    return out


def f(x):
    return "–" if x is None else (f"{x:.2f}" if abs(x) < 100 else f"{x:.0f}")


def pair_table(c, t):
    pc, pt = cnnlab_parts(c), torch_parts(t)
    sc = sum(a + b for a, b in pc.values())
    st = sum(a + b for a, b in pt.values())
    mode = "training step" if c.get("train") else "eval forward"
    L = [f"#### {c['model']}, batch {c['batch']}, {mode}, {c['threads']} threads "
         f"(PyTorch {t['memory_format']})", ""]
    L.append("| op type | cnnlab fwd | cnnlab bwd | cnnlab total | PyTorch fwd | PyTorch bwd | "
             "PyTorch total | ratio | cnnlab − PyTorch | cnnlab share | PyTorch share |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for cat in [k for k in ORDER if k in pc or k in pt]:
        cf, cb = pc.get(cat, (0.0, 0.0))
        tf, tb = pt.get(cat, (0.0, 0.0))
        if max(cf + cb, tf + tb) < 0.005:
            continue
        ratio = f"{(cf + cb) / (tf + tb):.2f}" if tf + tb >= 0.005 else "–"
        L.append(f"| {LABEL[cat]} | {f(cf)} | {f(cb)} | {f(cf + cb)} | {f(tf)} | {f(tb)} | "
                 f"{f(tf + tb)} | {ratio} | {(cf + cb) - (tf + tb):+.2f} | {(cf + cb) / sc:.1%} | "
                 f"{(tf + tb) / st:.1%} |")
    L.append(f"| **sum (profiled step)** | | | **{f(sc)}** | | | **{f(st)}** | **{sc / st:.2f}** | "
             f"**{sc - st:+.2f}** | 100% | 100% |")
    cs, ts = c.get("step_without_profiler_ms"), t.get("step_ms")
    L.append(f"| step without the profiler | | | {f(cs)} | | | {f(ts)} | "
             f"{cs / ts:.2f} | {cs - ts:+.2f} | | |")
    L.append("")
    return L


def scaling_table(c1, cn, t1, tn):
    n = cn["threads"]
    parts = [cnnlab_parts(c1), cnnlab_parts(cn), torch_parts(t1), torch_parts(tn)]
    L = [f"#### Thread scaling per op type: {cn['model']}, batch {cn['batch']}, "
         f"{'training step' if cn.get('train') else 'eval forward'}, 1 thread against {n}", ""]
    L.append(f"| op type | cnnlab 1 thread | cnnlab {n} | cnnlab speedup | PyTorch 1 thread | "
             f"PyTorch {n} | PyTorch speedup | cnnlab below 1.8x? |")
    L.append("|---|---|---|---|---|---|---|---|")

    def tot(p, cat):
        a, b = p.get(cat, (0.0, 0.0))
        return a + b

    def sp(a, b):
        return a / b if b > 0.005 else None

    rows = [(LABEL[cat], *(tot(p, cat) for p in parts)) for cat in ORDER
            if any(tot(p, cat) >= 0.05 for p in parts)]
    rows.append(("**sum (profiled step)**", *(sum(a + b for a, b in p.values()) for p in parts)))
    rows.append(("step without the profiler", c1["step_without_profiler_ms"],
                 cn["step_without_profiler_ms"], t1["step_ms"], tn["step_ms"]))
    for label, a1, an, b1, bn in rows:
        s1, s2 = sp(a1, an), sp(b1, bn)
        flag = "–" if s1 is None or a1 < 0.5 else ("yes" if s1 < 1.8 else "no")
        L.append(f"| {label} | {f(a1)} | {f(an)} | {f(s1) + 'x' if s1 else '–'} | {f(b1)} | {f(bn)} | "
                 f"{f(s2) + 'x' if s2 else '–'} | {flag} |")
    L.append("")
    return L


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pair", nargs=2, action="append", default=[], metavar=("CNNLAB", "TORCH"))
    p.add_argument("--scaling", nargs=4, metavar=("C1", "CN", "T1", "TN"))
    a = p.parse_args()
    L = ["#### cnnlab against PyTorch per op type (ms per step)", "",
         "Each side's own profiler, median per op type over its timed steps: cnnlab `cnnlab bench "
         "--json` (per-module scopes, a module's backward = the graph nodes its forward recorded), "
         "PyTorch `bench/profile_torch.py` (torch.profiler; forward ops by the innermost module, "
         "backward ops by the autograd node that runs them; the step of `bench/models_torch.py`). "
         "Ratio = cnnlab / PyTorch; cnnlab − PyTorch in ms (positive: cnnlab slower); share = of "
         "that side's profiled step (the sum of the medians). Profiling costs each side differently "
         "(PyTorch's profiler records every aten op), so the last row gives each step timed "
         "without the profiler. Both sides train with SGD, lr 0.1, momentum 0.9, weight decay 5e-4 "
         "(`cnnlab bench --lr 0.1 --momentum 0.9 --weight-decay 5e-4`).", ""]
    for cf, tf in a.pair:
        L += pair_table(json.load(open(cf)), json.load(open(tf)))
    if a.scaling:
        L += scaling_table(*(json.load(open(x)) for x in a.scaling))
    print("\n".join(L))


if __name__ == "__main__":
    main()
