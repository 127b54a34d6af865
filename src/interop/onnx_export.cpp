// ONNX export by tracing: runs the model under an autograd::TraceGuard, maps each traced op to
// ONNX nodes, adds the parameters and buffers as initializers under their state_dict names, and
// checks the graph with libonnx's checker. The mapping table is docs/interop.md ("ONNX export").
#include "cnnlab/interop/onnx_export.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <ostream>
#include <unordered_map>
#include <vector>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "cnnlab/io/atomic_file.hpp"

namespace cnnlab::interop {
namespace {

using autograd::TracedOp;
using Ints = std::vector<int64_t>;

const Ints& ints(const TracedOp& op, const std::string& name) {
  return std::get<Ints>(op.attr(name));
}
int64_t integer(const TracedOp& op, const std::string& name) {
  return std::get<int64_t>(op.attr(name));
}
double real(const TracedOp& op, const std::string& name) { return std::get<double>(op.attr(name)); }

// Builds the graph: values are named by the TensorImpl that holds them.
class GraphBuilder {
 public:
  GraphBuilder(::onnx::GraphProto& graph, nn::Module& model) : graph_(graph) {
    for (const auto& [name, t] : model.named_parameters()) known_[t.impl_ptr().get()] = {name, t};
    for (const auto& [name, t] : model.named_buffers()) known_[t.impl_ptr().get()] = {name, t};
  }

  void set_input(const Tensor& x) { names_[x.impl_ptr().get()] = "input"; }

  // The name of a value an op reads: the graph input, an earlier op's output, or a parameter or
  // buffer (added as an initializer on first use).
  std::string value(const Tensor& t, const TracedOp& consumer) {
    const auto* key = t.impl_ptr().get();
    if (auto it = names_.find(key); it != names_.end()) return it->second;
    if (auto it = known_.find(key); it != known_.end()) {
      add_initializer(it->second.first, it->second.second);
      names_[key] = it->second.first;
      return it->second.first;
    }
    throw ValueError(detail::concat(
        "export_onnx: expected every input of '", consumer.op,
        "' to be the model's input, a parameter, a buffer or the output of a traced op, got a "
        "tensor of shape ",
        t.shape(),
        " made by an op that has no ONNX form (only the ops listed in docs/interop.md "
        "are traced)"));
  }

  // A fresh name for op's output, recorded for its consumers.
  std::string output(const TracedOp& op) {
    std::string name = fresh(op.op);
    names_[op.output.impl_ptr().get()] = name;
    return name;
  }
  // A fresh value name for an intermediate that no traced tensor holds.
  std::string fresh(const std::string& stem) { return detail::concat(stem, "_", counter_++); }
  // op's output is the same value as `name` (an op that is the identity here).
  void alias(const TracedOp& op, const std::string& name) {
    names_[op.output.impl_ptr().get()] = name;
  }
  std::string name_of(const Tensor& t) const {
    auto it = names_.find(t.impl_ptr().get());
    return it == names_.end() ? std::string() : it->second;
  }

  ::onnx::NodeProto& node(const std::string& type, const std::vector<std::string>& inputs,
                          const std::string& output) {
    ::onnx::NodeProto& n = *graph_.add_node();
    n.set_op_type(type);
    n.set_name(detail::concat(type, "_", graph_.node_size()));
    for (const std::string& i : inputs) n.add_input(i);
    n.add_output(output);
    return n;
  }

  // A constant made by the exporter (not a model tensor): float32 or int64 data.
  std::string constant(const std::string& stem, const Tensor& t) {
    const std::string name = fresh(stem);
    add_initializer(name, t);
    return name;
  }

 private:
  void add_initializer(const std::string& name, const Tensor& t) {
    ::onnx::TensorProto& p = *graph_.add_initializer();
    p.set_name(name);
    for (int64_t d = 0; d < t.dim(); ++d) p.add_dims(t.size(d));
    if (t.dtype() == Dtype::kInt64) {
      p.set_data_type(::onnx::TensorProto::INT64);
    } else {
      CNNLAB_CHECK(t.dtype() == Dtype::kFloat32, ValueError, "export_onnx: expected float32 ",
                   "tensors, got ", t.dtype(), " for '", name, "' (convert the model first)");
      p.set_data_type(::onnx::TensorProto::FLOAT);
    }
    // NOTE: raw_data is little-endian, as cnnlab's storage on every supported machine.
    p.set_raw_data(std::string(static_cast<const char*>(t.raw_data()),
                               static_cast<size_t>(t.numel()) * dtype_size(t.dtype())));
  }

