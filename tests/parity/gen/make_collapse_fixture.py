#!/usr/bin/python3
"""Writes the parity fixtures of the neural-collapse metrics (include/cnnlab/analysis/collapse.hpp)
to tests/parity/fixtures/collapse/<case>.safetensors: a NumPy float64 re-implementation that
follows the authors' reference code (Han-Papyan-Donoho Colab, quoted in ../shared/PAPERS.md
section 2) line by line, and Fang et al.'s mean pairwise cosine of raw classifier rows (section 3).

Run with Debian's interpreter (the writer of make_fixtures.py takes torch tensors):
    /usr/bin/python3 tests/parity/gen/make_collapse_fixture.py [CASE...]

Each fixture holds the inputs
  features   (N, p) float64   simplex-ETF-like class means (perturbed, offset) + Gaussian noise
  labels     (N) int64        shuffled, unbalanced class counts
  decisions  (N) int64        argmax(W h + b) of a classifier W that is a noisy M^T
  weight     (C, p) float64   that W
  rows_a, rows_b  int64       row subsets for mean_pairwise_cosine
and the expected values, each a 0-d float64 tensor: nc1, equinorm_means, equinorm_classifiers,
equiangular_means, equiangular_classifiers, max_angle_means, max_angle_classifiers, nc3, nc4,
cos_a, cos_b (mean pairwise cosine of rows_a / rows_b). The metadata also records how far the same
formulas move when features and weight are first rounded to float32 (what float32 input costs).
"""

import json
import pathlib
import sys

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))

from make_fixtures import write_safetensors  # noqa: E402

FIXTURE_DIR = ROOT / "tests" / "parity" / "fixtures" / "collapse"

# (fixture name, seed, class counts, p, rows_a, rows_b). p >= C - 1 in both; "rank_edge" has
# p == C - 1, where Sigma_B has full rank and the rank C - 1 pseudo-inverse is the inverse.
CASES = [
    ("c10_p16", 7, [20, 24, 27, 30, 33, 36, 40, 25, 35, 30], 16, [5, 6, 7, 8, 9], [0, 1, 2, 3, 4]),
    ("rank_edge_c4_p3", 12, [8, 12, 9, 11], 3, [2, 3], [0, 1, 2]),
]

METRICS = ["nc1", "equinorm_means", "equinorm_classifiers", "equiangular_means",
           "equiangular_classifiers", "max_angle_means", "max_angle_classifiers", "nc3", "nc4"]


def coherence(V, C):
    """The reference code's coherence(): V (p x C) with unit columns;
    G = V^T V + 1/(C-1), diagonal removed, sum |G| / (C (C-1))."""
    G = V.T @ V
    G += np.ones((C, C)) / (C - 1)
    G -= np.diag(np.diag(G))
    return np.abs(G).sum() / (C * (C - 1))


def pair_cosines(V):
    """cos of columns c < c' of V (p x C), the C(C-1)/2 unordered pairs."""
    U = V / np.linalg.norm(V, axis=0)
    G = U.T @ U
    i, j = np.triu_indices(G.shape[0], k=1)
    return G[i, j]


