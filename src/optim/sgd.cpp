// SGD update; the formula is in include/cnnlab/optim/sgd.hpp.
#include "cnnlab/optim/sgd.hpp"

#include "cnnlab/autograd/grad_mode.hpp"

namespace cnnlab::optim {

Optimizer::Optimizer(std::vector<Tensor> parameters) : parameters_(std::move(parameters)) {
  CNNLAB_CHECK(!parameters_.empty(), ValueError, "optimizer: got an empty parameter list");
  for (size_t i = 0; i < parameters_.size(); ++i) {
    CNNLAB_CHECK(parameters_[i].requires_grad(), ValueError, "optimizer: parameter ", i, " (shape ",
                 parameters_[i].shape(), ") does not require grad");
  }
}

void Optimizer::zero_grad() {
  for (Tensor& p : parameters_) p.zero_grad();
}

Sgd::Sgd(std::vector<Tensor> parameters, const SgdOptions& options)
    : Optimizer(std::move(parameters)), options_(options), buffers_(parameters_.size()) {
  const SgdOptions& o = options_;
  CNNLAB_CHECK(o.lr >= 0, ValueError, "Sgd: expected lr >= 0, got ", o.lr);
  CNNLAB_CHECK(o.momentum >= 0, ValueError, "Sgd: expected momentum >= 0, got ", o.momentum);
  CNNLAB_CHECK(o.weight_decay >= 0, ValueError, "Sgd: expected weight_decay >= 0, got ",
               o.weight_decay);
  CNNLAB_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), ValueError,
               "Sgd: Nesterov momentum requires momentum > 0 and dampening = 0, got momentum=",
               o.momentum, ", dampening=", o.dampening);
}

void Sgd::step() {
  NoGradGuard no_grad;
  const SgdOptions& o = options_;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    const Tensor grad = p.grad();
    if (!grad.defined()) continue;
    dispatch_float(p.dtype(), "Sgd::step", [&](auto tag) {
      using T = decltype(tag);
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      const int64_t n = p.numel();
      const bool first = !buffers_[i].defined();
      if (o.momentum != 0 && first) buffers_[i] = Tensor::empty(p.shape(), p.dtype());
      T* buf = o.momentum != 0 ? buffers_[i].template data<T>() : nullptr;
      const T lr = static_cast<T>(o.lr), wd = static_cast<T>(o.weight_decay);
      const T mom = static_cast<T>(o.momentum), damp = static_cast<T>(1 - o.dampening);
      for (int64_t j = 0; j < n; ++j) {
        T d = g[j] + wd * w[j];
        if (buf != nullptr) {
          buf[j] = first ? d : mom * buf[j] + damp * d;
          d = o.nesterov ? d + mom * buf[j] : buf[j];
        }
        w[j] -= lr * d;
      }
    });
  }
}

}  // namespace cnnlab::optim
