// A small op-level profiler in the spirit of torch.profiler: while a ProfileGuard is alive on a
// thread, every module call (Module::operator()) is timed under the module's dotted path, and
// every autograd node's backward is timed and attributed to the module that was running when the
// node was recorded. `cnnlab bench` prints the result as a per-layer table (docs/profiling.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::nn {
class Module;
}

namespace cnnlab::autograd {

/// What one module did while its Profiler was enabled. All times are wall-clock nanoseconds
/// summed over every call since the last reset().
struct ModuleProfile {
  std::string path;       ///< dotted path from the attached root ("layer1.0.conv1"); "" = root
  std::string type_name;  ///< Module::type_name(), e.g. "Conv2d"
  bool leaf = true;       ///< the module has no children
  int depth = 0;          ///< number of dots + 1 in path (0 for the root)
  Shape output_shape;     ///< output of the latest call, batch dim included; rank 0 before any
  int64_t forward_calls = 0;
  /// Inclusive: forward() and the forward hooks, child modules included.
  int64_t forward_ns = 0;
  /// forward_ns minus the forward_ns its direct children gained during its calls: the module's
  /// own ops (a ResNet block's residual add, LeNet's flatten). Equals forward_ns for a leaf.
  int64_t forward_self_ns = 0;
  /// Graph nodes recorded in this module's own scope (not its children's) whose backward ran.
  int64_t backward_nodes = 0;
  /// Time of those nodes' backward: the closure (or override), its hooks and the accumulation of
  /// the gradients it produced. Children's nodes are theirs, so this is "self" time.
  int64_t backward_ns = 0;
};

/// Collects ModuleProfile rows. Enable it with a ProfileGuard; read rows() afterwards.
///
/// Module names: a Module does not store its own path (only its parent knows the name it was
/// registered under), so attach(root) walks root.named_modules() once and remembers each
/// module's path by address. A module called while profiling that was never attached is attached
/// on its first call: as the root (path "") when no profiled module is running, else as
/// "<parent path>.<TypeName>" (a module called by its parent without being registered).
/// The modules must outlive the profiler's use of them (rows are keyed by address).
///
/// Not thread-safe: enable a Profiler on one thread at a time; different Profilers may be enabled
/// on different threads at once.
class Profiler {
 public:
  Profiler() = default;
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  /// Names root ("") and every descendant by its dotted path; rows appear in named_modules()
  /// order. A module already attached (a shared module, or attach() called twice) keeps its
  /// first path.
  void attach(nn::Module& root);

  /// Zeroes every counter and keeps the rows (call it between iterations for per-step numbers).
  void reset();

  /// One row per attached module, in attach order.
  const std::vector<ModuleProfile>& rows() const { return rows_; }
  /// The row of `path`; throws ValueError when no module has that path.
  const ModuleProfile& row(const std::string& path) const;

  /// Backward of nodes recorded outside any profiled module (the loss, ops on the model's output)
  /// or under another Profiler.
  int64_t outside_backward_ns() const { return outside_backward_ns_; }
  int64_t outside_backward_nodes() const { return outside_backward_nodes_; }

  /// Sum of forward_self_ns (equals the root's forward_ns when one root was called).
  int64_t total_forward_ns() const;
  /// Sum of backward_ns over the rows plus outside_backward_ns().
  int64_t total_backward_ns() const;

  // ---- used by Module::operator(), record() and the engine (through the detail functions) ----
  /// The row index of m, attaching it (see above) when it is new.
  size_t row_of(const nn::Module& m, const ModuleProfile* parent);
  /// Adds a node's backward time to the row whose scope id is `scope` (or to the outside bucket).
  void add_backward(int32_t scope, int64_t ns);
  ModuleProfile& row_at(size_t i) { return rows_[i]; }
  int32_t scope_id(size_t row) const { return scope_ids_[row]; }

 private:
  size_t add_row(const nn::Module& m, std::string path);

  std::vector<ModuleProfile> rows_;
  std::vector<int32_t> scope_ids_;                       // row -> process-unique scope id
  std::unordered_map<const nn::Module*, size_t> index_;  // module -> row
  std::unordered_map<int32_t, size_t> scope_rows_;       // scope id -> row
  int64_t outside_backward_ns_ = 0;
  int64_t outside_backward_nodes_ = 0;
};

/// Enables `profiler` on the calling thread for its lifetime and restores whatever was enabled
/// before (guards nest; an inner guard of another Profiler takes the events until it ends).
/// NOTE: thread-local, like NoGradGuard: other threads are not profiled. The engine runs every
/// node's backward and the modules run forward on the calling thread, so one thread sees it all.
class ProfileGuard {
 public:
  explicit ProfileGuard(Profiler& profiler);
  ~ProfileGuard();
  ProfileGuard(const ProfileGuard&) = delete;
  ProfileGuard& operator=(const ProfileGuard&) = delete;

 private:
  Profiler* previous_;
};

namespace detail {

/// Number of live ProfileGuards in the process: the one check that unprofiled code pays.
inline std::atomic<int> g_profile_guards{0};

inline bool profiling_maybe_on() { return g_profile_guards.load(std::memory_order_relaxed) != 0; }

/// The Profiler enabled on this thread, or nullptr.
Profiler* current_profiler();

/// The scope id of the innermost profiled module running on this thread, or -1.
int32_t current_scope();

/// Monotonic clock in nanoseconds.
int64_t now_ns();

void enter_module(nn::Module& m);
void leave_module();
void set_module_output(const Tensor& output);

}  // namespace detail

/// Times one module call when profiling is on (Module::operator() holds one); otherwise a branch.
class ModuleScope {
 public:
  explicit ModuleScope(nn::Module& m) {
    if (detail::profiling_maybe_on()) [[unlikely]] {
      if (detail::current_profiler() != nullptr) {
        detail::enter_module(m);
        active_ = true;
      }
    }
  }
  ~ModuleScope() {
    if (active_) detail::leave_module();
  }
  ModuleScope(const ModuleScope&) = delete;
  ModuleScope& operator=(const ModuleScope&) = delete;
  /// Records the call's output shape.
  void set_output(const Tensor& output) {
    if (active_) detail::set_module_output(output);
  }

 private:
  bool active_ = false;
};

}  // namespace cnnlab::autograd