def collapse_metrics(H, y, decisions, W):
    """The metrics of collapse.hpp, line by line as the reference code (comments quote it)."""
    N, p = H.shape
    C = W.shape[0]
    # mean[c] = sum of h over class c / N[c];  M = stack(mean).T   (p x C)
    mean = [H[y == c].sum(axis=0) / np.count_nonzero(y == c) for c in range(C)]
    M = np.stack(mean).T
    # Sw = sum over samples (h - mean[c])(h - mean[c])^T / sum(N)
    D = H - M.T[y]
    Sw = D.T @ D / N
    # muG = mean(M, dim=1): the mean of the class means (not the global mean: unbalanced here)
    muG = M.mean(axis=1, keepdims=True)
    M_ = M - muG
    Sb = M_ @ M_.T / C
    # eigvec, eigval, _ = svds(Sb, k=C-1); inv_Sb = eigvec @ diag(eigval**-1) @ eigvec.T.
    # NOTE: numpy.linalg.eigh instead of scipy's svds (iterative, ARPACK): Sigma_B is symmetric
    # positive semi-definite, so its top C-1 singular pairs are its top C-1 eigenpairs; eigh is
    # exact to rounding. Rank min(C-1, p); eigenvalues below 1e-12 of the largest count as zero
    # (the header's rule; none is that small in these cases). Checked once: svds(Sb, k=C-1) and
    # scipy.linalg.pinv(Sb) give NC1 within 2e-15 relative of this on both cases.
    eigval, eigvec = np.linalg.eigh(Sb)
    order = np.argsort(eigval)[::-1][:min(C - 1, p)]
    eigval, eigvec = eigval[order], eigvec[:, order]
    keep = eigval > 1e-12 * eigval[0]
    eigval, eigvec = eigval[keep], eigvec[:, keep]
    inv_Sb = eigvec @ np.diag(eigval ** -1) @ eigvec.T
    # NC1 = trace(Sw @ inv_Sb) / C   (the paper's /C; the original Colab omits it)
    nc1 = np.trace(Sw @ inv_Sb) / C
    # M_norms = norm(M_, dim=0); W_norms = norm(W.T, dim=0); std(.)/mean(.) with torch.std's
    # unbiased estimate (ddof=1)
    M_norms = np.linalg.norm(M_, axis=0)
    W_norms = np.linalg.norm(W.T, axis=0)
    equinorm_means = M_norms.std(ddof=1) / M_norms.mean()
    equinorm_classifiers = W_norms.std(ddof=1) / W_norms.mean()
    # Equiangularity (not in the Colab): unbiased std of the cosines over the pairs c < c';
    # the classifier rows raw, not centred
    equiangular_means = pair_cosines(M_).std(ddof=1)
    equiangular_classifiers = pair_cosines(W.T).std(ddof=1)
    # cos_M = coherence(M_/M_norms); cos_W = coherence(W.T/W_norms)
    max_angle_means = coherence(M_ / M_norms, C)
    max_angle_classifiers = coherence(W.T / W_norms, C)
    # NC3 = norm(W.T/norm(W.T,'fro') - M_/norm(M_,'fro'))**2
    nc3 = np.linalg.norm(W.T / np.linalg.norm(W.T, "fro") - M_ / np.linalg.norm(M_, "fro")) ** 2
    # NCC_mismatch = 1 - #(argmin_c ||h - mean_c|| == decision) / sum(N); np.argmin takes the
    # lowest index on ties
    dist = np.linalg.norm(H[:, :, None] - M[None, :, :], axis=1)  # (N, C)
    ncc = dist.argmin(axis=1)
    nc4 = 1.0 - np.count_nonzero(ncc == decisions) / N
    values = [nc1, equinorm_means, equinorm_classifiers, equiangular_means,
              equiangular_classifiers, max_angle_means, max_angle_classifiers, nc3, nc4]
    return dict(zip(METRICS, (float(v) for v in values))), dist


def mean_pairwise_cosine(W, rows):
    """Fang et al.'s analyze_collapse: mean over ordered pairs i != j of rows of
    1 - scipy.spatial.distance.cosine(w_i, w_j), raw rows."""
    total, count = 0.0, 0
    for i in rows:
        for j in rows:
            if i != j:
                total += W[i] @ W[j] / (np.linalg.norm(W[i]) * np.linalg.norm(W[j]))
                count += 1
    return total / count


