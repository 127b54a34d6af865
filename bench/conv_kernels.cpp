// Micro-benchmark of the float32 conv2d kernels on the conv layers of LeNet-5, CIFAR ResNet-20 and
// VGG-11 (32x32): forward, backward-data and backward-weights, each with
//   gemm    im2col + OpenBLAS (kernels::fast::gemm_conv2d_*),
//   dnnl    oneDNN, formats chosen by oneDNN, reorders to/from plain NCHW counted (the library),
//   plain   oneDNN forced onto plain NCHW / OIHW (its gemm-based convolution),
//   blocked oneDNN's convolution primitive alone on its own layouts (no reorders: the bound),
//   chosen  kernels::fast::conv2d_* (what the fast backend runs: gemm or dnnl per layer and pass).
// Prints a Markdown table of GFLOP/s = 2*N*OC*OH*OW*IC/G*KH*KW / fastest time.
//   conv_kernels [--threads N] [--min-seconds S] [--filter SUBSTRING]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "cnnlab/core/backend.hpp"
#include "kernels/conv2d.hpp"
#include "kernels/fast/conv2d_dnnl.hpp"
#include "kernels/fast/conv2d_gemm.hpp"

namespace {

using cnnlab::kernels::Conv2dGeometry;
using Clock = std::chrono::steady_clock;
namespace fast = cnnlab::kernels::fast;

struct Case {
  std::string name;
  Conv2dGeometry g;
  bool extra = false;  // not a layer of the three networks: left out of the totals
};

Conv2dGeometry geometry(int64_t n, int64_t ic, int64_t hw, int64_t oc, int64_t k, int64_t s,
                        int64_t p, int64_t groups = 1) {
  Conv2dGeometry g;
  g.n = n;
  g.g = groups;
  g.ic = ic;
  g.h = g.w = hw;
  g.oc = oc;
  g.kh = g.kw = k;
  g.sh = g.sw = s;
  g.ph = g.pw = p;
  g.oh = (hw + 2 * p - k) / s + 1;
  g.ow = g.oh;
  return g;
}

std::vector<Case> cases() {
  std::vector<Case> c;
  for (int64_t n : {64, 256}) {
    c.push_back({"LeNet conv1 1->6 5x5 p2 28x28", geometry(n, 1, 28, 6, 5, 1, 2)});
    c.push_back({"LeNet conv2 6->16 5x5 14x14", geometry(n, 6, 14, 16, 5, 1, 0)});
  }
  c.push_back({"ResNet20 3->16 3x3 32x32", geometry(128, 3, 32, 16, 3, 1, 1)});
  c.push_back({"ResNet20 16->16 3x3 32x32", geometry(128, 16, 32, 16, 3, 1, 1)});
  c.push_back({"ResNet20 16->32 3x3 s2 32x32", geometry(128, 16, 32, 32, 3, 2, 1)});
  c.push_back({"ResNet20 32->32 3x3 16x16", geometry(128, 32, 16, 32, 3, 1, 1)});
  c.push_back({"ResNet20 64->64 3x3 8x8", geometry(128, 64, 8, 64, 3, 1, 1)});
  c.push_back({"VGG11 3->64 3x3 32x32", geometry(64, 3, 32, 64, 3, 1, 1)});
  c.push_back({"VGG11 64->128 3x3 16x16", geometry(64, 64, 16, 128, 3, 1, 1)});
  c.push_back({"VGG11 128->256 3x3 8x8", geometry(64, 128, 8, 256, 3, 1, 1)});
  c.push_back({"VGG11 256->256 3x3 8x8", geometry(64, 256, 8, 256, 3, 1, 1)});
  c.push_back({"VGG11 256->512 3x3 4x4", geometry(64, 256, 4, 512, 3, 1, 1)});
  c.push_back({"VGG11 512->512 3x3 2x2", geometry(64, 512, 2, 512, 3, 1, 1)});
  // Not in the three networks' training runs: left out of the totals.
  // Batch 1 (inference latency): per-call overhead rather than throughput.
  c.push_back({"batch1 LeNet conv1 1->6 5x5 p2 28x28", geometry(1, 1, 28, 6, 5, 1, 2), true});
  c.push_back({"batch1 LeNet conv2 6->16 5x5 14x14", geometry(1, 6, 14, 16, 5, 1, 0), true});
  c.push_back({"grouped g4 64->64 3x3 16x16", geometry(64, 64, 16, 64, 3, 1, 1, 4), true});
  c.push_back({"depthwise 32 3x3 16x16", geometry(64, 32, 16, 32, 3, 1, 1, 32), true});
  c.push_back({"depthwise 64 3x3 s2 16x16", geometry(64, 64, 16, 64, 3, 2, 1, 64), true});
  return c;
}

double flops(const Conv2dGeometry& g) {
  return 2.0 * static_cast<double>(g.n * g.oc * g.oh * g.ow * g.icg() * g.kh * g.kw);
}

// Seconds per call, the fastest of the timed calls: 2 warm-up calls (the first builds any cached
// primitive), then calls until min_seconds have passed and at least 5 were timed.
// NOTE: the minimum, not the median: on this shared 2-core machine any other process preempts one
// of the two OpenMP threads and the whole parallel region waits for it.
double time_call(const std::function<void()>& f, double min_seconds) {
  f();
  f();
  std::vector<double> times;
  const Clock::time_point start = Clock::now();
  while (times.size() < 5 ||
         std::chrono::duration<double>(Clock::now() - start).count() < min_seconds) {
    const Clock::time_point t0 = Clock::now();
    f();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return *std::min_element(times.begin(), times.end());
}

// (iii): the convolution primitive alone, on buffers already in the layouts it chose.
class BlockedOnly {
 public:
  BlockedOnly(const Conv2dGeometry& g, int direction) {
    using dnnl::memory;
    using Tag = memory::format_tag;
    const auto f32 = memory::data_type::f32;
    const memory::dims src{g.n, g.ic, g.h, g.w}, dst{g.n, g.oc, g.oh, g.ow}, bias{g.oc};
    const memory::dims wei = g.g == 1 ? memory::dims{g.oc, g.ic, g.kh, g.kw}
                                      : memory::dims{g.g, g.ocg(), g.icg(), g.kh, g.kw};
    const memory::dims strides{g.sh, g.sw}, dil{g.dil_h - 1, g.dil_w - 1}, pad{g.ph, g.pw};
    const memory::desc s(src, f32, Tag::any), w(wei, f32, Tag::any), d(dst, f32, Tag::any),
        b(bias, f32, Tag::x);
    const dnnl::convolution_forward::primitive_desc fwd(
        {dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, s, w, b, d,
         strides, dil, pad, pad},
        engine_);
    auto mem = [&](const memory::desc& md) {
      memory m(md, engine_);
      std::memset(m.get_data_handle(), 0, md.get_size());
      return m;
    };
    if (direction == 0) {
      prim_ = dnnl::convolution_forward(fwd);
      impl_ = fwd.impl_info_str();
      args_ = {{DNNL_ARG_SRC, mem(fwd.src_desc())},
               {DNNL_ARG_WEIGHTS, mem(fwd.weights_desc())},
               {DNNL_ARG_BIAS, mem(fwd.bias_desc())},
               {DNNL_ARG_DST, mem(fwd.dst_desc())}};
    } else if (direction == 1) {
      const dnnl::convolution_backward_data::primitive_desc pd(
          {dnnl::algorithm::convolution_direct, s, w, d, strides, dil, pad, pad}, engine_, fwd);
      prim_ = dnnl::convolution_backward_data(pd);
      impl_ = pd.impl_info_str();
      args_ = {{DNNL_ARG_DIFF_DST, mem(pd.diff_dst_desc())},
               {DNNL_ARG_WEIGHTS, mem(pd.weights_desc())},
               {DNNL_ARG_DIFF_SRC, mem(pd.diff_src_desc())}};
    } else {
      const dnnl::convolution_backward_weights::primitive_desc pd(
          {dnnl::algorithm::convolution_direct, s, w, d, strides, dil, pad, pad}, engine_, fwd);
      prim_ = dnnl::convolution_backward_weights(pd);
      impl_ = pd.impl_info_str();
      args_ = {{DNNL_ARG_SRC, mem(pd.src_desc())},
               {DNNL_ARG_DIFF_DST, mem(pd.diff_dst_desc())},
               {DNNL_ARG_DIFF_WEIGHTS, mem(pd.diff_weights_desc())}};
    }
  }
  void operator()() {
    prim_.execute(stream_, args_);
    stream_.wait();
  }
  const std::string& impl() const { return impl_; }

 private:
  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{engine_};
  dnnl::primitive prim_;
  std::unordered_map<int, dnnl::memory> args_;
  std::string impl_;
};

std::vector<float> random_vector(int64_t size, std::mt19937& gen) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(size));
  for (float& x : v) x = dist(gen);
  return v;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::abs(x)));
  return m;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  double min_seconds = 0.3;
  std::string filter;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--min-seconds") == 0) min_seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--filter") == 0) filter = argv[i + 1];
  }
  cnnlab::set_num_threads(threads);
  std::printf(
      "threads=%d (omp_get_max_threads via cnnlab::num_threads()=%d), min %.2f s per cell\n\n",
      threads, cnnlab::num_threads(), min_seconds);
  std::printf(
      "| layer | N | pass | gemm | dnnl (+reorders) | dnnl plain | dnnl blocked only | "
      "oneDNN impl (blocked) | speed-up dnnl vs gemm | chosen |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n");
  std::mt19937 gen(1234);
  const char* pass_names[3] = {"fwd", "bwd data", "bwd weights"};
  double total[5][3] = {};  // seconds per variant and pass, summed over cases
  for (const Case& c : cases()) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
    const Conv2dGeometry& g = c.g;
    const std::vector<float> x = random_vector(g.n * g.ic * g.h * g.w, gen);
    const std::vector<float> w = random_vector(g.oc * g.icg() * g.kh * g.kw, gen);
    const std::vector<float> b = random_vector(g.oc, gen);
    const std::vector<float> dy = random_vector(g.n * g.oc * g.oh * g.ow, gen);
    std::vector<float> y(dy.size()), y2(dy.size()), dx(x.size()), dw(w.size());

    // Sanity: the library's oneDNN forward agrees with im2col + BLAS.
    fast::gemm_conv2d_forward(y.data(), x.data(), w.data(), b.data(), g);
    fast::dnnl_conv2d_forward(y2.data(), x.data(), w.data(), b.data(), g);
    const double rel = max_diff(y, y2) / max_abs(y);
    if (!(rel < 1e-4))
      std::fprintf(stderr, "WARNING %s: dnnl vs gemm forward rel diff %g\n", c.name.c_str(), rel);

    for (int pass = 0; pass < 3; ++pass) {
      std::function<void()> run[5];
      if (pass == 0) {
        run[0] = [&] { fast::gemm_conv2d_forward(y.data(), x.data(), w.data(), b.data(), g); };
        run[1] = [&] { fast::dnnl_conv2d_forward(y.data(), x.data(), w.data(), b.data(), g); };
        run[2] = [&] {
          fast::dnnl_conv2d_forward(y.data(), x.data(), w.data(), b.data(), g,
                                    fast::DnnlLayout::kPlain);
        };
        run[4] = [&] { fast::conv2d_forward(y.data(), x.data(), w.data(), b.data(), g); };
      } else if (pass == 1) {
        run[0] = [&] { fast::gemm_conv2d_backward_data(dx.data(), dy.data(), w.data(), g); };
        run[1] = [&] { fast::dnnl_conv2d_backward_data(dx.data(), dy.data(), w.data(), g); };
        run[2] = [&] {
          fast::dnnl_conv2d_backward_data(dx.data(), dy.data(), w.data(), g,
                                          fast::DnnlLayout::kPlain);
        };
        run[4] = [&] { fast::conv2d_backward_data(dx.data(), dy.data(), w.data(), g); };
      } else {
        run[0] = [&] { fast::gemm_conv2d_backward_weights(dw.data(), dy.data(), x.data(), g); };
        run[1] = [&] {
          fast::dnnl_conv2d_backward_weights(dw.data(), nullptr, dy.data(), x.data(), g);
        };
        run[2] = [&] {
          fast::dnnl_conv2d_backward_weights(dw.data(), nullptr, dy.data(), x.data(), g,
                                             fast::DnnlLayout::kPlain);
        };
        run[4] = [&] { fast::conv2d_backward_weights(dw.data(), dy.data(), x.data(), g); };
      }
      BlockedOnly blocked(g, pass);
      run[3] = [&] { blocked(); };
      double t[5];
      for (int v = 0; v < 5; ++v) {
        t[v] = time_call(run[v], min_seconds);
        if (!c.extra) total[v][pass] += t[v];
      }
      const double f = flops(g) * 1e-9;
      std::printf("| %s | %lld | %s | %.1f | %.1f | %.1f | %.1f | %s | %.2fx | %.1f |\n",
                  c.name.c_str(), static_cast<long long>(g.n), pass_names[pass], f / t[0], f / t[1],
                  f / t[2], f / t[3], blocked.impl().c_str(), t[0] / t[1], f / t[4]);
      std::fflush(stdout);
    }
  }
  std::printf(
      "\nTotal ms over the layers of the three networks (one call of each pass per layer):\n\n"
      "| pass | gemm | dnnl (+reorders) | dnnl plain | dnnl blocked only | chosen |\n"
      "|---|---|---|---|---|---|\n");
  for (int pass = 0; pass < 3; ++pass) {
    std::printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f |\n", pass_names[pass],
                1e3 * total[0][pass], 1e3 * total[1][pass], 1e3 * total[2][pass],
                1e3 * total[3][pass], 1e3 * total[4][pass]);
  }
  return 0;
}
