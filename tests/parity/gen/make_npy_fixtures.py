#!/usr/bin/python3
"""Writes the NumPy interop fixtures of tests/parity/fixtures/npy/ (read by
tests/unit/io/npy_test.cpp and tests/cli/forward_test.sh):

    /usr/bin/python3 tests/parity/gen/make_npy_fixtures.py

- one .npy per element type the reader accepts ('<f4', '<f8', '<i8', '|u1', '<i4'), a 0-d array,
  format versions 2.0 and 3.0, and two files it must refuse (Fortran order, big-endian), all
  written by NumPy itself;
- lenet5_weights.safetensors (a PyTorch LeNet-5 with cnnlab's parameter names, written by
  tools/torch_to_safetensors.py), lenet5_input.npy (4, 1, 28, 28) and lenet5_logits.npy, the
  float32 logits PyTorch computes: `cnnlab forward` must reproduce them.
Values are small exact binary fractions, so every reader sees the same numbers.
"""

import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[3]
OUT = ROOT / "tests" / "parity" / "fixtures" / "npy"
sys.path.insert(0, str(ROOT / "tools"))
import torch_to_safetensors  # noqa: E402  (the repository's converter, exercised here)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_fixtures import LeNet5  # noqa: E402  (the cnnlab LeNet-5, parameter names included)


def save(name, array, version=None):
    with open(OUT / name, "wb") as f:
        if version is None:
            np.save(f, array)
        else:
            np.lib.format.write_array(f, array, version=version)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    save("f4.npy", (np.arange(6, dtype="<f4") * 0.5 - 1).reshape(2, 3))
    save("f8.npy", (np.arange(24, dtype="<f8") / 8 - 1).reshape(2, 3, 4))
    save("i8.npy", np.array([-3, 0, 1 << 40, 7], dtype="<i8"))
    save("u1.npy", np.arange(0, 256, 51, dtype="u1").reshape(1, 2, 3))
    save("i4.npy", np.array([[-2**31, -1], [0, 2**31 - 1]], dtype="<i4"))
    save("f8_scalar.npy", np.array(2.5, dtype="<f8"))
    save("f4_v2.npy", np.arange(4, dtype="<f4").reshape(2, 2), version=(2, 0))
    save("f4_v3.npy", np.arange(4, dtype="<f4").reshape(2, 2), version=(3, 0))
    save("f4_fortran.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
    save("f4_big_endian.npy", np.arange(6, dtype=">f4").reshape(2, 3))

    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = LeNet5().eval()
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        logits = model(x)
    torch_to_safetensors.write_safetensors(str(OUT / "lenet5_weights.safetensors"),
                                           model.state_dict(), {"source": "make_npy_fixtures.py"})
    save("lenet5_input.npy", x.numpy())
    save("lenet5_logits.npy", logits.numpy())
    print("wrote", ", ".join(sorted(p.name for p in OUT.iterdir())))


if __name__ == "__main__":
    main()