  ::onnx::GraphProto& graph_;
  std::unordered_map<const void*, std::pair<std::string, Tensor>> known_;
  std::unordered_map<const void*, std::string> names_;
  int64_t counter_ = 0;
};

void set_ints(::onnx::NodeProto& n, const std::string& name, const Ints& values) {
  ::onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::INTS);
  for (int64_t v : values) a.add_ints(v);
}
void set_int(::onnx::NodeProto& n, const std::string& name, int64_t value) {
  ::onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::INT);
  a.set_i(value);
}
void set_float(::onnx::NodeProto& n, const std::string& name, double value) {
  ::onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(::onnx::AttributeProto::FLOAT);
  a.set_f(static_cast<float>(value));
}

// (h, w) padding -> ONNX's (h_begin, w_begin, h_end, w_end).
Ints pads_of(const Ints& hw) { return {hw[0], hw[1], hw[0], hw[1]}; }

// The inputs' names, skipping absent optional ones at the end (an undefined bias).
std::vector<std::string> inputs_of(GraphBuilder& b, const TracedOp& op) {
  std::vector<std::string> names;
  for (const Tensor& t : op.inputs) {
    if (t.defined()) names.push_back(b.value(t, op));
  }
  return names;
}

void emit_conv(GraphBuilder& b, const TracedOp& op, const std::string& out) {
  const Tensor& w = op.inputs[1];
  ::onnx::NodeProto& n = b.node("Conv", inputs_of(b, op), out);
  set_ints(n, "kernel_shape", {w.size(2), w.size(3)});
  set_ints(n, "strides", ints(op, "stride"));
  set_ints(n, "pads", pads_of(ints(op, "padding")));
  set_ints(n, "dilations", ints(op, "dilation"));
  set_int(n, "group", integer(op, "groups"));
}

void emit_pool(GraphBuilder& b, const TracedOp& op, bool max) {
  ::onnx::NodeProto& n = b.node(max ? "MaxPool" : "AveragePool", inputs_of(b, op), b.output(op));
  set_ints(n, "kernel_shape", ints(op, "kernel"));
  set_ints(n, "strides", ints(op, "stride"));
  set_ints(n, "pads", pads_of(ints(op, "padding")));
  if (integer(op, "ceil_mode") != 0) set_int(n, "ceil_mode", 1);
  if (max) {
    if (ints(op, "dilation") != Ints{1, 1}) set_ints(n, "dilations", ints(op, "dilation"));
  } else {
    set_int(n, "count_include_pad", integer(op, "count_include_pad"));
  }
}

// adaptive_avg_pool2d has an ONNX form when every window has the same size: the global pool,
// the identity, or a plain average pool with kernel = stride = in / out.
void emit_adaptive_pool(GraphBuilder& b, const TracedOp& op) {
  const Tensor& x = op.inputs[0];
  const Ints& out = ints(op, "output_size");
  const int64_t h = x.size(2), w = x.size(3);
  if (out == Ints{1, 1}) {
    b.node("GlobalAveragePool", inputs_of(b, op), b.output(op));
  } else if (out == Ints{h, w}) {
    b.alias(op, b.value(x, op));
  } else {
    CNNLAB_CHECK(h % out[0] == 0 && w % out[1] == 0, ValueError,
                 "export_onnx: adaptive_avg_pool2d from ", h, "x", w, " to ", out[0], "x", out[1],
                 " has windows of different sizes and no ONNX form; expected an input size "
                 "divisible by the output size (export at another input size)");
    ::onnx::NodeProto& n = b.node("AveragePool", inputs_of(b, op), b.output(op));
    set_ints(n, "kernel_shape", {h / out[0], w / out[1]});
    set_ints(n, "strides", {h / out[0], w / out[1]});
  }
}

void emit_batch_norm(GraphBuilder& b, const TracedOp& op) {
  CNNLAB_CHECK(integer(op, "training") == 0 && op.inputs[1].defined(), ValueError,
               "export_onnx: batch_norm normalizes with batch statistics here (no running "
               "statistics, track_running_stats=false); expected running statistics, which is "
               "what ONNX's BatchNormalization uses at inference");
  const int64_t c = op.inputs[0].size(1);
  const std::string x = b.value(op.inputs[0], op);
  const std::string scale = op.inputs[3].defined() ? b.value(op.inputs[3], op)
                                                   : b.constant("bn_scale", Tensor::ones({c}));
  const std::string shift = op.inputs[4].defined() ? b.value(op.inputs[4], op)
                                                   : b.constant("bn_bias", Tensor::zeros({c}));
  const std::string mean = b.value(op.inputs[1], op), var = b.value(op.inputs[2], op);
  ::onnx::NodeProto& n = b.node("BatchNormalization", {x, scale, shift, mean, var}, b.output(op));
  set_float(n, "epsilon", real(op, "eps"));
}

