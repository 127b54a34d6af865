// ops::matmul and ops::linear: argument checks, then the gemm of the selected backend (reference:
// src/kernels/gemm.cpp, fast: src/kernels/fast/gemm_blas.cpp);
// backward is two more gemms (dA = dY B^T, dB = A^T dY) and, for linear, a column sum for db.
#include "cnnlab/ops/linear.hpp"

#include <utility>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "cnnlab/core/backend.hpp"
#include "kernels/fast/gemm_blas.hpp"
#include "kernels/gemm.hpp"

namespace cnnlab::ops {
namespace {

void check_float_pair(const Tensor& a, const Tensor& b, const char* op, const char* a_name,
                      const char* b_name) {
  CNNLAB_CHECK(is_floating(a.dtype()), ValueError, op, ": expected ", a_name,
               " to be float32 or float64, got ", a.dtype());
  CNNLAB_CHECK(b.dtype() == a.dtype(), ValueError, op, ": expected ", b_name,
               " to have the dtype of ", a_name, " (", a.dtype(), "), got ", b.dtype());
}

// The gemm of the selected backend (cnnlab/core/backend.hpp): BLAS or the reference loops.
template <typename T>
void backend_gemm(T* c, const T* a, const T* b, T alpha, T beta, const kernels::GemmGeometry& g) {
  if (backend() == Backend::kFast) {
    kernels::fast::gemm<T>(c, a, b, alpha, beta, g);
  } else {
    kernels::gemm<T>(c, a, b, alpha, beta, g);
  }
}

// The dims before the last two: the batch dims of a matmul operand.
Shape batch_dims(const Shape& s) { return Shape(std::vector<int64_t>(s.begin(), s.end() - 2)); }

// Shape of matmul(a, b) and what the batch loop needs: `count` products, each operand advancing
// by its step per product (0 for a 2-D operand that is broadcast over the batch).
struct MatmulPlan {
  Shape out;
  int64_t n = 0, k = 0, m = 0;
  int64_t count = 1;
  int64_t a_step = 0, b_step = 0;
};

MatmulPlan matmul_plan(const Tensor& a, const Tensor& b) {
  CNNLAB_CHECK(a.defined() && b.defined(), ValueError, "matmul: expected defined operands");
  CNNLAB_CHECK(a.dim() >= 2 && b.dim() >= 2, ShapeError,
               "matmul: expected operands of rank 2 or more, got ", a.shape(), " @ ", b.shape());
  check_float_pair(a, b, "matmul", "a", "b");
  MatmulPlan plan;
  plan.n = a.size(-2);
  plan.k = a.size(-1);
  plan.m = b.size(-1);
  CNNLAB_CHECK(b.size(-2) == plan.k, ShapeError,
               "matmul: expected a's last dim to equal b's second-to-last dim, got ", a.shape(),
               " @ ", b.shape());
  const Shape ba = batch_dims(a.shape()), bb = batch_dims(b.shape());
  CNNLAB_CHECK(ba.empty() || bb.empty() || ba == bb, ShapeError,
               "matmul: expected equal batch dims (or one 2-D operand), got ", a.shape(), " @ ",
               b.shape());
  plan.out = ba.empty() ? bb : ba;
  plan.count = plan.out.numel();
  plan.a_step = ba.empty() ? 0 : plan.n * plan.k;
  plan.b_step = bb.empty() ? 0 : plan.k * plan.m;
  plan.out.push_back(plan.n);
  plan.out.push_back(plan.m);
  return plan;
}

// c_i = op(a_i) op(b_i) + beta c_i for i < count, operand i at base + i * step. A step of 0 reuses
// one matrix for every product; with c_step 0 and beta 1 the products sum into one c.
template <typename T>
void gemm_loop(T* c, int64_t c_step, const T* a, int64_t a_step, const T* b, int64_t b_step, T beta,
               int64_t count, const kernels::GemmGeometry& g) {
  for (int64_t i = 0; i < count; ++i) {
    backend_gemm<T>(c + i * c_step, a + i * a_step, b + i * b_step, T(1), beta, g);
  }
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  const MatmulPlan p = matmul_plan(a, b);
  Tensor y = Tensor::empty(p.out, a.dtype());
  dispatch_float(a.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    gemm_loop<T>(y.data<T>(), p.n * p.m, a.data<T>(), p.a_step, b.data<T>(), p.b_step, T(0),
                 p.count, kernels::packed_gemm(p.n, p.m, p.k));
  });

