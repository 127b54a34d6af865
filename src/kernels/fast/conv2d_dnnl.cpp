// oneDNN conv2d for float32: one cached Plan per (direction, geometry, bias, layout, threads)
// holding the convolution primitive, the reorders between cnnlab's plain NCHW / OIHW buffers and
// the layouts the primitive chose, and where in a workspace its primitive-side buffers and its
// user-mode scratchpad go. A call points the plain memories at the caller's buffers and the
// primitive-side ones into the calling thread's workspace, runs input reorders, the convolution
// and the output reorders. Outputs that must be ADDED to (dx, dw) go through a reorder with a sum
// post-op.
// NOTE: every primitive-side buffer is written before it is read within one call, so no plan needs
// its own: all plans share one workspace per thread, as large as the largest plan needs. Owning
// them per plan cost ResNet-50 (53 convolutions, 8x224x224) about 180 MB of resident memory.
// NOTE: the thread count is part of the key because oneDNN sizes its work split (and its
// scratchpad) when the primitive is created; cnnlab's set_num_threads therefore takes effect on
// the next call, through a new plan.
#include "kernels/fast/conv2d_dnnl.hpp"

#include <omp.h>

#include <array>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cnnlab/core/check.hpp"

namespace cnnlab::kernels::fast {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Dims = memory::dims;

// kForwardRelu is the forward pass with oneDNN's ReLU post-op (conv2d_relu at inference).
enum class Direction { kForward, kForwardRelu, kBackwardData, kBackwardWeights };

using Key = std::array<int64_t, 20>;

Key make_key(Direction dir, const Conv2dGeometry& g, bool bias, DnnlLayout layout) {
  return {static_cast<int64_t>(dir),
          g.n,
          g.g,
          g.ic,
          g.h,
          g.w,
          g.oc,
          g.kh,
          g.kw,
          g.oh,
          g.ow,
          g.sh,
          g.sw,
          g.ph,
          g.pw,
          g.dil_h,
          g.dil_w,
          bias ? 1 : 0,
          static_cast<int64_t>(layout),
          omp_get_max_threads()};
}

// The engine and every plan (which refer to it) live in one static object, so that at exit the
// plans are destroyed before the engine (members are destroyed in reverse order).
struct Plan;
struct Cache {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::mutex mutex;
  std::map<Key, std::shared_ptr<Plan>> plans;
};

Cache& cache() {
  static Cache c;
  return c;
}

const dnnl::engine& cpu_engine() { return cache().engine; }

// Where a plan's primitive-side buffers lie in the workspace: each slot is a memory object whose
// handle is set to workspace + offset at every call (aliases share an offset).
struct Workspace {
  static constexpr size_t kAlign = 64;  // a cache line, oneDNN's own alignment
  std::vector<std::pair<memory, size_t>> slots;
  size_t bytes = 0;

