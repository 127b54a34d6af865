// Learning-rate schedules as closed forms, and the parser of their command-line specs
// (include/cnnlab/optim/lr_scheduler.hpp; torch.optim.lr_scheduler for the formulas).
#include "cnnlab/optim/lr_scheduler.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>

#include "cnnlab/core/check.hpp"

namespace cnnlab::optim {

namespace {

/// Shortest decimal that reads back to the same double ("0.1", "1e-05").
std::string number(double value) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  return {buf, result.ptr};
}

void check_base_lr(const char* who, double base_lr) {
  CNNLAB_CHECK(base_lr >= 0 && std::isfinite(base_lr), ValueError, who,
               ": expected a finite base_lr >= 0, got ", base_lr);
}

void check_gamma(const char* who, double gamma) {
  CNNLAB_CHECK(gamma > 0 && std::isfinite(gamma), ValueError, who,
               ": expected a finite gamma > 0, got ", gamma);
}

}  // namespace

double LrSchedule::lr_at(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch) const {
  CNNLAB_CHECK(epoch >= 0, ValueError, "LrSchedule::lr_at: expected epoch >= 0, got ", epoch);
  CNNLAB_CHECK(steps_per_epoch >= 1, ValueError,
               "LrSchedule::lr_at: expected steps_per_epoch >= 1, got ", steps_per_epoch);
  CNNLAB_CHECK(step_in_epoch >= 0 && step_in_epoch < steps_per_epoch, ValueError,
               "LrSchedule::lr_at: expected step_in_epoch in [0, ", steps_per_epoch, "), got ",
               step_in_epoch);
  return compute(epoch, step_in_epoch, steps_per_epoch);
}

// ---- ConstantSchedule -----------------------------------------------------------------------

ConstantSchedule::ConstantSchedule(double base_lr) : base_lr_(base_lr) {
  check_base_lr("ConstantSchedule", base_lr);
}

double ConstantSchedule::compute(int64_t, int64_t, int64_t) const { return base_lr_; }

// ---- StepLR ---------------------------------------------------------------------------------

StepLR::StepLR(double base_lr, int64_t step_size, double gamma)
    : base_lr_(base_lr), step_size_(step_size), gamma_(gamma) {
  check_base_lr("StepLR", base_lr);
  CNNLAB_CHECK(step_size >= 1, ValueError, "StepLR: expected step_size >= 1, got ", step_size);
  check_gamma("StepLR", gamma);
}

std::string StepLR::spec() const {
  return "step:" + std::to_string(step_size_) + ":" + number(gamma_);
}

double StepLR::compute(int64_t epoch, int64_t, int64_t) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

// ---- MultiStepLR ----------------------------------------------------------------------------

MultiStepLR::MultiStepLR(double base_lr, std::vector<int64_t> milestones, double gamma)
    : base_lr_(base_lr), milestones_(std::move(milestones)), gamma_(gamma) {
  check_base_lr("MultiStepLR", base_lr);
  CNNLAB_CHECK(!milestones_.empty(), ValueError, "MultiStepLR: expected at least one milestone");
  for (size_t i = 0; i < milestones_.size(); ++i) {
    CNNLAB_CHECK(milestones_[i] >= 0, ValueError, "MultiStepLR: expected milestones >= 0, got ",
                 milestones_[i]);
    CNNLAB_CHECK(i == 0 || milestones_[i] > milestones_[i - 1], ValueError,
                 "MultiStepLR: expected strictly increasing milestones, got ", milestones_[i - 1],
                 " then ", milestones_[i]);
  }
  check_gamma("MultiStepLR", gamma);
}

std::string MultiStepLR::spec() const {
  std::string out = "multistep:";
  for (size_t i = 0; i < milestones_.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(milestones_[i]);
  }
  return out + ":" + number(gamma_);
}

