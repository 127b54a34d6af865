// CNNLAB_CHECK for user-facing checks (always on, throws a typed cnnlab error) and CNNLAB_ASSERT
// for internal invariants (a failure is a bug in cnnlab; compiled out with NDEBUG).
#pragma once

#include <cassert>
#include <sstream>
#include <string>
#include <utility>

#include "cnnlab/core/error.hpp"

namespace cnnlab::detail {

/// Streams every argument into one string: concat("got ", 3, " channels") == "got 3 channels".
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

}  // namespace cnnlab::detail

#define CNNLAB_CHECK(cond, ErrorType, ...)                                         \
  do {                                                                             \
    if (!(cond)) throw ::cnnlab::ErrorType(::cnnlab::detail::concat(__VA_ARGS__)); \
  } while (false)

#define CNNLAB_ASSERT(cond) assert(cond)