// reshape: Flatten(axis=1) for the (N, ...) -> (N, features) of a classifier head, else Reshape
// with the batch dim copied (0) so that any batch size works.
void emit_reshape(GraphBuilder& b, const TracedOp& op) {
  const Shape& in = op.inputs[0].shape();
  const Shape& out = op.output.shape();
  CNNLAB_CHECK(in.rank() >= 1 && out.rank() >= 1 && in[0] == out[0], ValueError,
               "export_onnx: reshape from ", in, " to ", out,
               " changes the batch dim; expected the batch dim kept (dim 0)");
  if (out.rank() == 2) {
    ::onnx::NodeProto& n = b.node("Flatten", inputs_of(b, op), b.output(op));
    set_int(n, "axis", 1);
    return;
  }
  std::vector<int64_t> dims{0};  // 0: copy the input's batch dim
  for (size_t i = 1; i < out.size(); ++i) dims.push_back(out[i]);
  const std::string shape =
      b.constant("shape", Tensor::from_int64(dims, {static_cast<int64_t>(dims.size())}));
  b.node("Reshape", {b.value(op.inputs[0], op), shape}, b.output(op));
}

// He et al.'s option A shortcut, y[:, pad + c] = x[:, c, ::2, ::2] and zero channels elsewhere,
// is a 1x1 convolution with stride 2 and a 0/1 weight: exact, and in every runtime.
void emit_cifar_shortcut(GraphBuilder& b, const TracedOp& op) {
  const int64_t c = op.inputs[0].size(1), pad = integer(op, "pad"), oc = c + 2 * pad;
  std::vector<double> w(static_cast<size_t>(oc * c), 0.0);
  for (int64_t i = 0; i < c; ++i) w[static_cast<size_t>((pad + i) * c + i)] = 1.0;
  const std::string weight =
      b.constant("cifar_shortcut_weight", Tensor::from_vector(w, {oc, c, 1, 1}));
  ::onnx::NodeProto& n = b.node("Conv", {b.value(op.inputs[0], op), weight}, b.output(op));
  set_ints(n, "kernel_shape", {1, 1});
  set_ints(n, "strides", {2, 2});
}

void emit(GraphBuilder& b, const TracedOp& op) {
  const std::string& t = op.op;
  if (t == "conv2d") {
    emit_conv(b, op, b.output(op));
  } else if (t == "conv2d_relu") {
    const std::string conv_out = b.fresh("conv2d");
    emit_conv(b, op, conv_out);
    b.node("Relu", {conv_out}, b.output(op));
  } else if (t == "relu" || t == "sigmoid" || t == "tanh") {
    const std::string type = t == "relu" ? "Relu" : t == "sigmoid" ? "Sigmoid" : "Tanh";
    b.node(type, inputs_of(b, op), b.output(op));
  } else if (t == "leaky_relu") {
    set_float(b.node("LeakyRelu", inputs_of(b, op), b.output(op)), "alpha",
              real(op, "negative_slope"));
  } else if (t == "softmax" || t == "log_softmax") {
    set_int(b.node(t == "softmax" ? "Softmax" : "LogSoftmax", inputs_of(b, op), b.output(op)),
            "axis", integer(op, "dim"));
  } else if (t == "max_pool2d" || t == "avg_pool2d") {
    emit_pool(b, op, t == "max_pool2d");
  } else if (t == "adaptive_avg_pool2d") {
    emit_adaptive_pool(b, op);
  } else if (t == "batch_norm") {
    emit_batch_norm(b, op);
  } else if (t == "linear") {
    CNNLAB_CHECK(op.inputs[0].dim() == 2, ValueError, "export_onnx: linear on input of shape ",
                 op.inputs[0].shape(), " has no Gemm form; expected a 2-D input (N, features)");
    set_int(b.node("Gemm", inputs_of(b, op), b.output(op)), "transB", 1);
  } else if (t == "add") {
    b.node("Add", inputs_of(b, op), b.output(op));
  } else if (t == "cat") {
    set_int(b.node("Concat", inputs_of(b, op), b.output(op)), "axis", integer(op, "dim"));
  } else if (t == "reshape") {
    emit_reshape(b, op);
  } else if (t == "local_response_norm") {
    // NOTE: ONNX's window is [c - floor((size-1)/2), c + ceil((size-1)/2)], PyTorch's (and
    // cnnlab's) [c - floor(size/2), c + floor((size-1)/2)]: the same only for odd sizes.
    const int64_t size = integer(op, "size");
    CNNLAB_CHECK(size % 2 == 1, ValueError, "export_onnx: local_response_norm with size ", size,
                 " places its window differently in ONNX; expected an odd size");
    ::onnx::NodeProto& n = b.node("LRN", inputs_of(b, op), b.output(op));
    set_int(n, "size", size);
    set_float(n, "alpha", real(op, "alpha"));
    set_float(n, "beta", real(op, "beta"));
    set_float(n, "bias", real(op, "k"));
  } else if (t == "cifar_shortcut") {
    emit_cifar_shortcut(b, op);
  } else {
    throw ValueError(detail::concat("export_onnx: expected an op with an ONNX form, got '", t,
                                    "' (docs/interop.md lists the exported ops)"));
  }
}

