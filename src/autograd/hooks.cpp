// Scoped backward overrides: a per-thread table from op name to replacement rule.
#include "cnnlab/autograd/hooks.hpp"

#include <map>

namespace cnnlab::autograd {
namespace {
std::map<std::string, OverrideFn>& overrides() {
  thread_local std::map<std::string, OverrideFn> table;
  return table;
}
}  // namespace

BackwardOverride::BackwardOverride(std::string op_name, OverrideFn fn)
    : op_name_(std::move(op_name)) {
  CNNLAB_CHECK(fn != nullptr, ValueError, "BackwardOverride: empty function for op '", op_name_,
               "'");
  OverrideFn& slot = overrides()[op_name_];
  previous_ = std::move(slot);
  slot = std::move(fn);
}

BackwardOverride::~BackwardOverride() {
  if (previous_) {
    overrides()[op_name_] = std::move(previous_);
  } else {
    overrides().erase(op_name_);
  }
}

const OverrideFn& find_override(const std::string& op_name) {
  static const OverrideFn none;
  const auto& table = overrides();
  if (table.empty()) return none;
  auto it = table.find(op_name);
  return it == table.end() ? none : it->second;
}

}  // namespace cnnlab::autograd