  /// A memory of `md` placed at the end of the workspace.
  memory add(const memory::desc& md) {
    memory m(md, cpu_engine(), DNNL_MEMORY_NONE);
    slots.emplace_back(m, bytes);
    bytes += (md.get_size() + kAlign - 1) / kAlign * kAlign;
    return m;
  }
  /// A memory of `md` over the same bytes as `other` (added before).
  memory alias(const memory::desc& md, const memory& other) {
    memory m(md, cpu_engine(), DNNL_MEMORY_NONE);
    for (const auto& [slot, offset] : slots) {
      if (slot.get() == other.get()) {
        slots.emplace_back(m, offset);
        return m;
      }
    }
    CNNLAB_CHECK(false, StateError, "conv2d (oneDNN): expected an alias of a workspace buffer");
    return m;
  }
};

// The calling thread's workspace, grown to at least `bytes` (never shrunk: the largest plan sets
// its size; steady-state calls allocate nothing).
std::byte* thread_workspace(size_t bytes) {
  struct Buffer {
    std::byte* data = nullptr;
    size_t size = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffer;
  if (bytes > buffer.size) {
    std::free(buffer.data);
    buffer.data = static_cast<std::byte*>(std::aligned_alloc(Workspace::kAlign, bytes));
    buffer.size = buffer.data != nullptr ? bytes : 0;
    CNNLAB_CHECK(buffer.data != nullptr, StateError, "conv2d (oneDNN): expected ", bytes,
                 " bytes of workspace, got an allocation failure");
  }
  return buffer.data;
}

// One argument of the convolution: `user` wraps the caller's plain buffer (handle set per call),
// `prim` is what the primitive reads or writes; when the two differ `reorder` converts between
// them (user -> prim for inputs, prim -> user for outputs).
struct Operand {
  memory user;
  memory prim;
  dnnl::reorder reorder;
  bool reordered = false;
};

Operand make_input(Workspace& ws, const memory::desc& user_md, const memory::desc& prim_md) {
  Operand op;
  op.user = memory(user_md, cpu_engine(), DNNL_MEMORY_NONE);
  if (prim_md == user_md) {
    op.prim = op.user;
  } else {
    op.prim = ws.add(prim_md);
    op.reorder = dnnl::reorder(op.user, op.prim);
    op.reordered = true;
  }
  return op;
}

// accumulate: the caller's buffer is added to (reorder with a sum post-op), so the primitive always
// writes its own buffer; otherwise it writes the caller's buffer directly when the formats agree.
// `shared`, when given, is an existing primitive-side buffer of prim_md to reuse.
Operand make_output(Workspace& ws, const memory::desc& user_md, const memory::desc& prim_md,
                    bool accumulate, const memory* shared = nullptr) {
  Operand op;
  op.user = memory(user_md, cpu_engine(), DNNL_MEMORY_NONE);
  if (prim_md == user_md && !accumulate) {
    op.prim = op.user;
    return op;
  }
  op.prim = shared != nullptr ? ws.alias(prim_md, *shared) : ws.add(prim_md);
  dnnl::primitive_attr attr;
  if (accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  const dnnl::reorder::primitive_desc pd(cpu_engine(), prim_md, cpu_engine(), user_md, attr);
  op.reorder = dnnl::reorder(pd);
  op.reordered = true;
  return op;
}

// Everything one call needs. `mutex` serialises calls of the same plan from different threads
// (the memory objects, whose handles each call sets, are shared state).
struct Plan {
  std::mutex mutex;
  dnnl::stream stream;
  dnnl::primitive conv;
  std::unordered_map<int, memory> args;  // the convolution's arguments
  Operand a, b, c;                       // forward: src, weights, dst; bwd data: diff_dst,
                                         // weights, diff_src; bwd weights: src, diff_dst, diff_w
  Operand c_write;  // bwd data only: diff_src overwritten instead of added to (same prim buffer)
  int c_arg = 0;    // the convolution's argument that c (or c_write) is
  memory bias;      // forward: the bias (user); bwd weights: diff_bias (own)
  Workspace workspace;  // the primitive-side buffers and the scratchpad
};

memory::desc plain(const Dims& dims, Tag tag) {
  return memory::desc(dims, memory::data_type::f32, tag);
}

memory::desc any(const Dims& dims) { return memory::desc(dims, memory::data_type::f32, Tag::any); }

struct Descs {
  Dims src, wei, dst, bias, strides, dilates, pad_l, pad_r;
  Tag wei_tag;
};

Descs descs_of(const Conv2dGeometry& g) {
  Descs d;
  d.src = {g.n, g.ic, g.h, g.w};
  d.dst = {g.n, g.oc, g.oh, g.ow};
  d.bias = {g.oc};
  if (g.g == 1) {
    d.wei = {g.oc, g.ic, g.kh, g.kw};
    d.wei_tag = Tag::oihw;
  } else {
    d.wei = {g.g, g.ocg(), g.icg(), g.kh, g.kw};
    d.wei_tag = Tag::goihw;
  }
  d.strides = {g.sh, g.sw};
  d.dilates = {g.dil_h - 1, g.dil_w - 1};  // oneDNN counts the gaps between taps
  d.pad_l = {g.ph, g.pw};
  d.pad_r = {g.ph, g.pw};
  return d;
}

dnnl::convolution_forward::primitive_desc forward_pd(const Conv2dGeometry& g, bool bias,
                                                     DnnlLayout layout,
                                                     const dnnl::primitive_attr& attr) {
  const Descs d = descs_of(g);
  const bool anyf = layout == DnnlLayout::kAny;
  const memory::desc src = anyf ? any(d.src) : plain(d.src, Tag::nchw);
  const memory::desc wei = anyf ? any(d.wei) : plain(d.wei, d.wei_tag);
  const memory::desc dst = anyf ? any(d.dst) : plain(d.dst, Tag::nchw);
  const auto desc =
      bias ? dnnl::convolution_forward::desc(
                 dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src, wei,
                 plain(d.bias, Tag::x), dst, d.strides, d.dilates, d.pad_l, d.pad_r)
           : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                             dnnl::algorithm::convolution_direct, src, wei, dst,
                                             d.strides, d.dilates, d.pad_l, d.pad_r);
  return {desc, attr, cpu_engine()};
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void finish(Plan& plan, const memory::desc& scratchpad_md) {
  plan.stream = dnnl::stream(cpu_engine());
  if (scratchpad_md.get_size() > 0)
    plan.args[DNNL_ARG_SCRATCHPAD] = plan.workspace.add(scratchpad_md);
}

std::unique_ptr<Plan> build(Direction dir, const Conv2dGeometry& g, bool bias, DnnlLayout layout) {
  const Descs d = descs_of(g);
  const memory::desc src = plain(d.src, Tag::nchw), dst = plain(d.dst, Tag::nchw),
                     wei = plain(d.wei, d.wei_tag), bias_md = plain(d.bias, Tag::x);
  const dnnl::primitive_attr attr = user_scratchpad();
  auto plan = std::make_unique<Plan>();
  if (dir == Direction::kForward || dir == Direction::kForwardRelu) {
    dnnl::primitive_attr fwd_attr = attr;
    if (dir == Direction::kForwardRelu) {  // y = max(conv + b, 0) in the primitive's own pass
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      fwd_attr.set_post_ops(ops);
    }
    const auto pd = forward_pd(g, bias, layout, fwd_attr);
    plan->conv = dnnl::convolution_forward(pd);
    plan->a = make_input(plan->workspace, src, pd.src_desc());
    plan->b = make_input(plan->workspace, wei, pd.weights_desc());
    plan->c = make_output(plan->workspace, dst, pd.dst_desc(), false);
    plan->args = {{DNNL_ARG_SRC, plan->a.prim},
                  {DNNL_ARG_WEIGHTS, plan->b.prim},
                  {DNNL_ARG_DST, plan->c.prim}};
    if (bias) {
      plan->bias = memory(bias_md, cpu_engine(), DNNL_MEMORY_NONE);
      plan->args[DNNL_ARG_BIAS] = plan->bias;
    }
    finish(*plan, pd.scratchpad_desc());
  } else if (dir == Direction::kBackwardData) {
    const auto hint = forward_pd(g, false, layout, dnnl::primitive_attr());
    const bool anyf = layout == DnnlLayout::kAny;
    const dnnl::convolution_backward_data::desc desc(
        dnnl::algorithm::convolution_direct, anyf ? any(d.src) : src, anyf ? any(d.wei) : wei,
        anyf ? any(d.dst) : dst, d.strides, d.dilates, d.pad_l, d.pad_r);
    const dnnl::convolution_backward_data::primitive_desc pd(desc, attr, cpu_engine(), hint);
    plan->conv = dnnl::convolution_backward_data(pd);
    plan->a = make_input(plan->workspace, dst, pd.diff_dst_desc());
    plan->b = make_input(plan->workspace, wei, pd.weights_desc());
    plan->c = make_output(plan->workspace, src, pd.diff_src_desc(), true);
    plan->c_write = make_output(plan->workspace, src, pd.diff_src_desc(), false, &plan->c.prim);
    plan->c_arg = DNNL_ARG_DIFF_SRC;
    plan->args = {{DNNL_ARG_DIFF_DST, plan->a.prim},
                  {DNNL_ARG_WEIGHTS, plan->b.prim},
                  {DNNL_ARG_DIFF_SRC, plan->c.prim}};
    finish(*plan, pd.scratchpad_desc());
  } else {
    const auto hint = forward_pd(g, bias, layout, dnnl::primitive_attr());
    const bool anyf = layout == DnnlLayout::kAny;
    const memory::desc s = anyf ? any(d.src) : src, w = anyf ? any(d.wei) : wei,
                       y = anyf ? any(d.dst) : dst;
    const auto desc =
        bias ? dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, s, w,
                                                        bias_md, y, d.strides, d.dilates, d.pad_l,
                                                        d.pad_r)
             : dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, s, w,
                                                        y, d.strides, d.dilates, d.pad_l, d.pad_r);
    const dnnl::convolution_backward_weights::primitive_desc pd(desc, attr, cpu_engine(), hint);
    plan->conv = dnnl::convolution_backward_weights(pd);
    plan->a = make_input(plan->workspace, src, pd.src_desc());
    plan->b = make_input(plan->workspace, dst, pd.diff_dst_desc());
    plan->c = make_output(plan->workspace, wei, pd.diff_weights_desc(), true);
    plan->args = {{DNNL_ARG_SRC, plan->a.prim},
                  {DNNL_ARG_DIFF_DST, plan->b.prim},
                  {DNNL_ARG_DIFF_WEIGHTS, plan->c.prim}};
    if (bias) {
      plan->bias = memory(pd.diff_bias_desc(), cpu_engine());
      plan->args[DNNL_ARG_DIFF_BIAS] = plan->bias;
    }
    finish(*plan, pd.scratchpad_desc());
  }
  return plan;
}

// NOTE: a training run meets one geometry per layer and direction, plus the partial last batch;
// the bound only keeps a program that sweeps many shapes from growing without limit.
constexpr size_t kMaxPlans = 256;

std::shared_ptr<Plan> plan_for(Direction dir, const Conv2dGeometry& g, bool bias,
                               DnnlLayout layout) {
  const Key key = make_key(dir, g, bias, layout);
  Cache& c = cache();
  {
    const std::lock_guard<std::mutex> lock(c.mutex);
    const auto it = c.plans.find(key);
    if (it != c.plans.end()) return it->second;
  }
  // Built outside the cache lock: creating a primitive takes milliseconds (JIT). Two threads
  // racing on a new geometry both build it; the first one stored wins.
  std::shared_ptr<Plan> plan;
  try {
    plan = build(dir, g, bias, layout);
  } catch (const dnnl::error& e) {
    throw StateError(
        detail::concat("conv2d (oneDNN): expected a primitive for this geometry, got "
                       "oneDNN error '",
                       e.what(), "'"));
  }
  const std::lock_guard<std::mutex> lock(c.mutex);
  if (c.plans.size() >= kMaxPlans) c.plans.clear();
  return c.plans.emplace(key, std::move(plan)).first->second;
}

void* handle(const float* p) { return const_cast<float*>(p); }

// Input reorders, the convolution, output reorders, all on the plan's stream; `out` is plan.c or
// plan.c_write. A oneDNN failure (for example a scratch allocation inside oneDNN) becomes a
// StateError naming the pass.
void run(Plan& plan, const char* pass, Operand& out) {
  std::byte* base = thread_workspace(plan.workspace.bytes);
  for (auto& [slot, offset] : plan.workspace.slots) slot.set_data_handle(base + offset);
  try {
    dnnl::stream& s = plan.stream;
    for (Operand* op : {&plan.a, &plan.b}) {
      if (op->reordered) op->reorder.execute(s, op->user, op->prim);
    }
    if (&out == &plan.c) {
      plan.conv.execute(s, plan.args);
    } else {
      std::unordered_map<int, memory> args = plan.args;
      args[plan.c_arg] = out.prim;
      plan.conv.execute(s, args);
    }
    if (out.reordered) out.reorder.execute(s, out.prim, out.user);
    s.wait();
  } catch (const dnnl::error& e) {
    throw StateError(detail::concat("conv2d (oneDNN): expected the ", pass,
                                    " primitive to run, got oneDNN error '", e.what(), "'"));
  }
}

}  // namespace

