# The NumPy side of bench/collapse_bench.cpp: NC1-NC4 as the Han-Papyan-Donoho reference code
# computes them (../shared/PAPERS.md section 2: the full p x p Sigma_W accumulated over samples,
# here per class with one matmul, Sigma_B, scipy's svds(Sigma_B, k=C-1), trace(Sw @ inv_Sb)/C),
# in float64, on the same kind of seeded data; median over repeats after a warm-up, and the peak
# RSS growth. Run by Debian's /usr/bin/python3 (NumPy on OpenBLAS; --threads sets its threads).
#   collapse_numpy.py [--n 60000] [--p 512] [--classes 10] [--repeats 5] [--threads 2] [--load DIR]
import argparse
import os
import statistics
import time


def status_mib(field):
    """A "Vm...:  123 kB" field of /proc/self/status in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return -1.0


def reset_peak_rss():
    """Resets VmHWM to the current RSS (Linux >= 4.0); False when the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def blas_library():
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "libopenblas" in line or "libblas" in line}
    return ",".join(sorted(libs)) or "unknown"


def make_data(np, n, p, classes, seed=7):
    """Features h_i = mu_{y_i} + N(0, 3^2) (float32, written in chunks so that no float64 copy
    exists), labels i mod C, decisions the nearest true mean with 2% moved to another class,
    W ~ N(0, 1): the recipe of collapse_bench.cpp (not its random numbers)."""
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((classes, p)).astype(np.float32)
    labels = np.arange(n, dtype=np.int64) % classes
    features = np.empty((n, p), dtype=np.float32)
    decisions = np.empty(n, dtype=np.int64)
    mu_sq = (means.astype(np.float64) ** 2).sum(1)
    for begin in range(0, n, 4096):
        end = min(n, begin + 4096)
        chunk = features[begin:end]
        chunk[:] = means[labels[begin:end]]
        chunk += 3.0 * rng.standard_normal((end - begin, p), dtype=np.float32)
        dist = mu_sq - 2.0 * chunk.astype(np.float64) @ means.T.astype(np.float64)
        decisions[begin:end] = dist.argmin(1)
    flip = rng.random(n) < 0.02
    decisions[flip] = (decisions[flip] + 1 + rng.integers(0, classes - 1, flip.sum())) % classes
    weight = rng.standard_normal((classes, p)).astype(np.float32)
    return features, labels, decisions, weight


def load_data(np, directory, n, p, classes):
    """The raw files written by collapse_bench --dump DIR (the same data as the C++ side)."""
    features = np.fromfile(os.path.join(directory, "features.f32"), np.float32).reshape(n, p)
    labels = np.fromfile(os.path.join(directory, "labels.i64"), np.int64)
    decisions = np.fromfile(os.path.join(directory, "decisions.i64"), np.int64)
    weight = np.fromfile(os.path.join(directory, "weight.f32"), np.float32).reshape(classes, p)
    assert labels.shape == (n,) and decisions.shape == (n,)
    return features, labels, decisions, weight


def reference_metrics(np, svds, H, y, decisions, W, C):
    """NC1-NC4 by the reference code's formulas, float64. H (N, p) is read one class at a time
    (a float64 copy of that class's rows), as a fair vectorized reimplementation of the
    reference code's per-sample loop would."""
    N, p = H.shape
    index = [np.flatnonzero(y == c) for c in range(C)]
    # pass 1: class means
    mean = np.stack([H[i].astype(np.float64).mean(axis=0) for i in index])  # C x p
    M = mean.T  # p x C
    # pass 2: Sigma_W (p x p) and the nearest-class-mean decisions
    # NOTE: argmin_c ||h - mu_c|| as argmin_c ||mu_c||^2 - 2 h.mu_c (the reference code takes
    # the norms of h - mu_c; the expanded form avoids an (N_c, C, p) temporary).
    Sw = np.zeros((p, p))
    mu_sq = (mean ** 2).sum(1)
    agree = 0
    for c in range(C):
        Hc = H[index[c]].astype(np.float64)
        nearest = (mu_sq - 2.0 * Hc @ mean.T).argmin(1)
        agree += int((nearest == decisions[index[c]]).sum())
        Z = Hc - mean[c]
        Sw += Z.T @ Z
    Sw /= N
    muG = M.mean(axis=1, keepdims=True)
    M_ = M - muG
    Sb = M_ @ M_.T / C
    eigvec, eigval, _ = svds(Sb, k=C - 1)
    inv_Sb = eigvec @ np.diag(eigval ** -1) @ eigvec.T
    nc1 = np.trace(Sw @ inv_Sb) / C

    W = W.astype(np.float64)
    M_norms = np.linalg.norm(M_, axis=0)
    W_norms = np.linalg.norm(W.T, axis=0)

    def coherence(V):
        G = V.T @ V + np.ones((C, C)) / (C - 1)
        G -= np.diag(np.diag(G))
        return np.abs(G).sum() / (C * (C - 1))

    def pair_std(V):
        G = V.T @ V
        return G[np.triu_indices(C, 1)].std(ddof=1) if C > 2 else 0.0

    U_M, U_W = M_ / M_norms, W.T / W_norms
    return {
        "nc1": nc1,
        "equinorm_means": M_norms.std(ddof=1) / M_norms.mean(),
        "equinorm_classifiers": W_norms.std(ddof=1) / W_norms.mean(),
        "equiangular_means": pair_std(U_M),
        "equiangular_classifiers": pair_std(U_W),
        "max_angle_means": coherence(U_M),
        "max_angle_classifiers": coherence(U_W),
        "nc3": np.linalg.norm(W.T / np.linalg.norm(W.T) - M_ / np.linalg.norm(M_)) ** 2,
        "nc4": 1.0 - agree / N,
    }


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--n", type=int, default=60000)
    a.add_argument("--p", type=int, default=512)
    a.add_argument("--classes", type=int, default=10)
    a.add_argument("--repeats", type=int, default=5)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--load", default="", help="a directory written by collapse_bench --dump")
    args = a.parse_args()
    # the BLAS thread count is read when NumPy loads OpenBLAS: set it before the import
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import numpy as np
    from scipy.sparse.linalg import svds

    if args.load:
        H, y, d, W = load_data(np, args.load, args.n, args.p, args.classes)
    else:
        H, y, d, W = make_data(np, args.n, args.p, args.classes)
    rss_before, hwm_before = status_mib("VmRSS"), status_mib("VmHWM")
    reset = reset_peak_rss()
    m = reference_metrics(np, svds, H, y, d, W, args.classes)  # warm-up
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        m = reference_metrics(np, svds, H, y, d, W, args.classes)
        times.append(time.perf_counter() - t0)
    hwm_after = status_mib("VmHWM")
    growth = hwm_after - (rss_before if reset else hwm_before)
    print("metrics " + " ".join("%s=%.9g" % kv for kv in m.items()))
    print("memory features_mib=%.1f rss_before_mib=%.1f hwm_before_mib=%.1f hwm_after_mib=%.1f "
          "peak_reset=%s blas=%s" % (H.nbytes / 2**20, rss_before, hwm_before, hwm_after,
                                     "yes" if reset else "no", blas_library()))
    print("RESULT impl=numpy method=reference n=%d p=%d classes=%d threads=%d repeats=%d "
          "median_s=%.4f min_s=%.4f peak_rss_growth_mib=%.1f"
          % (args.n, args.p, args.classes, args.threads, args.repeats, statistics.median(times),
             min(times), growth))


if __name__ == "__main__":
    main()