double MultiStepLR::compute(int64_t epoch, int64_t, int64_t) const {
  // PyTorch: bisect_right(milestones, last_epoch), the number of milestones reached.
  const auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return base_lr_ * std::pow(gamma_, static_cast<double>(passed));
}

// ---- CosineAnnealingLR ----------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(double base_lr, int64_t t_max, double eta_min)
    : base_lr_(base_lr), t_max_(t_max), eta_min_(eta_min) {
  check_base_lr("CosineAnnealingLR", base_lr);
  CNNLAB_CHECK(t_max >= 1, ValueError, "CosineAnnealingLR: expected T_max >= 1, got ", t_max);
  CNNLAB_CHECK(eta_min >= 0 && std::isfinite(eta_min), ValueError,
               "CosineAnnealingLR: expected a finite eta_min >= 0, got ", eta_min);
}

std::string CosineAnnealingLR::spec() const {
  return "cosine:" + std::to_string(t_max_) + ":" + number(eta_min_);
}

double CosineAnnealingLR::compute(int64_t epoch, int64_t, int64_t) const {
  const double phase = std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(t_max_);
  return eta_min_ + (base_lr_ - eta_min_) * (1 + std::cos(phase)) / 2;
}

// ---- LinearWarmup ---------------------------------------------------------------------------

LinearWarmup::LinearWarmup(std::unique_ptr<LrSchedule> after, int64_t length, WarmupUnit unit,
                           double start_factor)
    : after_(std::move(after)), length_(length), unit_(unit), start_factor_(start_factor) {
  CNNLAB_CHECK(after_ != nullptr, ValueError,
               "LinearWarmup: expected a schedule to warm up, got null");
  CNNLAB_CHECK(length >= 1, ValueError, "LinearWarmup: expected a length >= 1, got ", length);
  CNNLAB_CHECK(start_factor > 0 && start_factor <= 1, ValueError,
               "LinearWarmup: expected start_factor in (0, 1], got ", start_factor);
}

std::string LinearWarmup::spec() const {
  return "warmup:" + std::to_string(length_) + (unit_ == WarmupUnit::kSteps ? "steps" : "epochs") +
         ":" + number(start_factor_) + "+" + after_->spec();
}

double LinearWarmup::compute(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch) const {
  const int64_t position =
      unit_ == WarmupUnit::kSteps ? epoch * steps_per_epoch + step_in_epoch : epoch;
  const double factor = position >= length_
                            ? 1.0
                            : start_factor_ + (1 - start_factor_) * static_cast<double>(position) /
                                                  static_cast<double>(length_);
  return factor * after_->lr_at(epoch, step_in_epoch, steps_per_epoch);
}

// ---- parse_schedule -------------------------------------------------------------------------

namespace {

constexpr const char* kForms =
    "constant, step:STEP_SIZE[:GAMMA], multistep:M1,M2,...[:GAMMA], cosine:T_MAX[:ETA_MIN], "
    "or warmup:N[steps|epochs][:START_FACTOR] followed by +<one of the others>";

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(sep, begin);
    parts.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return parts;
    begin = end + 1;
  }
}

