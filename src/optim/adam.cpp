// Adam and AdamW updates and state dict; the formulas are in include/cnnlab/optim/adam.hpp.
#include "cnnlab/optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "cnnlab/autograd/grad_mode.hpp"
#include "kernels/fast/parallel.hpp"

namespace cnnlab::optim {

namespace {

void validate(const char* name, double lr, double beta1, double beta2, double eps, double wd) {
  CNNLAB_CHECK(lr >= 0, ValueError, name, ": expected lr >= 0, got ", lr);
  CNNLAB_CHECK(beta1 >= 0 && beta1 < 1, ValueError, name, ": expected betas[0] in [0, 1), got ",
               beta1);
  CNNLAB_CHECK(beta2 >= 0 && beta2 < 1, ValueError, name, ": expected betas[1] in [0, 1), got ",
               beta2);
  // NOTE: PyTorch accepts eps = 0; cnnlab does not, since a zero second moment then divides by 0.
  CNNLAB_CHECK(eps > 0, ValueError, name, ": expected eps > 0, got ", eps);
  CNNLAB_CHECK(wd >= 0, ValueError, name, ": expected weight_decay >= 0, got ", wd);
}

Tensor hyper(double value) { return Tensor::scalar(value, Dtype::kFloat64); }

}  // namespace

AdamBase::AdamBase(std::vector<Tensor> parameters, const Options& options, bool decoupled,
                   const char* name)
    : Optimizer(std::move(parameters)),
      options_(options),
      decoupled_(decoupled),
      name_(name),
      state_(parameters_.size()) {
  validate(name_, options_.lr, options_.beta1, options_.beta2, options_.eps, options_.weight_decay);
}

Adam::Adam(std::vector<Tensor> parameters, const AdamOptions& o)
    : AdamBase(std::move(parameters),
               {o.lr, o.betas[0], o.betas[1], o.eps, o.weight_decay, o.amsgrad}, false, "Adam") {}

AdamW::AdamW(std::vector<Tensor> parameters, const AdamWOptions& o)
    : AdamBase(std::move(parameters),
               {o.lr, o.betas[0], o.betas[1], o.eps, o.weight_decay, o.amsgrad}, true, "AdamW") {}

void AdamBase::step() {
  NoGradGuard no_grad;
  const Options& o = options_;
  const std::string who = std::string(name_) + "::step";
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    const Tensor grad = p.grad();
    if (!grad.defined()) continue;
    check_grad(who.c_str(), i, grad);
    ParamState& s = state_[i];
    if (s.step == 0) {
      s.exp_avg = Tensor::zeros(p.shape(), p.dtype());
      s.exp_avg_sq = Tensor::zeros(p.shape(), p.dtype());
      if (o.amsgrad) s.max_exp_avg_sq = Tensor::zeros(p.shape(), p.dtype());
    }
    ++s.step;
    // NOTE: the scalars are computed in double, as PyTorch computes them in Python, and the
    // elementwise arithmetic is done in the parameter's type with the scalars rounded to it,
    // in PyTorch's order of operations (addcmul: v + (c * g) * g; addcdiv: p + (c * m) / d).
    const auto t = static_cast<double>(s.step);
    const double bias_correction1 = 1 - std::pow(o.beta1, t);
    const double bias_correction2 = 1 - std::pow(o.beta2, t);
    const double step_size = o.lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    dispatch_float(p.dtype(), who.c_str(), [&](auto tag) {
      using T = decltype(tag);
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      T* m = s.exp_avg.template data<T>();
      T* v = s.exp_avg_sq.template data<T>();
      T* v_max = o.amsgrad ? s.max_exp_avg_sq.template data<T>() : nullptr;
      const T beta1 = static_cast<T>(o.beta1), beta2 = static_cast<T>(o.beta2);
      const T one_minus_beta1 = static_cast<T>(1 - o.beta1);
      const T one_minus_beta2 = static_cast<T>(1 - o.beta2);
      const T wd = static_cast<T>(o.weight_decay);
      const T decay = static_cast<T>(1 - o.lr * o.weight_decay);
      const T bc2_sqrt = static_cast<T>(bias_correction2_sqrt);
      const T eps = static_cast<T>(o.eps);
      const T neg_step_size = static_cast<T>(-step_size);
      const int64_t n = p.numel();
      // elementwise, so split over the threads for large tensors (the same results)
      kernels::fast::parallel_for_backend(
          n, kernels::fast::kPointwiseGrain, [&](int64_t begin, int64_t end) {
            for (int64_t j = begin; j < end; ++j) {
              T gj = g[j];
              if (decoupled_) {
                w[j] = w[j] * decay;
              } else if (o.weight_decay != 0) {
                gj = gj + wd * w[j];
              }
              m[j] = m[j] * beta1 + one_minus_beta1 * gj;
              v[j] = v[j] * beta2 + one_minus_beta2 * gj * gj;
              T second = v[j];
              if (v_max != nullptr) {
                // torch.maximum: NaN wins.
                v_max[j] = std::isnan(v[j]) ? v[j] : std::max(v_max[j], v[j]);
                second = v_max[j];
              }
              const T denom = std::sqrt(second) / bc2_sqrt + eps;
              w[j] = w[j] + neg_step_size * m[j] / denom;
            }
          });
    });
  }
}