def make_inputs(seed, counts, p):
    """ETF-like class means (perturbed so that NC2 is not 0, offset so that centring matters),
    features = mean + noise, and a noisy classifier whose argmax disagrees with the nearest class
    mean on a few samples."""
    rng = np.random.default_rng(seed)
    C = len(counts)
    etf = np.sqrt(C / (C - 1)) * (np.eye(C) - np.ones((C, C)) / C)  # C x C, unit columns
    if p >= C:
        U, _ = np.linalg.qr(rng.standard_normal((p, C)))  # p x C orthonormal columns
        means = U @ etf
    else:
        # p == C - 1: the ETF spans C - 1 dimensions; rotate its span into R^p
        basis, _ = np.linalg.qr(etf[:, :C - 1])  # C x (C-1), orthonormal basis of the span
        Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
        means = Q @ basis.T @ etf  # p x C
    means = 4.0 * means + 0.6 * rng.standard_normal((p, C)) + rng.standard_normal((p, 1))
    y = rng.permutation(np.repeat(np.arange(C), counts))
    H = means.T[y] + 1.2 * rng.standard_normal((len(y), p))
    g = means.mean(axis=1, keepdims=True)
    Mc = means - g
    # argmin_c ||h - mu_c|| = argmax_c (Mc_c . h - ||Mc_c||^2 / 2 - Mc_c . g): a perturbed copy
    # of that linear rule decides like the nearest mean except near the boundaries
    W = Mc.T + 0.25 * rng.standard_normal((C, p))
    b = -0.5 * (Mc * Mc).sum(axis=0) - (Mc * g).sum(axis=0) + 0.3 * rng.standard_normal(C)
    logits = H @ W.T + b
    decisions = logits.argmax(axis=1)
    return H, y.astype(np.int64), decisions.astype(np.int64), W, logits


def margin(values):
    """Per row, the gap between the smallest and the second smallest value."""
    s = np.sort(values, axis=1)
    return s[:, 1] - s[:, 0]


def fixture(name, seed, counts, p, rows_a, rows_b):
    H, y, decisions, W, logits = make_inputs(seed, counts, p)
    expected, dist = collapse_metrics(H, y, decisions, W)
    expected["cos_a"] = mean_pairwise_cosine(W, rows_a)
    expected["cos_b"] = mean_pairwise_cosine(W, rows_b)
    # The float32 run of the C++ test must make the same discrete choices: no nearest-mean or
    # argmax decision may be within float32 rounding of a tie.
    assert margin(dist).min() > 1e-3, margin(dist).min()
    assert margin(-logits).min() > 1e-3, margin(-logits).min()
    mismatches = int(round(expected["nc4"] * len(y)))
    assert 0 < mismatches <= 0.1 * len(y), mismatches
    # What float32 input costs: the same formulas on features and weight rounded to float32.
    H32, W32 = H.astype(np.float32).astype(np.float64), W.astype(np.float32).astype(np.float64)
    rounded, _ = collapse_metrics(H32, y, decisions, W32)
    rounded["cos_a"] = mean_pairwise_cosine(W32, rows_a)
    rounded["cos_b"] = mean_pairwise_cosine(W32, rows_b)
    f32_rel = max(abs(rounded[k] - v) / abs(v) for k, v in expected.items() if v != 0)
    assert f32_rel < 1e-5, f32_rel  # a tenth of the C++ test's float32 tolerance

    tensors = {
        "features": torch.from_numpy(H),
        "labels": torch.from_numpy(y),
        "decisions": torch.from_numpy(decisions),
        "weight": torch.from_numpy(W),
        "rows_a": torch.tensor(rows_a, dtype=torch.int64),
        "rows_b": torch.tensor(rows_b, dtype=torch.int64),
    }
    for key, value in expected.items():
        tensors[key] = torch.tensor(value, dtype=torch.float64)
    args = {"seed": seed, "class_counts": counts, "p": p, "C": len(counts), "N": int(len(y)),
            "mismatches": mismatches, "float32_input_max_rel_change": float("%.3g" % f32_rel),
            "inputs": "numpy default_rng(seed): ETF-like means + noise, W = noisy M^T"}
    metadata = {"op": "collapse_metrics", "args": json.dumps(args, sort_keys=True),
                "numpy": np.__version__}
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    path = FIXTURE_DIR / (name + ".safetensors")
    write_safetensors(path, tensors, metadata)
    print("wrote %s (%.1f KiB, %d mismatches, float32 input moves a metric by <= %.2g relative)"
          % (path.relative_to(ROOT), path.stat().st_size / 1024, mismatches, f32_rel))
    for key, value in expected.items():
        print("  %-24s %.17g" % (key, value))


def main():
    wanted = set(sys.argv[1:])
    known = {case[0] for case in CASES}
    if wanted - known:
        raise SystemExit("unknown fixture names: %s (known: %s)"
                         % (", ".join(sorted(wanted - known)), ", ".join(sorted(known))))
    for case in CASES:
        if not wanted or case[0] in wanted:
            fixture(*case)


if __name__ == "__main__":
    main()
