// Profiler: module rows by dotted path, the per-thread stack of running modules, and the
// attribution of node backward times to the module scope they were recorded in.
#include "cnnlab/autograd/profiler.hpp"

#include <chrono>

#include "cnnlab/nn/module.hpp"

namespace cnnlab::autograd {
namespace {

// One running profiled module call on this thread.
struct Frame {
  Profiler* profiler;
  size_t row;
  int32_t scope;
  int64_t start_ns;
  int64_t child_ns;  // inclusive time of the direct children called so far
};

thread_local Profiler* tl_profiler = nullptr;
thread_local std::vector<Frame> tl_stack;

// Scope ids are unique across every Profiler of the process, so a node recorded under one
// Profiler and run backward under another is never credited to the wrong row.
std::atomic<int32_t> g_next_scope{0};

int depth_of(const std::string& path) {
  if (path.empty()) return 0;
  int d = 1;
  for (char c : path) d += c == '.';
  return d;
}

}  // namespace

// ---- Profiler ---------------------------------------------------------------------------------

size_t Profiler::add_row(const nn::Module& m, std::string path) {
  ModuleProfile row;
  row.depth = depth_of(path);
  row.path = std::move(path);
  row.type_name = m.type_name();
  row.leaf = m.children().empty();
  const size_t i = rows_.size();
  const int32_t scope = g_next_scope.fetch_add(1, std::memory_order_relaxed);
  rows_.push_back(std::move(row));
  scope_ids_.push_back(scope);
  index_.emplace(&m, i);
  scope_rows_.emplace(scope, i);
  return i;
}

void Profiler::attach(nn::Module& root) {
  for (auto& [path, m] : root.named_modules()) {
    if (!index_.count(m)) add_row(*m, path);
  }
}

void Profiler::reset() {
  for (ModuleProfile& r : rows_) {
    r.output_shape = Shape{};
    r.forward_calls = r.forward_ns = r.forward_self_ns = r.backward_nodes = r.backward_ns = 0;
  }
  outside_backward_ns_ = outside_backward_nodes_ = 0;
}

const ModuleProfile& Profiler::row(const std::string& path) const {
  std::string known;
  for (const ModuleProfile& r : rows_) {
    if (r.path == path) return r;
    known += (known.empty() ? "'" : ", '") + r.path + "'";
  }
  throw ValueError(cnnlab::detail::concat("Profiler::row: expected a module path (", known,
                                          "), got '", path, "'"));
}

int64_t Profiler::total_forward_ns() const {
  int64_t t = 0;
  for (const ModuleProfile& r : rows_) t += r.forward_self_ns;
  return t;
}

int64_t Profiler::total_backward_ns() const {
  int64_t t = outside_backward_ns_;
  for (const ModuleProfile& r : rows_) t += r.backward_ns;
  return t;
}

size_t Profiler::row_of(const nn::Module& m, const ModuleProfile* parent) {
  auto it = index_.find(&m);
  if (it != index_.end()) return it->second;
  // Never attached: the root of a model called directly, or a module its parent calls without
  // registering it. NOTE: a root attaches its whole subtree so its children get their real names.
  if (parent == nullptr) {
    attach(const_cast<nn::Module&>(m));
    return index_.at(&m);
  }
  const std::string path = (parent->path.empty() ? "" : parent->path + ".") + m.type_name();
  return add_row(m, path);
}

void Profiler::add_backward(int32_t scope, int64_t ns) {
  auto it = scope < 0 ? scope_rows_.end() : scope_rows_.find(scope);
  if (it == scope_rows_.end()) {
    outside_backward_ns_ += ns;
    ++outside_backward_nodes_;
    return;
  }
  ModuleProfile& r = rows_[it->second];
  r.backward_ns += ns;
  ++r.backward_nodes;
}

// ---- ProfileGuard -----------------------------------------------------------------------------

ProfileGuard::ProfileGuard(Profiler& profiler) : previous_(tl_profiler) {
  tl_profiler = &profiler;
  detail::g_profile_guards.fetch_add(1, std::memory_order_relaxed);
}

ProfileGuard::~ProfileGuard() {
  tl_profiler = previous_;
  detail::g_profile_guards.fetch_sub(1, std::memory_order_relaxed);
}

// ---- hooks ------------------------------------------------------------------------------------

namespace detail {

Profiler* current_profiler() { return tl_profiler; }

int32_t current_scope() {
  if (tl_profiler == nullptr || tl_stack.empty()) return -1;
  return tl_stack.back().scope;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void enter_module(nn::Module& m) {
  Profiler& p = *tl_profiler;
  const ModuleProfile* parent = nullptr;
  if (!tl_stack.empty() && tl_stack.back().profiler == &p) {
    parent = &p.row_at(tl_stack.back().row);
  }
  const size_t row = p.row_of(m, parent);
  tl_stack.push_back({&p, row, p.scope_id(row), 0, 0});
  tl_stack.back().start_ns = now_ns();  // last, so the bookkeeping above is not counted
}

void leave_module() {
  const int64_t end = now_ns();
  const Frame f = tl_stack.back();
  tl_stack.pop_back();
  const int64_t elapsed = end - f.start_ns;
  ModuleProfile& r = f.profiler->row_at(f.row);
  ++r.forward_calls;
  r.forward_ns += elapsed;
  r.forward_self_ns += elapsed - f.child_ns;
  if (!tl_stack.empty()) tl_stack.back().child_ns += elapsed;
}

void set_module_output(const Tensor& output) {
  if (!output.defined()) return;
  const Frame& f = tl_stack.back();
  f.profiler->row_at(f.row).output_shape = output.shape();
}

}  // namespace detail
}  // namespace cnnlab::autograd
