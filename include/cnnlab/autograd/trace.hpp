// The op tracer: while a TraceGuard is alive on a thread, every traceable op appends what it did
// (its name, input and output tensors, and its hyper-parameters) to the guard's Trace. The ONNX
// exporter (cnnlab/export/onnx.hpp) runs a model's forward under a guard and turns the records
// into a graph, as torch.onnx does by tracing. Ops that are not traceable record nothing; the
// exporter then finds a value it cannot explain and names the op that consumed it.
//
//   autograd::Trace trace;
//   { autograd::TraceGuard guard(trace); y = model(x); }
//   for (const autograd::TracedOp& op : trace.ops) ...
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::autograd {

/// One hyper-parameter of a traced op: an integer, a float, or a list of integers.
using TraceAttr = std::variant<int64_t, double, std::vector<int64_t>>;

/// What one op call did. Tensors are held (not copied), so their identities (Tensor::is_same)
/// stay unique for the trace's lifetime.
struct TracedOp {
  std::string op;              ///< the op's name, as in autograd ("conv2d", "max_pool2d", ...)
  std::vector<Tensor> inputs;  ///< in the op's argument order; undefined for an absent optional
  Tensor output;
  std::vector<std::pair<std::string, TraceAttr>> attrs;

  /// The attribute `name`; throws StateError when the op did not record it.
  const TraceAttr& attr(const std::string& name) const;
};

/// The records of one traced run, in execution order.
struct Trace {
  std::vector<TracedOp> ops;
};

/// Makes `trace` the thread's active trace for its lifetime; restores the previous one (nests).
class TraceGuard {
 public:
  explicit TraceGuard(Trace& trace);
  ~TraceGuard();
  TraceGuard(const TraceGuard&) = delete;
  TraceGuard& operator=(const TraceGuard&) = delete;

 private:
  Trace* previous_;
};

/// Whether a trace is active on this thread (one thread-local read: ops test it first).
bool is_tracing();

/// Appends a record to the active trace; does nothing when none is active.
void trace_op(std::string op, std::vector<Tensor> inputs, const Tensor& output,
              std::vector<std::pair<std::string, TraceAttr>> attrs = {});

}  // namespace cnnlab::autograd
