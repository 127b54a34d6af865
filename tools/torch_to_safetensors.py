#!/usr/bin/python3
"""Converts a PyTorch state_dict (.pth/.pt) to safetensors for cnnlab, and back.

The safetensors format is written by hand (the `safetensors` Python package is not in Debian):
an 8-byte little-endian header length N, N bytes of JSON {"name": {"dtype": "F32", "shape": [..],
"data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}} with sorted keys, padded with
spaces to a multiple of 8, then the raw little-endian data of every tensor in key order.

    /usr/bin/python3 tools/torch_to_safetensors.py model.pth model.safetensors [--check]
    /usr/bin/python3 tools/torch_to_safetensors.py --reverse model.safetensors model.pth [--check]

model.pth may hold a state_dict, or a checkpoint dict whose 'state_dict' or 'model' entry is one
(--key NAME picks another entry). It is loaded with torch.load(weights_only=True), which refuses
arbitrary pickles; --allow-pickle lifts that (only for files you trust; it also accepts a whole
pickled nn.Module). --check re-reads the written file and compares every tensor bit for bit.
Needs PyTorch (and NumPy, which PyTorch uses); cnnlab itself never runs this tool.
"""

import argparse
import collections
import json
import os
import struct
import sys

import numpy as np
import torch

# torch dtype -> (safetensors dtype, little-endian NumPy dtype)
DTYPES = {
    torch.float32: ("F32", "<f4"),
    torch.float64: ("F64", "<f8"),
    torch.int64: ("I64", "<i8"),
    torch.float16: ("F16", "<f2"),
    torch.int32: ("I32", "<i4"),
    torch.int16: ("I16", "<i2"),
    torch.int8: ("I8", "i1"),
    torch.uint8: ("U8", "u1"),
    torch.bool: ("BOOL", "?"),
}
FROM_ST = {st: (t, np_dtype) for t, (st, np_dtype) in DTYPES.items()}
CNNLAB_READS = ("F32", "F64", "I64")
MAX_HEADER = 100_000_000


class ConversionError(Exception):
    pass


def tensor_bytes(name, t):
    """(safetensors dtype, shape, little-endian bytes) of a tensor, made contiguous first."""
    t = t.detach().cpu()
    if t.dtype not in DTYPES:
        raise ConversionError("tensor %r has dtype %s; expected one of %s (convert it with "
                              ".float() first, or pass --float32)"
                              % (name, t.dtype, ", ".join(str(d) for d in DTYPES)))
    st, np_dtype = DTYPES[t.dtype]
    array = t.contiguous().numpy().astype(np_dtype, copy=False)  # NOTE: views become copies
    return st, list(t.shape), array.tobytes(order="C")


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} (sorted by name) and optional {str: str} metadata to `path`,
    atomically (a temporary file renamed into place)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        st, shape, blob = tensor_bytes(name, tensors[name])
        header[name] = {"dtype": st, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)  # the data section starts 8-byte aligned
    tmp = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as out:
            out.write(struct.pack("<Q", len(text)))
            out.write(text)
            for blob in blobs:
                out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_safetensors(path):
    """Returns ({name: tensor} in file order, metadata), validating every offset."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ConversionError("%s: expected at least 8 bytes, got %d" % (path, len(data)))
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or 8 + n > len(data):
        raise ConversionError("%s: header length %d runs past the file (%d bytes)"
                              % (path, n, len(data)))
    header = json.loads(data[8:8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise ConversionError("%s: the header is not a JSON object" % path)
    body = memoryview(data)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = collections.OrderedDict()
    for name, entry in header.items():
        st, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        if st not in FROM_ST:
            raise ConversionError("%s: tensor %r has dtype %s, which this tool cannot read"
                                  % (path, name, st))
        torch_dtype, np_dtype = FROM_ST[st]
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= len(body) or end - begin != count * np.dtype(np_dtype).itemsize:
            raise ConversionError("%s: tensor %r of shape %s (%s) has data_offsets [%d, %d] in a "
                                  "data section of %d bytes" % (path, name, shape, st, begin, end,
                                                                len(body)))
        array = np.frombuffer(body[begin:end], dtype=np_dtype).reshape(shape)
        tensors[name] = torch.from_numpy(array.astype(array.dtype.newbyteorder("="), copy=True))
        assert tensors[name].dtype == torch_dtype
    return tensors, metadata


def load_state_dict(path, key=None, allow_pickle=False):
    """The state_dict held by a .pth file: the file's dict itself, or its `key` entry (default:
    'state_dict', then 'model', when present), or a pickled module's state_dict()."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except TypeError:  # torch < 1.13 has no weights_only
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # pickle.UnpicklingError and friends
        raise ConversionError("%s: cannot load with torch.load(weights_only=True) (%s); if you "
                              "trust the file, pass --allow-pickle" % (path, e)) from e
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ConversionError("%s: expected a dict (a state_dict or a checkpoint), got %s"
                              % (path, type(obj).__name__))
    keys = [key] if key else [k for k in ("state_dict", "model") if k in obj]
    if key and key not in obj:
        raise ConversionError("%s: has no entry %r (entries: %s)"
                              % (path, key, ", ".join(map(str, obj))))
    if keys:
        obj = obj[keys[0]]
        if isinstance(obj, torch.nn.Module):
            obj = obj.state_dict()
    state = collections.OrderedDict()
    for name, value in obj.items():
        if torch.is_tensor(value):
            state[name] = value
        else:
            print("note: skipping %r (a %s, not a tensor)" % (name, type(value).__name__),
                  file=sys.stderr)
    if not state:
        raise ConversionError("%s: holds no tensors" % path)
    return state


