// The process-wide backend setting: one atomic, initialised from CNNLAB_BACKEND on first use.
#include "cnnlab/core/backend.hpp"

#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "cnnlab/core/check.hpp"

namespace cnnlab {
namespace {

Backend initial_backend() {
  const char* env = std::getenv("CNNLAB_BACKEND");
  if (env == nullptr || *env == '\0') return Backend::kFast;
  return parse_backend(env);
}

// NOTE: a function-local static so that CNNLAB_BACKEND is read exactly once, thread-safely, on
// first use (C++11 magic statics), and not during static initialisation of the program.
std::atomic<Backend>& current() {
  static std::atomic<Backend> value{initial_backend()};
  return value;
}

}  // namespace

Backend backend() { return current().load(std::memory_order_relaxed); }

void set_backend(Backend b) { current().store(b, std::memory_order_relaxed); }

const char* backend_name(Backend b) { return b == Backend::kReference ? "reference" : "fast"; }

Backend parse_backend(std::string_view text) {
  if (text == "reference") return Backend::kReference;
  if (text == "fast") return Backend::kFast;
  throw ValueError(
      detail::concat("parse_backend: expected 'reference' or 'fast', got '", text, "'"));
}

void set_num_threads(int n) {
  CNNLAB_CHECK(n >= 0, ValueError, "set_num_threads: expected n >= 0, got ", n);
  if (n > 0) omp_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace cnnlab