StateDict AdamBase::state_dict() const {
  StateDict out = base_state_dict();
  const std::string group = "param_groups.0.";
  out[group + "lr"] = hyper(options_.lr);
  out[group + "betas"] =
      Tensor::from_vector({options_.beta1, options_.beta2}, {2}, Dtype::kFloat64);
  out[group + "eps"] = hyper(options_.eps);
  out[group + "weight_decay"] = hyper(options_.weight_decay);
  out[group + "amsgrad"] = hyper(options_.amsgrad ? 1.0 : 0.0);
  for (size_t i = 0; i < state_.size(); ++i) {
    const ParamState& s = state_[i];
    if (s.step == 0) continue;
    const std::string prefix = "state." + std::to_string(i) + ".";
    out[prefix + "step"] = Tensor::from_int64({s.step}, {});
    out[prefix + "exp_avg"] = s.exp_avg.clone();
    out[prefix + "exp_avg_sq"] = s.exp_avg_sq.clone();
    if (options_.amsgrad) out[prefix + "max_exp_avg_sq"] = s.max_exp_avg_sq.clone();
  }
  return out;
}

void AdamBase::load_state_dict(const StateDict& state) {
  StateDictReader in(name_, state, parameters_);
  Options o{};
  o.lr = in.hyper("lr");
  const std::vector<double> betas = in.hyper_vector("betas", 2);
  o.beta1 = betas[0];
  o.beta2 = betas[1];
  o.eps = in.hyper("eps");
  o.weight_decay = in.hyper("weight_decay");
  o.amsgrad = in.hyper("amsgrad") != 0;
  try {
    validate(name_, o.lr, o.beta1, o.beta2, o.eps, o.weight_decay);
  } catch (const ValueError& e) {
    throw ValueError(std::string(name_) +
                     "::load_state_dict: invalid hyper-parameters: " + e.what());
  }
  std::vector<ParamState> loaded(parameters_.size());
  for (size_t i = 0; i < loaded.size(); ++i) {
    // A parameter has all of its state or none of it: any one key asks for the others.
    const bool any = in.has_state(i, "step") || in.has_state(i, "exp_avg") ||
                     in.has_state(i, "exp_avg_sq") || in.has_state(i, "max_exp_avg_sq");
    if (!any) continue;
    ParamState& s = loaded[i];
    s.step = in.step(i);
    s.exp_avg = in.buffer(i, "exp_avg");
    s.exp_avg_sq = in.buffer(i, "exp_avg_sq");
    if (o.amsgrad) s.max_exp_avg_sq = in.buffer(i, "max_exp_avg_sq");
  }
  in.finish();
  // Everything was validated: commit.
  options_ = o;
  state_ = std::move(loaded);
}

}  // namespace cnnlab::optim