def compare(expected, path):
    """Re-reads `path` and compares it with `expected` bit for bit; returns the problems."""
    got, _ = read_safetensors(path)
    problems = []
    if set(got) != set(expected):
        problems.append("names differ: missing %s, extra %s"
                        % (sorted(set(expected) - set(got)), sorted(set(got) - set(expected))))
    for name in sorted(set(got) & set(expected)):
        a, b = expected[name].detach().cpu(), got[name]
        if a.dtype != b.dtype or a.shape != b.shape or not torch.equal(a, b):
            problems.append("%s: expected %s %s, got %s %s (or different values)"
                            % (name, a.dtype, list(a.shape), b.dtype, list(b.shape)))
    return problems


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("source")
    p.add_argument("dest")
    p.add_argument("--reverse", action="store_true",
                   help="convert safetensors -> .pth (a plain state_dict saved by torch.save)")
    p.add_argument("--key", help="the checkpoint entry that holds the state_dict")
    p.add_argument("--allow-pickle", action="store_true",
                   help="torch.load without weights_only (only for files you trust)")
    p.add_argument("--float32", action="store_true",
                   help="convert every floating tensor (float16, float64, ...) to float32")
    p.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                   help="a __metadata__ entry of the safetensors file (repeatable)")
    p.add_argument("--check", action="store_true",
                   help="re-read the written file and compare every tensor with the source")
    args = p.parse_args(argv)
    try:
        if args.reverse:
            state, _ = read_safetensors(args.source)
            if args.float32:
                state = collections.OrderedDict(
                    (k, v.float() if v.is_floating_point() else v) for k, v in state.items())
            tmp = "%s.tmp.%d" % (args.dest, os.getpid())
            torch.save(state, tmp)
            os.replace(tmp, args.dest)
            if args.check:
                back = torch.load(args.dest, map_location="cpu")
                bad = [k for k in state if k not in back or not torch.equal(back[k], state[k])]
                if bad or set(back) != set(state):
                    raise ConversionError("--check: %s differs from %s in %s"
                                          % (args.dest, args.source, bad or "its names"))
            print("wrote %d tensors to %s" % (len(state), args.dest))
            return 0
        state = load_state_dict(args.source, args.key, args.allow_pickle)
        if args.float32:
            state = collections.OrderedDict(
                (k, v.float() if v.is_floating_point() else v) for k, v in state.items())
        metadata = {}
        for item in args.metadata:
            if "=" not in item:
                raise ConversionError("--metadata: expected KEY=VALUE, got %r" % item)
            k, v = item.split("=", 1)
            metadata[k] = v
        write_safetensors(args.dest, state, metadata)
        others = sorted({DTYPES[t.dtype][0] for t in state.values()} - set(CNNLAB_READS))
        if others:
            print("note: cnnlab reads F32, F64 and I64 only; this file also holds %s (pass "
                  "--float32)" % ", ".join(others), file=sys.stderr)
        if args.check:
            problems = compare(state, args.dest)
            if problems:
                raise ConversionError("--check: %s differs from %s: %s"
                                      % (args.dest, args.source, "; ".join(problems[:5])))
            print("check: %d tensors read back bit for bit" % len(state))
        n = sum(t.numel() for t in state.values())
        print("wrote %d tensors (%d elements) to %s" % (len(state), n, args.dest))
        return 0
    except (ConversionError, OSError, ValueError, KeyError) as e:
        print("torch_to_safetensors: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