  if (autograd::needs_grad({a, b})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    // NOTE: a broadcast operand has step 0, so beta = 1 sums its gradient over the batch.
    auto backward = [p, ga, gb, sa = a.shape(), sb = b.shape(), a = gb ? a.detach() : Tensor(),
                     b = ga ? b.detach() : Tensor()](const Tensor& dy) -> std::vector<Tensor> {
      std::vector<Tensor> grads(2);
      dispatch_float(dy.dtype(), "matmul", [&](auto tag) {
        using T = decltype(tag);
        const int64_t dy_step = p.n * p.m;
        if (ga) {  // da_i (n, k) += dy_i (n, m) b_i^T, with b_i stored (k, m)
          grads[0] = Tensor::zeros(sa, dy.dtype());
          gemm_loop<T>(grads[0].data<T>(), p.a_step, dy.data<T>(), dy_step, b.data<T>(), p.b_step,
                       T(1), p.count, kernels::packed_gemm(p.n, p.k, p.m, false, true));
        }
        if (gb) {  // db_i (k, m) += a_i^T dy_i (n, m), with a_i stored (n, k)
          grads[1] = Tensor::zeros(sb, dy.dtype());
          gemm_loop<T>(grads[1].data<T>(), p.b_step, a.data<T>(), p.a_step, dy.data<T>(), dy_step,
                       T(1), p.count, kernels::packed_gemm(p.k, p.m, p.n, true, false));
        }
      });
      return grads;
    };
    autograd::record("matmul", {a, b}, y, std::move(backward));
  }
  return y;
}

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  CNNLAB_CHECK(input.defined() && weight.defined(), ValueError,
               "linear: expected a defined input and weight, got an undefined ",
               input.defined() ? "weight" : "input");
  CNNLAB_CHECK(input.dim() >= 1, ShapeError,
               "linear: expected an input of shape (*, in_features), got shape ", input.shape());
  CNNLAB_CHECK(weight.dim() == 2, ShapeError,
               "linear: expected a 2-D weight (out_features, in_features), got shape ",
               weight.shape());
  check_float_pair(input, weight, "linear", "input", "weight");
  const int64_t in = weight.size(1), out = weight.size(0);
  CNNLAB_CHECK(input.size(-1) == in, ShapeError, "linear: input has ", input.size(-1),
               input.size(-1) == 1 ? " feature" : " features", " but weight expects ", in,
               " (input ", input.shape(), ", weight ", weight.shape(), ")");
  if (bias.defined()) {
    CNNLAB_CHECK(bias.dim() == 1 && bias.size(0) == out, ShapeError,
                 "linear: expected a bias of shape [", out, "] (one per output feature), got ",
                 bias.shape());
    check_float_pair(input, bias, "linear", "input", "bias");
  }

  int64_t rows = 1;  // every leading dim folds into the row count of one gemm
  for (int64_t i = 0; i + 1 < input.dim(); ++i) rows *= input.size(i);
  Shape out_shape = input.shape();
  out_shape[out_shape.size() - 1] = out;
  Tensor y = Tensor::empty(out_shape, input.dtype());
  dispatch_float(input.dtype(), "linear", [&](auto tag) {
    using T = decltype(tag);
    // y (rows, out) = x (rows, in) W^T, with W stored (out, in)
    backend_gemm<T>(y.data<T>(), input.data<T>(), weight.data<T>(), T(1), T(0),
                    kernels::packed_gemm(rows, out, in, false, true));
    if (bias.defined()) kernels::linear_bias_forward<T>(y.data<T>(), bias.data<T>(), rows, out);
  });

  if (autograd::needs_grad({input, weight, bias})) {
    const bool gx = input.requires_grad();
    const bool gw = weight.requires_grad();
    const bool gb = bias.defined() && bias.requires_grad();
    autograd::record(
        "linear", {input, weight, bias}, y,
        [rows, in, out, gx, gw, gb, sx = input.shape(), x = gw ? input.detach() : Tensor(),
         w = gx ? weight.detach() : Tensor()](const Tensor& dy) -> std::vector<Tensor> {
          std::vector<Tensor> grads(3);
          dispatch_float(dy.dtype(), "linear", [&](auto tag) {
            using T = decltype(tag);
            if (gx) {  // dx (rows, in) += dy (rows, out) W (out, in)
              grads[0] = Tensor::zeros(sx, dy.dtype());
              backend_gemm<T>(grads[0].data<T>(), dy.data<T>(), w.data<T>(), T(1), T(1),
                              kernels::packed_gemm(rows, in, out));
            }
            if (gw) {  // dW (out, in) += dy^T (out, rows) x (rows, in)
              grads[1] = Tensor::zeros({out, in}, dy.dtype());
              backend_gemm<T>(grads[1].data<T>(), dy.data<T>(), x.data<T>(), T(1), T(1),
                              kernels::packed_gemm(out, in, rows, true, false));
            }
            if (gb) {  // db (out) += column sums of dy (rows, out)
              grads[2] = Tensor::zeros({out}, dy.dtype());
              kernels::linear_bias_backward<T>(grads[2].data<T>(), dy.data<T>(), rows, out);
            }
          });
          return grads;
        });
  }
  if (autograd::is_tracing()) autograd::trace_op("linear", {input, weight, bias}, y);
  return y;
}

}  // namespace cnnlab::ops
