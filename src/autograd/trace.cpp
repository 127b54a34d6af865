// The op tracer's thread-local state and records (cnnlab/autograd/trace.hpp).
#include "cnnlab/autograd/trace.hpp"

#include "cnnlab/core/check.hpp"

namespace cnnlab::autograd {
namespace {

thread_local Trace* active_trace = nullptr;

}  // namespace

const TraceAttr& TracedOp::attr(const std::string& name) const {
  for (const auto& [key, value] : attrs) {
    if (key == name) return value;
  }
  throw StateError(
      detail::concat("trace: expected op '", op, "' to record attribute '", name, "', got none"));
}

TraceGuard::TraceGuard(Trace& trace) : previous_(active_trace) { active_trace = &trace; }
TraceGuard::~TraceGuard() { active_trace = previous_; }

bool is_tracing() { return active_trace != nullptr; }

void trace_op(std::string op, std::vector<Tensor> inputs, const Tensor& output,
              std::vector<std::pair<std::string, TraceAttr>> attrs) {
  if (active_trace == nullptr) return;
  active_trace->ops.push_back({std::move(op), std::move(inputs), output, std::move(attrs)});
}

}  // namespace cnnlab::autograd
