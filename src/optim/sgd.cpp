// SGD update and state dict; the formula is in include/cnnlab/optim/sgd.hpp.
#include "cnnlab/optim/sgd.hpp"

#include "cnnlab/autograd/grad_mode.hpp"
#include "kernels/fast/parallel.hpp"

namespace cnnlab::optim {

namespace {

void validate(const SgdOptions& o) {
  CNNLAB_CHECK(o.lr >= 0, ValueError, "Sgd: expected lr >= 0, got ", o.lr);
  CNNLAB_CHECK(o.momentum >= 0, ValueError, "Sgd: expected momentum >= 0, got ", o.momentum);
  CNNLAB_CHECK(o.weight_decay >= 0, ValueError, "Sgd: expected weight_decay >= 0, got ",
               o.weight_decay);
  CNNLAB_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), ValueError,
               "Sgd: Nesterov momentum requires momentum > 0 and dampening = 0, got momentum=",
               o.momentum, ", dampening=", o.dampening);
}

Tensor hyper(double value) { return Tensor::scalar(value, Dtype::kFloat64); }

// One SGD update of n elements (the formula in sgd.hpp). The branches are per tensor, not per
// element, and the pointers do not alias, so each loop vectorizes.
template <typename T>
void sgd_update(T* __restrict w, const T* __restrict g, T* __restrict buf, int64_t n, T lr, T wd,
                T mom, T damp, bool first, bool nesterov) {
  if (buf == nullptr) {
    for (int64_t j = 0; j < n; ++j) w[j] -= lr * (g[j] + wd * w[j]);
    return;
  }
  for (int64_t j = 0; j < n; ++j) {
    const T d = g[j] + wd * w[j];
    const T b = first ? d : mom * buf[j] + damp * d;
    buf[j] = b;
    w[j] -= lr * (nesterov ? d + mom * b : b);
  }
}

}  // namespace

Sgd::Sgd(std::vector<Tensor> parameters, const SgdOptions& options)
    : Optimizer(std::move(parameters)), options_(options), buffers_(parameters_.size()) {
  validate(options_);
}

void Sgd::step() {
  NoGradGuard no_grad;
  const SgdOptions& o = options_;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    const Tensor grad = p.grad();
    if (!grad.defined()) continue;
    check_grad("Sgd::step", i, grad);
    dispatch_float(p.dtype(), "Sgd::step", [&](auto tag) {
      using T = decltype(tag);
      const bool first = !buffers_[i].defined();
      if (o.momentum != 0 && first) buffers_[i] = Tensor::empty(p.shape(), p.dtype());
      T* buf = o.momentum != 0 ? buffers_[i].template data<T>() : nullptr;
      const T lr = static_cast<T>(o.lr), wd = static_cast<T>(o.weight_decay);
      const T mom = static_cast<T>(o.momentum), damp = static_cast<T>(1 - o.dampening);
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      kernels::fast::parallel_for_backend(
          p.numel(), kernels::fast::kPointwiseGrain, [&](int64_t begin, int64_t end) {
            sgd_update<T>(w + begin, g + begin, buf ? buf + begin : nullptr, end - begin, lr, wd,
                          mom, damp, first, o.nesterov);
          });
    });
  }
}

StateDict Sgd::state_dict() const {
  StateDict out = base_state_dict();
  const std::string group = "param_groups.0.";
  out[group + "lr"] = hyper(options_.lr);
  out[group + "momentum"] = hyper(options_.momentum);
  out[group + "dampening"] = hyper(options_.dampening);
  out[group + "weight_decay"] = hyper(options_.weight_decay);
  out[group + "nesterov"] = hyper(options_.nesterov ? 1.0 : 0.0);
  for (size_t i = 0; i < buffers_.size(); ++i) {
    if (buffers_[i].defined()) {
      out["state." + std::to_string(i) + ".momentum_buffer"] = buffers_[i].clone();
    }
  }
  return out;
}

void Sgd::load_state_dict(const StateDict& state) {
  StateDictReader in("Sgd", state, parameters_);
  SgdOptions o;
  o.lr = in.hyper("lr");
  o.momentum = in.hyper("momentum");
  o.dampening = in.hyper("dampening");
  o.weight_decay = in.hyper("weight_decay");
  o.nesterov = in.hyper("nesterov") != 0;
  try {
    validate(o);
  } catch (const ValueError& e) {
    throw ValueError(std::string("Sgd::load_state_dict: invalid hyper-parameters: ") + e.what());
  }
  std::vector<Tensor> buffers(parameters_.size());
  if (o.momentum != 0) {
    for (size_t i = 0; i < buffers.size(); ++i) {
      if (in.has_state(i, "momentum_buffer")) buffers[i] = in.buffer(i, "momentum_buffer");
    }
  }
  in.finish();
  // Everything was validated: commit.
  options_ = o;
  buffers_ = std::move(buffers);
}

}  // namespace cnnlab::optim