/// Reports errors as "parse_schedule: bad schedule '<spec>': ..." for the whole spec.
class SpecParser {
 public:
  SpecParser(const std::string& spec, double base_lr) : spec_(spec), base_lr_(base_lr) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw ValueError("parse_schedule: bad schedule '" + spec_ + "': " + what);
  }

  int64_t integer(const std::string& text, const char* what) const {
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
      fail(std::string("expected an integer ") + what + ", got '" + text + "'");
    }
    return value;
  }

  double real(const std::string& text, const char* what) const {
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
        !std::isfinite(value)) {
      fail(std::string("expected a number for ") + what + ", got '" + text + "'");
    }
    return value;
  }

  void arity(const std::vector<std::string>& fields, size_t lo, size_t hi) const {
    if (fields.size() < lo || fields.size() > hi) {
      fail("'" + fields[0] + "' takes " + std::to_string(lo - 1) +
           (hi > lo ? " or " + std::to_string(hi - 1) : "") + " argument" +
           (hi - 1 == 1 ? "" : "s") + ", got " + std::to_string(fields.size() - 1));
    }
  }

  /// One schedule that is not a warm-up.
  std::unique_ptr<LrSchedule> main_schedule(const std::string& part) const {
    const std::vector<std::string> f = split(part, ':');
    const std::string& kind = f[0];
    try {
      if (kind == "constant") {
        arity(f, 1, 1);
        return std::make_unique<ConstantSchedule>(base_lr_);
      }
      if (kind == "step") {
        arity(f, 2, 3);
        return std::make_unique<StepLR>(base_lr_, integer(f[1], "step size"),
                                        f.size() > 2 ? real(f[2], "gamma") : 0.1);
      }
      if (kind == "multistep") {
        arity(f, 2, 3);
        std::vector<int64_t> milestones;
        for (const std::string& m : split(f[1], ',')) milestones.push_back(integer(m, "milestone"));
        return std::make_unique<MultiStepLR>(base_lr_, std::move(milestones),
                                             f.size() > 2 ? real(f[2], "gamma") : 0.1);
      }
      if (kind == "cosine") {
        arity(f, 2, 3);
        return std::make_unique<CosineAnnealingLR>(base_lr_, integer(f[1], "T_max"),
                                                   f.size() > 2 ? real(f[2], "eta_min") : 0.0);
      }
    } catch (const ValueError& e) {
      const std::string what = e.what();
      if (what.rfind("parse_schedule:", 0) == 0) throw;
      fail(what);
    }
    if (kind == "warmup") fail("a warm-up must come first and only once ('warmup:N+cosine:T')");
    fail("unknown schedule '" + kind + "'; expected " + kForms);
  }

  std::unique_ptr<LrSchedule> warmup(const std::string& part,
                                     std::unique_ptr<LrSchedule> after) const {
    const std::vector<std::string> f = split(part, ':');
    arity(f, 2, 3);
    std::string length = f[1];
    WarmupUnit unit = WarmupUnit::kSteps;
    for (const auto& [suffix, u] :
         {std::pair{"steps", WarmupUnit::kSteps}, std::pair{"epochs", WarmupUnit::kEpochs}}) {
      const std::string s = suffix;
      if (length.size() > s.size() && length.compare(length.size() - s.size(), s.size(), s) == 0) {
        length.resize(length.size() - s.size());
        unit = u;
        break;
      }
    }
    const int64_t n = integer(length, "warm-up length (N, Nsteps or Nepochs)");
    const double start = f.size() > 2 ? real(f[2], "start_factor") : 1.0 / 3.0;
    try {
      return std::make_unique<LinearWarmup>(std::move(after), n, unit, start);
    } catch (const ValueError& e) {
      fail(e.what());
    }
  }

  std::unique_ptr<LrSchedule> parse() const {
    if (spec_.empty() || spec_ == "constant") return main_schedule("constant");
    const std::vector<std::string> parts = split(spec_, '+');
    const bool warm = split(parts[0], ':')[0] == "warmup";
    if (parts.size() > 2 || (parts.size() == 2 && !warm)) {
      fail("expected one schedule, optionally after a warm-up ('warmup:N+<schedule>')");
    }
    if (!warm) return main_schedule(parts[0]);
    std::unique_ptr<LrSchedule> after =
        parts.size() == 2 ? main_schedule(parts[1]) : main_schedule("constant");
    return warmup(parts[0], std::move(after));
  }

 private:
  const std::string& spec_;
  double base_lr_;
};

}  // namespace

std::unique_ptr<LrSchedule> parse_schedule(const std::string& spec, double base_lr) {
  check_base_lr("parse_schedule", base_lr);
  return SpecParser(spec, base_lr).parse();
}

}  // namespace cnnlab::optim
