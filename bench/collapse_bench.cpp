// The neural-collapse metrics benchmark of issue 7 ("features of 60,000 x 512 in <= 5 s on 2 cores,
// streaming"): analysis::collapse_metrics on seeded random float32 features with class structure,
// median and min over repeats after one warm-up, and the growth of the peak RSS over the calls
// (no second copy of the features). bench/collapse_numpy.py is the authors' reference computation
// (p x p Sigma_W, svds) in NumPy. docs/collapse.md gives the command and the numbers.
//   collapse_bench [--n 60000] [--p 512] [--classes 10] [--repeats 5] [--threads 2] [--dump DIR]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cnnlab/analysis/collapse.hpp"
#include "cnnlab/core/backend.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/tensor/tensor.hpp"
#include "timing.hpp"

namespace {

// A "Vm...:  123 kB" field of /proc/self/status in MiB; -1 when it cannot be read.
double status_mib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atof(line.c_str() + field.size() + 1) / 1024;
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0); false when the kernel refuses.
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

template <typename T>
void write_raw(const std::string& path, const T* data, int64_t count) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(T)));
  if (!out)
    throw std::runtime_error("cannot write " + path + " (does the --dump directory exist?)");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cnnlab;
  int64_t n = 60000, p = 512, classes = 10, repeats = 5, threads = 2;
  std::string dump;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int64_t value = std::atoll(argv[i + 1]);
    if (flag == "--n") {
      n = value;
    } else if (flag == "--p") {
      p = value;
    } else if (flag == "--classes") {
      classes = value;
    } else if (flag == "--repeats") {
      repeats = value;
    } else if (flag == "--threads") {
      threads = value;
    } else if (flag == "--dump") {
      dump = argv[i + 1];
    } else {
      std::fprintf(stderr,
                   "usage: collapse_bench [--n N] [--p P] [--classes C] [--repeats R] "
                   "[--threads T] [--dump DIR]\n");
      return 2;
    }
  }
  if (n < classes || p < 1 || classes < 2 || repeats < 1 || threads < 1) {
    std::fprintf(stderr,
                 "collapse_bench: expected --classes >= 2, --n >= --classes and positive --p, "
                 "--repeats, --threads\n");
    return 2;
  }
  try {
    set_num_threads(static_cast<int>(threads));
    // Data: class means mu_c ~ N(0, 1)^p, features h_i = mu_{y_i} + N(0, 3^2)^p written straight
    // into the float32 tensor (no temporary), labels i mod C (balanced), decisions the nearest
    // true mean with 2% replaced by a random other class, W ~ N(0, 1)^(C x p).
    // NOTE: features and labels are the only large allocations, made before the peak RSS is
    // reset, so its growth over the timed calls is what collapse_metrics itself allocates.
    Rng rng(7);
    std::vector<float> means(static_cast<size_t>(classes * p));
    for (float& v : means) v = static_cast<float>(rng.normal());
    Tensor features = Tensor::empty({n, p});
    Tensor labels = Tensor::empty({n}, Dtype::kInt64);
    Tensor decisions = Tensor::empty({n}, Dtype::kInt64);
    float* h = features.data<float>();
    int64_t* y = labels.data<int64_t>();
    int64_t* d = decisions.data<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      y[i] = i % classes;
      float* row = h + i * p;
      const float* mu = means.data() + y[i] * p;
      for (int64_t j = 0; j < p; ++j) row[j] = mu[j] + static_cast<float>(rng.normal(0.0, 3.0));
      int64_t nearest = 0;
      double best = INFINITY;
      for (int64_t c = 0; c < classes; ++c) {
        const float* m = means.data() + c * p;
        double dist = 0;
        for (int64_t j = 0; j < p; ++j) dist += (row[j] - m[j]) * (row[j] - m[j]);
        if (dist < best) {
          best = dist;
          nearest = c;
        }
      }
      d[i] = rng.bernoulli(0.02)
                 ? (nearest + 1 + static_cast<int64_t>(rng.below(classes - 1))) % classes
                 : nearest;
    }
    const Tensor weight = Tensor::normal({classes, p}, 0.0, 1.0, rng);
    if (!dump.empty()) {  // raw files for bench/collapse_numpy.py --load DIR (same data)
      write_raw(dump + "/features.f32", h, n * p);
      write_raw(dump + "/labels.i64", y, n);
      write_raw(dump + "/decisions.i64", d, n);
      write_raw(dump + "/weight.f32", weight.data<float>(), classes * p);
    }

    const double rss_before = status_mib("VmRSS");
    const double hwm_before = status_mib("VmHWM");
    const bool reset = reset_peak_rss();
    analysis::CollapseMetrics m = analysis::collapse_metrics(features, labels, decisions, weight);
    std::vector<double> times;
    for (int64_t r = 0; r < repeats; ++r) {
      const auto t0 = bench::Clock::now();
      m = analysis::collapse_metrics(features, labels, decisions, weight);
      times.push_back(bench::seconds_since(t0));
    }
    const double hwm_after = status_mib("VmHWM");
    // with the reset, VmHWM starts from the current RSS; without it, from the earlier peak
    const double growth = hwm_after - (reset ? rss_before : hwm_before);

    std::printf(
        "metrics nc1=%.9g equinorm_means=%.9g equinorm_classifiers=%.9g "
        "equiangular_means=%.9g equiangular_classifiers=%.9g max_angle_means=%.9g "
        "max_angle_classifiers=%.9g nc3=%.9g nc4=%.9g\n",
        m.nc1, m.equinorm_means, m.equinorm_classifiers, m.equiangular_means,
        m.equiangular_classifiers, m.max_angle_means, m.max_angle_classifiers, m.nc3, m.nc4);
    std::printf(
        "memory features_mib=%.1f rss_before_mib=%.1f hwm_before_mib=%.1f hwm_after_mib=%.1f "
        "peak_reset=%s\n",
        static_cast<double>(n * p * 4) / (1 << 20), rss_before, hwm_before, hwm_after,
        reset ? "yes" : "no");
    std::printf(
        "RESULT impl=cnnlab method=collapse_metrics n=%lld p=%lld classes=%lld threads=%lld "
        "repeats=%lld median_s=%.4f min_s=%.4f peak_rss_growth_mib=%.1f\n",
        static_cast<long long>(n), static_cast<long long>(p), static_cast<long long>(classes),
        static_cast<long long>(threads), static_cast<long long>(repeats), bench::median(times),
        *std::min_element(times.begin(), times.end()), growth);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "collapse_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
