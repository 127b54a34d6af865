// ONNX export of any cnnlab model, by tracing (as torch.onnx.export): the model runs once in eval
// mode on a zero batch under an autograd::TraceGuard, and every traced op becomes ONNX nodes.
// Parameters and buffers become initializers under their state_dict names ("features.0.weight"),
// so the graph reads like PyTorch's export of the same module. The graph passes ONNX's checker
// (Debian's libonnx) before it is written; tests/integration/onnx_export_test.cpp runs exported
// zoo models in OpenCV's dnn module. Op mapping and limits: docs/interop.md ("ONNX export").
#pragma once

#include <cstdint>
#include <string>

#include "cnnlab/nn/module.hpp"

namespace cnnlab::interop {

struct OnnxExportOptions {
  /// The ONNX opset the graph declares. 13 is the default: every op cnnlab emits has its current
  /// form there, and OpenCV 4.6 and onnxruntime read it. Must be in [13, 17] (libonnx 1.12).
  int64_t opset = 13;
  /// The batch dim of the input and output is the symbol "N" (any batch size); false fixes it to
  /// 1.
  bool dynamic_batch = true;
};

/// The serialized ONNX ModelProto of `model` for inputs (N, C, H, W), (C, H, W) = input_shape:
/// graph input "input" (float32), graph output "output" (the model's return value), opset
/// options.opset. The model is put in eval mode for the trace and its mode restored afterwards.
/// Throws ValueError for an op that has no ONNX form here (naming the op and the reason, e.g. a
/// BatchNorm without running statistics, an adaptive pool whose windows differ in size), a
/// float64 model or an opset out of range; StateError if the built graph fails ONNX's checker.
std::string onnx_model_bytes(nn::Module& model, const Shape& input_shape,
                             const OnnxExportOptions& options = {});

/// Writes onnx_model_bytes(...) to `path` atomically (io/atomic_file.hpp). Throws as
/// onnx_model_bytes, and IoError when the file cannot be written.
void export_onnx(nn::Module& model, const Shape& input_shape, const std::string& path,
                 const OnnxExportOptions& options = {});

}  // namespace cnnlab::interop
