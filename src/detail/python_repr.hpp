// python_float: a double printed as Python's repr(float) prints it, for module repr() strings that
// match PyTorch's print(model) output ("Dropout(p=0.5, inplace=False)", "eps=1e-05").
#pragma once

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "cnnlab/core/check.hpp"

namespace cnnlab::detail {

// A double as Python's repr(float) prints it: the shortest round-trip digits, fixed notation for
// exponents in [-4, 16) with at least one fractional digit ("0.01", "1.0"), else "1e-05".
inline std::string python_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);  // "-1.25e-02": shortest digits that round-trip
  const size_t e_at = sci.find('e');
  std::string mantissa = sci.substr(0, e_at);
  const int exponent = std::atoi(sci.c_str() + e_at + 1);
  std::string sign;
  if (mantissa[0] == '-') {
    sign = "-";
    mantissa.erase(0, 1);
  }
  if (exponent < -4 || exponent >= 16) {
    const int mag = std::abs(exponent);
    return detail::concat(sign, mantissa, "e", exponent < 0 ? "-" : "+", mag < 10 ? "0" : "", mag);
  }
  std::string digits = mantissa;
  if (digits.size() > 1) digits.erase(1, 1);  // drop the decimal point
  if (exponent < 0)
    return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  const auto int_len = static_cast<size_t>(exponent + 1);
  if (digits.size() <= int_len)
    return sign + digits + std::string(int_len - digits.size(), '0') + ".0";
  return sign + digits.substr(0, int_len) + "." + digits.substr(int_len);
}

}  // namespace cnnlab::detail
