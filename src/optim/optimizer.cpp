// Optimizer base: parameter checks, zero_grad, and the StateDict reading shared by every
// optimizer's load_state_dict (keys: include/cnnlab/optim/optimizer.hpp).
#include "cnnlab/optim/optimizer.hpp"

#include <cmath>

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

StateDict Optimizer::base_state_dict() const {
  std::vector<int64_t> indices(parameters_.size());
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
  return {{"param_groups.0.params",
           Tensor::from_int64(indices, {static_cast<int64_t>(indices.size())})}};
}

void Optimizer::check_grad(const char* who, size_t i, const Tensor& grad) const {
  const Tensor& p = parameters_[i];
  CNNLAB_CHECK(grad.shape() == p.shape() && grad.dtype() == p.dtype(), ValueError, who,
               ": expected the gradient of parameter ", i, " to be ", p.dtype(), " ", p.shape(),
               ", got ", grad.dtype(), " ", grad.shape());
}

// ---- StateDictReader ------------------------------------------------------------------------

namespace {

std::string describe(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + " " + t.shape().str();
}

}  // namespace

StateDictReader::StateDictReader(std::string who, const StateDict& state,
                                 const std::vector<Tensor>& parameters)
    : who_(std::move(who)), state_(state), parameters_(parameters) {
  const std::string key = "param_groups.0.params";
  const Tensor& params = get(key);
  const auto n = static_cast<int64_t>(parameters_.size());
  CNNLAB_CHECK(params.dtype() == Dtype::kInt64 && params.dim() == 1, ValueError, where(), "'", key,
               "' expected an int64 1-D tensor, got ", describe(params));
  CNNLAB_CHECK(params.size(0) == n, ValueError, where(), "the state dict is for ", params.size(0),
               " parameters ('", key, "' has shape ", params.shape(), "), the optimizer has ", n);
}

const Tensor& StateDictReader::get(const std::string& key) {
  auto it = state_.find(key);
  CNNLAB_CHECK(it != state_.end(), ValueError, where(), "missing key '", key,
               "' (a state dict of another optimizer or other options?)");
  CNNLAB_CHECK(it->second.defined(), ValueError, where(), "key '", key, "' holds no tensor");
  read_.insert(key);
  return it->second;
}

double StateDictReader::hyper(const std::string& name) {
  const std::string key = "param_groups.0." + name;
  const Tensor& t = get(key);
  CNNLAB_CHECK(is_floating(t.dtype()) && t.dim() == 0, ValueError, where(), "'", key,
               "' expected a 0-d float tensor, got ", describe(t));
  return t.item();
}

std::vector<double> StateDictReader::hyper_vector(const std::string& name, int64_t n) {
  const std::string key = "param_groups.0." + name;
  const Tensor& t = get(key);
  CNNLAB_CHECK(is_floating(t.dtype()) && t.dim() == 1 && t.size(0) == n, ValueError, where(), "'",
               key, "' expected a float tensor of shape [", n, "], got ", describe(t));
  return t.to_vector();
}

bool StateDictReader::has_state(size_t i, const std::string& name) const {
  return state_.count("state." + std::to_string(i) + "." + name) != 0;
}

Tensor StateDictReader::buffer(size_t i, const std::string& name) {
  const std::string key = "state." + std::to_string(i) + "." + name;
  const Tensor& t = get(key);
  const Tensor& p = parameters_[i];
  CNNLAB_CHECK(is_floating(t.dtype()) && t.shape() == p.shape(), ValueError, where(), "'", key,
               "' expected a float tensor of shape ", p.shape(), " (parameter ", i, "), got ",
               describe(t));
  NoGradGuard no_grad;
  return t.to(p.dtype()).clone();
}

int64_t StateDictReader::step(size_t i, const std::string& name) {
  const std::string key = "state." + std::to_string(i) + "." + name;
  const Tensor& t = get(key);
  CNNLAB_CHECK(t.dim() == 0, ValueError, where(), "'", key, "' expected a 0-d tensor, got ",
               describe(t));
  if (t.dtype() == Dtype::kInt64) {
    const int64_t step = t.data<int64_t>()[0];
    CNNLAB_CHECK(step >= 1, ValueError, where(), "'", key, "' expected a step >= 1, got ", step);
    return step;
  }
  const double value = t.item();
  // A float step (PyTorch 1.13 saves float32) must hold an exact integer within int64's range.
  CNNLAB_CHECK(value >= 1 && value < 9.0e18 && std::floor(value) == value, ValueError, where(), "'",
               key, "' expected an integer step >= 1, got ", value);
  return static_cast<int64_t>(value);
}

void StateDictReader::finish() const {
  std::string unexpected;
  for (const auto& [key, tensor] : state_) {
    if (read_.count(key) != 0) continue;
    unexpected += (unexpected.empty() ? "'" : ", '") + key + "'";
  }
  CNNLAB_CHECK(unexpected.empty(), ValueError, where(), "unexpected keys ", unexpected,
               " (the optimizer has ", parameters_.size(),
               " parameters; a state dict of another optimizer or other options?)");
}

}  // namespace cnnlab::optim
