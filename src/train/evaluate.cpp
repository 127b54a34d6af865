// evaluate(): one pass over a dataset collecting the classification metrics.
#include "cnnlab/train/evaluate.hpp"

#include <cmath>
#include <limits>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/data/dataloader.hpp"
#include "cnnlab/data/transforms.hpp"
#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/reduce.hpp"

namespace cnnlab::train {

Tensor Normalization::apply(const Tensor& images) const {
  if (mean.empty()) return images;
  const int64_t c = images.size(1);
  CNNLAB_CHECK(static_cast<int64_t>(mean.size()) == c && static_cast<int64_t>(std.size()) == c,
               ShapeError, "Normalization: images have ", c, " channels but the statistics have ",
               mean.size());
  const Tensor m = Tensor::from_vector(mean, {1, c, 1, 1}, images.dtype());
  const Tensor s = Tensor::from_vector(std, {1, c, 1, 1}, images.dtype());
  return (images - m) / s;
}

Normalization Normalization::measure(const data::Dataset& data) {
  auto [mean, std] = data::channel_mean_std(data);
  return {mean, std};
}

Evaluation evaluate(nn::Module& model, const data::Dataset& data, const Normalization& norm,
                    int64_t batch_size, int64_t max_misclassified) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  const int64_t k = data.num_classes();
  Evaluation e;
  e.confusion.assign(static_cast<size_t>(k), std::vector<int64_t>(static_cast<size_t>(k), 0));
  double loss_sum = 0;
  int64_t correct = 0;
  data::DataLoader loader(std::shared_ptr<const data::Dataset>(&data, [](const data::Dataset*) {}),
                          {.batch_size = batch_size, .shuffle = false});
  for (const data::Batch& batch : loader) {
    const Tensor logits = model(norm.apply(batch.inputs));
    CNNLAB_CHECK(logits.dim() == 2 && logits.size(1) == k, ShapeError, "evaluate: the model has ",
                 logits.size(-1), " outputs but the data has ", k, " classes");
    loss_sum +=
        ops::cross_entropy(logits, batch.targets, {.reduction = ops::Reduction::kSum}).item();
    const Tensor probs = ops::softmax(logits, 1);
    const Tensor predicted = ops::argmax(logits, 1);
    const int64_t* p = predicted.data<int64_t>();
    const int64_t* y = batch.targets.data<int64_t>();
    for (int64_t i = 0; i < predicted.numel(); ++i) {
      ++e.confusion[static_cast<size_t>(y[i])][static_cast<size_t>(p[i])];
      if (p[i] == y[i]) {
        ++correct;
      } else if (static_cast<int64_t>(e.misclassified.size()) < max_misclassified) {
        e.misclassified.push_back(
            {batch.indices[static_cast<size_t>(i)], y[i], p[i], probs.at({i, p[i]})});
      }
    }
  }
  const auto n = static_cast<double>(data.size());
  e.loss = loss_sum / n;
  e.accuracy = static_cast<double>(correct) / n;
  for (int64_t c = 0; c < k; ++c) {
    int64_t total = 0;
    for (int64_t v : e.confusion[static_cast<size_t>(c)]) total += v;
    e.per_class_accuracy.push_back(
        total == 0
            ? std::numeric_limits<double>::quiet_NaN()
            : static_cast<double>(e.confusion[static_cast<size_t>(c)][static_cast<size_t>(c)]) /
                  static_cast<double>(total));
  }
  model.train(was_training);
  return e;
}

}  // namespace cnnlab::train
