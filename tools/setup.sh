#!/usr/bin/env bash
# Installs the Debian packages that cnnlab's build, tests and demo need, when missing. Idempotent:
# `tools/setup.sh [--with-browser] [--with-bench]`.
# installs nothing (and does not touch apt) when everything is present. Uses sudo when not root.
# The package list, and why each is needed, is in README.md ("What gets installed").
set -euo pipefail

packages=(
  g++ cmake make           # compiler and build
  libgtest-dev             # tests (GoogleTest)
  nlohmann-json3-dev       # JSON: safetensors headers, config files
  zlib1g-dev               # gzip-compressed IDX files
  libstb-dev               # PNG/JPEG reading and writing (stb)
  libcli11-dev             # the command line of the cnnlab tool
  libopenblas-dev          # GEMM of the fast CPU backend
  libdnnl-dev              # oneDNN: convolution kernels of the fast CPU backend
  libonnx-dev              # ONNX export: the ONNX protobuf classes and the model checker
  libprotobuf-dev          # protobuf, under libonnx-dev
  libopencv-dnn-dev        # the tests run exported ONNX graphs in OpenCV's dnn module
  libeigen3-dev            # Eigen: PCA of the features viz (eigen-decomposition)
  liblbfgspp-dev           # LBFGSpp (header-only, on Eigen): L-BFGS-B of viz texture / style
  dataset-fashion-mnist    # the demo's data: /usr/share/datasets/fashion-mnist
)

# The report's browser test needs Chromium (large): installed with --with-browser (CI does).
# `make bench` compares with PyTorch (Debian's build) and measures memory with GNU time.
for option in "$@"; do
  case "$option" in
    --with-browser) packages+=(chromium) ;;
    --with-bench) packages+=(python3-torch python3-torchvision python3-numpy time) ;;
    *) echo "setup: unknown option $option (known: --with-browser, --with-bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
