// nn::LocalResponseNorm: options check, forward through ops::local_response_norm, and repr in
// torch.nn.LocalResponseNorm's print format.
#include "cnnlab/nn/local_response_norm.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "cnnlab/ops/lrn.hpp"

namespace cnnlab::nn {
namespace {

// A double as Python's repr() prints it: the shortest round-trip digits, fixed notation for
// exponents in [-4, 16) ("0.75", "2.0", "0.0001"), scientific otherwise ("1e-05").
std::string python_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const std::string s(buf, res.ptr);
  const size_t e = s.find('e');
  std::string mant = s.substr(0, e);
  const int exp = std::atoi(s.c_str() + e + 1);
  const std::string sign = mant[0] == '-' ? "-" : "";
  if (!sign.empty()) mant.erase(0, 1);
  std::string digits;
  for (char ch : mant) {
    if (ch != '.') digits += ch;
  }
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return sign + "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    const auto int_len = static_cast<size_t>(exp) + 1;
    if (digits.size() <= int_len) {
      return sign + digits + std::string(int_len - digits.size(), '0') + ".0";
    }
    return sign + digits.substr(0, int_len) + "." + digits.substr(int_len);
  }
  const std::string m = digits.size() == 1 ? digits : digits.substr(0, 1) + "." + digits.substr(1);
  const std::string ex = std::to_string(std::abs(exp));
  return sign + m + "e" + (exp < 0 ? "-" : "+") + (ex.size() < 2 ? "0" : "") + ex;
}

}  // namespace

LocalResponseNorm::LocalResponseNorm(const LocalResponseNormOptions& options)
    : Module("LocalResponseNorm"), options_(options) {
  CNNLAB_CHECK(options_.size > 0, ValueError, "LocalResponseNorm: expected size > 0, got ",
               options_.size);
}

LocalResponseNorm::LocalResponseNorm(const LocalResponseNormOptions& options, Rng& /*rng*/)
    : LocalResponseNorm(options) {}

Tensor LocalResponseNorm::forward(const Tensor& input) {
  return ops::local_response_norm(
      input,
      {.size = options_.size, .alpha = options_.alpha, .beta = options_.beta, .k = options_.k});
}

std::string LocalResponseNorm::repr() const {
  return detail::concat(
      "LocalResponseNorm(", options_.size, ", alpha=", python_float(options_.alpha),
      ", beta=", python_float(options_.beta), ", k=", python_float(options_.k), ")");
}

}  // namespace cnnlab::nn