void set_value_info(::onnx::ValueInfoProto& v, const std::string& name, const Shape& shape,
                    bool dynamic_batch) {
  v.set_name(name);
  ::onnx::TypeProto_Tensor& tensor = *v.mutable_type()->mutable_tensor_type();
  tensor.set_elem_type(::onnx::TensorProto::FLOAT);
  for (size_t i = 0; i < shape.size(); ++i) {
    ::onnx::TensorShapeProto_Dimension& d = *tensor.mutable_shape()->add_dim();
    if (i == 0 && dynamic_batch) {
      d.set_dim_param("N");
    } else {
      d.set_dim_value(i == 0 ? 1 : shape[i]);
    }
  }
}

// Restores the model's training mode when the export ends, however it ends.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(nn::Module& m) : module_(m), was_training_(m.is_training()) { m.eval(); }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  nn::Module& module_;
  bool was_training_;
};

}  // namespace

std::string onnx_model_bytes(nn::Module& model, const Shape& input_shape,
                             const OnnxExportOptions& options) {
  CNNLAB_CHECK(options.opset >= 13 && options.opset <= 17, ValueError,
               "export_onnx: expected an opset in [13, 17], got ", options.opset);
  CNNLAB_CHECK(input_shape.rank() == 3, ValueError,
               "export_onnx: expected an input shape (C, H, W), got ", input_shape);
  // NOTE: traced at batch 2, so that a reshape that would bake the batch size in is caught.
  const Tensor x = Tensor::zeros({2, input_shape[0], input_shape[1], input_shape[2]});
  autograd::Trace trace;
  Tensor y;
  {
    const EvalModeGuard eval(model);
    const NoGradGuard no_grad;
    const autograd::TraceGuard guard(trace);
    y = model(x);
  }

  ::onnx::ModelProto proto;
  proto.set_ir_version(::onnx::IR_VERSION);
  proto.set_producer_name("cnnlab");
  proto.set_producer_version("0.1");
  proto.set_doc_string(model.repr());
  ::onnx::OperatorSetIdProto& opset = *proto.add_opset_import();
  opset.set_domain("");
  opset.set_version(options.opset);
  ::onnx::GraphProto& graph = *proto.mutable_graph();
  graph.set_name(model.type_name());

  GraphBuilder builder(graph, model);
  builder.set_input(x);
  for (const TracedOp& op : trace.ops) emit(builder, op);
  std::string out_name = builder.name_of(y);
  CNNLAB_CHECK(!out_name.empty() && out_name != "input", ValueError,
               "export_onnx: expected the model's output to come from a traced op, got a tensor "
               "of shape ",
               y.shape(), " that no exported op made");
  // The graph output is named "output": rename the value everywhere it appears.
  for (::onnx::NodeProto& n : *graph.mutable_node()) {
    for (std::string& o : *n.mutable_output()) {
      if (o == out_name) o = "output";
    }
    for (std::string& i : *n.mutable_input()) {
      if (i == out_name) i = "output";
    }
  }
  set_value_info(*graph.add_input(), "input", x.shape(), options.dynamic_batch);
  set_value_info(*graph.add_output(), "output", y.shape(), options.dynamic_batch);

  try {
    ::onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    throw StateError(
        detail::concat("export_onnx: expected a graph that passes ONNX's checker, "
                       "got '",
                       e.what(), "'"));
  }
  std::string bytes;
  CNNLAB_CHECK(proto.SerializeToString(&bytes), StateError,
               "export_onnx: expected the model to serialize, got a protobuf failure (a model "
               "over 2 GiB?)");
  return bytes;
}

void export_onnx(nn::Module& model, const Shape& input_shape, const std::string& path,
                 const OnnxExportOptions& options) {
  const std::string bytes = onnx_model_bytes(model, input_shape, options);
  io::write_atomically(path, [&](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

}  // namespace cnnlab::interop