void dnnl_conv2d_forward(float* y, const float* x, const float* w, const float* b,
                         const Conv2dGeometry& g, DnnlLayout layout, bool relu) {
  const Direction dir = relu ? Direction::kForwardRelu : Direction::kForward;
  const std::shared_ptr<Plan> plan = plan_for(dir, g, b != nullptr, layout);
  const std::lock_guard<std::mutex> lock(plan->mutex);
  plan->a.user.set_data_handle(handle(x));
  plan->b.user.set_data_handle(handle(w));
  plan->c.user.set_data_handle(y);
  if (b != nullptr) plan->bias.set_data_handle(handle(b));
  run(*plan, "forward", plan->c);
}

void dnnl_conv2d_backward_data(float* dx, const float* dy, const float* w, const Conv2dGeometry& g,
                               DnnlLayout layout, bool accumulate) {
  const std::shared_ptr<Plan> plan = plan_for(Direction::kBackwardData, g, false, layout);
  const std::lock_guard<std::mutex> lock(plan->mutex);
  plan->a.user.set_data_handle(handle(dy));
  plan->b.user.set_data_handle(handle(w));
  Operand& out = accumulate ? plan->c : plan->c_write;
  out.user.set_data_handle(dx);
  run(*plan, "backward-data", out);
}

void dnnl_conv2d_backward_weights(float* dw, float* db, const float* dy, const float* x,
                                  const Conv2dGeometry& g, DnnlLayout layout) {
  const std::shared_ptr<Plan> plan =
      plan_for(Direction::kBackwardWeights, g, db != nullptr, layout);
  const std::lock_guard<std::mutex> lock(plan->mutex);
  plan->a.user.set_data_handle(handle(x));
  plan->b.user.set_data_handle(handle(dy));
  plan->c.user.set_data_handle(dw);
  run(*plan, "backward-weights", plan->c);
  if (db != nullptr) {
    const float* part = static_cast<const float*>(plan->bias.get_data_handle());
    for (int64_t o = 0; o < g.oc; ++o) db[o] += part[o];
  }
}

size_t dnnl_conv2d_cache_size() {
  Cache& c = cache();
  const std::lock_guard<std::mutex> lock(c.mutex);
  return c.plans.size();
}

void dnnl_conv2d_clear_cache() {
  Cache& c = cache();
  const std::lock_guard<std::mutex> lock(c.mutex);
  c.plans.clear();
}

}  // namespace cnnlab::kernels::fast
