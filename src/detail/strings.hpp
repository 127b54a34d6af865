// Small string helpers shared by the data loaders.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

namespace cnnlab::detail {

/// ASCII lower case ("PNG" -> "png").
inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace cnnlab::detail
