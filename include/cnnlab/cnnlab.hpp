// Umbrella header: everything a user of the library needs.
#pragma once

#include "cnnlab/autograd/engine.hpp"
#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/hooks.hpp"
#include "cnnlab/autograd/node.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/core/error.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/io/safetensors.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "cnnlab/ops/shape_ops.hpp"
#include "cnnlab/tensor/dtype.hpp"
#include "cnnlab/tensor/shape.hpp"
#include "cnnlab/tensor/storage.hpp"
#include "cnnlab/tensor/tensor.hpp"
