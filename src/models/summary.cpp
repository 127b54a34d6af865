// summarize(): forward hooks on the leaf modules record shapes; the rule and FLOPs come from
// each layer's options.
#include "cnnlab/models/summary.hpp"

#include <cstdio>
#include <sstream>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/pooling.hpp"

namespace cnnlab::models {
namespace {

// "(W - F + 2P)/S + 1" with numbers, for one spatial dim (dilation folded into F).
std::string rule_1d(int64_t in, int64_t kernel, int64_t dilation, int64_t pad, int64_t stride,
                    int64_t out, bool ceil_mode = false) {
  const int64_t f = dilation * (kernel - 1) + 1;
  std::ostringstream s;
  s << (ceil_mode ? "ceil" : "") << "(" << in << " - " << f << " + 2*" << pad << ")/" << stride
    << " + 1 = " << out;
  return s.str();
}

std::string rule_2d(const Shape& in, const Shape& out, Size2 k, Size2 d, Size2 p, Size2 s,
                    bool ceil_mode = false) {
  const std::string h = rule_1d(in[2], k.h, d.h, p.h, s.h, out[2], ceil_mode);
  const std::string w = rule_1d(in[3], k.w, d.w, p.w, s.w, out[3], ceil_mode);
  if (h == w) return h;
  std::ostringstream both;  // NOTE: a stream, not operator+, which trips GCC 12's -Wrestrict
  both << "H: " << h << ", W: " << w;
  return both.str();
}

// 61706 -> "61,706"
std::string with_commas(int64_t v) {
  const std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

ModelSummary summarize(nn::Module& model, const Shape& input_shape) {
  CNNLAB_CHECK(input_shape.rank() == 3, ShapeError,
               "summary: expected an input shape C x H x W, got ", input_shape);
  ModelSummary summary;
  std::vector<std::pair<nn::Module*, int>> hooks;
  for (auto& [name, m] : model.named_modules()) {
    if (!m->children().empty()) continue;  // leaves only: containers just pass data on
    const std::string path = name;
    nn::Module* module = m;
    const int id = m->register_forward_hook([&summary, path, module](nn::Module&, const Tensor& in,
                                                                     const Tensor& out) {
      LayerSummary l;
      l.name = path;
      l.repr = module->repr();
      Shape out_shape;
      for (int64_t d = 1; d < out.dim(); ++d) out_shape.push_back(out.size(d));
      l.output_shape = out_shape;
      l.parameters = module->num_parameters();
      const int64_t out_numel = out.numel();
      if (auto* conv = dynamic_cast<nn::Conv2d*>(module)) {
        const auto& o = conv->options();
        l.rule = rule_2d(in.shape(), out.shape(), o.kernel_size, o.dilation, o.padding, o.stride);
        l.flops = 2 * out_numel * (o.in_channels / o.groups) * o.kernel_size.h * o.kernel_size.w +
                  (o.bias ? out_numel : 0);
      } else if (auto* mp = dynamic_cast<nn::MaxPool2d*>(module)) {
        const auto& o = mp->options();
        const Size2 s = o.stride.h == 0 ? o.kernel_size : o.stride;
        l.rule =
            rule_2d(in.shape(), out.shape(), o.kernel_size, o.dilation, o.padding, s, o.ceil_mode);
        l.flops = out_numel * o.kernel_size.h * o.kernel_size.w;
      } else if (auto* ap = dynamic_cast<nn::AvgPool2d*>(module)) {
        const auto& o = ap->options();
        const Size2 s = o.stride.h == 0 ? o.kernel_size : o.stride;
        l.rule = rule_2d(in.shape(), out.shape(), o.kernel_size, 1, o.padding, s, o.ceil_mode);
        l.flops = out_numel * o.kernel_size.h * o.kernel_size.w;
      } else if (auto* fc = dynamic_cast<nn::Linear*>(module)) {
        const auto& o = fc->options();
        l.flops = 2 * o.in_features * o.out_features + (o.bias ? o.out_features : 0);
      } else {
        l.flops = out_numel;  // elementwise layers: about one operation per output
      }
      summary.layers.push_back(l);
      return Tensor();
    });
    hooks.emplace_back(m, id);
  }
  const bool was_training = model.is_training();
  model.eval();
  try {
    NoGradGuard no_grad;
    model(Tensor::zeros({1, input_shape[0], input_shape[1], input_shape[2]}));
  } catch (...) {
    for (auto& [m, id] : hooks) m->remove_forward_hook(id);
    model.train(was_training);
    throw;
  }
  for (auto& [m, id] : hooks) m->remove_forward_hook(id);
  model.train(was_training);
  for (const LayerSummary& l : summary.layers) {
    summary.total_flops += l.flops;
    summary.activation_bytes += l.output_shape.numel() * 4;
  }
  summary.total_parameters = model.num_parameters();
  return summary;
}

std::string format_summary(const ModelSummary& s) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-16s %-44s %-16s %-34s %12s %14s\n", "layer", "module",
                "output", "output size rule", "parameters", "FLOPs");
  out << line << std::string(141, '-') << "\n";
  for (const LayerSummary& l : s.layers) {
    std::string repr = l.repr;
    if (repr.size() > 44) repr.replace(41, std::string::npos, "...");
    std::snprintf(line, sizeof(line), "%-16s %-44s %-16s %-34s %12s %14s\n", l.name.c_str(),
                  repr.c_str(), l.output_shape.str().c_str(), l.rule.c_str(),
                  with_commas(l.parameters).c_str(), with_commas(l.flops).c_str());
    out << line;
  }
  out << std::string(141, '-') << "\n";
  out << "total parameters: " << with_commas(s.total_parameters) << "\n";
  out << "total FLOPs per image (forward, multiply-add = 2): " << with_commas(s.total_flops)
      << "\n";
  out << "activation memory per image (float32): " << with_commas(s.activation_bytes) << " bytes\n";
  return out.str();
}

}  // namespace cnnlab::models
