// Learning-rate schedules: closed forms on hand-computed values, warm-up composition, the spec
// parser and its error messages.
#include "cnnlab/optim/lr_scheduler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "support/expect_throw_with.hpp"

namespace cnnlab {
namespace {

using optim::parse_schedule;

TEST(LrSchedule, StepLRDecaysEveryStepSizeEpochs) {
  const optim::StepLR s(0.1, 3, 0.5);
  EXPECT_EQ(s.lr_at(0), 0.1);
  EXPECT_EQ(s.lr_at(2), 0.1);
  EXPECT_EQ(s.lr_at(3), 0.05);
  EXPECT_EQ(s.lr_at(8), 0.025);
  EXPECT_EQ(s.lr_at(9), 0.0125);
  EXPECT_EQ(s.lr_at(9, 5, 10), 0.0125);  // epoch schedules ignore the step
}

TEST(LrSchedule, MultiStepLRDecaysAtEachMilestone) {
  const optim::MultiStepLR s(1.0, {2, 5}, 0.1);
  EXPECT_EQ(s.lr_at(1), 1.0);
  EXPECT_EQ(s.lr_at(2), 0.1);
  EXPECT_EQ(s.lr_at(4), 0.1);
  EXPECT_NEAR(s.lr_at(5), 0.01, 1e-16);
  EXPECT_NEAR(s.lr_at(100), 0.01, 1e-16);
}

TEST(LrSchedule, CosineAnnealingFollowsTheClosedForm) {
  const optim::CosineAnnealingLR s(0.1, 4, 0.02);
  EXPECT_EQ(s.lr_at(0), 0.1);
  EXPECT_NEAR(s.lr_at(1), 0.02 + 0.08 * (1 + std::cos(std::numbers::pi / 4)) / 2, 1e-16);
  EXPECT_NEAR(s.lr_at(2), 0.06, 1e-16);
  EXPECT_NEAR(s.lr_at(4), 0.02, 1e-16);
  EXPECT_NEAR(s.lr_at(6), 0.06, 1e-16);  // rises again past T_max, as PyTorch's
  EXPECT_NEAR(s.lr_at(8), 0.1, 1e-16);
}

TEST(LrSchedule, ConstantNeverChanges) {
  const optim::ConstantSchedule s(0.3);
  EXPECT_EQ(s.lr_at(0), 0.3);
  EXPECT_EQ(s.lr_at(1000, 7, 8), 0.3);
}

TEST(LrSchedule, WarmupInStepsRampsLinearlyThenMultipliesTheSchedule) {
  const optim::LinearWarmup s(std::make_unique<optim::StepLR>(0.1, 2, 0.5), 4,
                              optim::WarmupUnit::kSteps, 0.2);
  // 3 steps per epoch: global steps 0..3 ramp 0.2, 0.4, 0.6, 0.8, then 1.
  EXPECT_NEAR(s.lr_at(0, 0, 3), 0.02, 1e-16);
  EXPECT_NEAR(s.lr_at(0, 2, 3), 0.06, 1e-16);
  EXPECT_NEAR(s.lr_at(1, 0, 3), 0.08, 1e-16);
  EXPECT_EQ(s.lr_at(1, 1, 3), 0.1);
  EXPECT_EQ(s.lr_at(2, 0, 3), 0.05);  // StepLR counts epochs from the start of training
  EXPECT_EQ(s.base_lr(), 0.1);
}

TEST(LrSchedule, WarmupInEpochsIsConstantWithinAnEpoch) {
  const optim::LinearWarmup s(std::make_unique<optim::ConstantSchedule>(1.0), 2,
                              optim::WarmupUnit::kEpochs, 0.5);
  EXPECT_EQ(s.lr_at(0, 0, 10), 0.5);
  EXPECT_EQ(s.lr_at(0, 9, 10), 0.5);
  EXPECT_EQ(s.lr_at(1, 3, 10), 0.75);
  EXPECT_EQ(s.lr_at(2, 0, 10), 1.0);
}

TEST(LrScheduleParse, ReadsEveryForm) {
  EXPECT_EQ(parse_schedule("", 0.1)->lr_at(50), 0.1);
  EXPECT_EQ(parse_schedule("constant", 0.1)->lr_at(50), 0.1);
  EXPECT_NEAR(parse_schedule("step:30:0.1", 1.0)->lr_at(60), 0.01, 1e-16);
  EXPECT_NEAR(parse_schedule("step:30", 1.0)->lr_at(30), 0.1, 1e-16);  // PyTorch's gamma 0.1
  EXPECT_NEAR(parse_schedule("multistep:30,60,90:0.5", 1.0)->lr_at(90), 0.125, 1e-16);
  EXPECT_NEAR(parse_schedule("multistep:30,60,90", 1.0)->lr_at(60), 0.01, 1e-16);
  EXPECT_NEAR(parse_schedule("cosine:100", 0.1)->lr_at(50), 0.05, 1e-16);
  EXPECT_NEAR(parse_schedule("cosine:100:1e-5", 0.1)->lr_at(100), 1e-5, 1e-16);
  const auto warm = parse_schedule("warmup:500+cosine:100", 0.1);
  EXPECT_NEAR(warm->lr_at(0, 0, 1000), 0.1 / 3, 1e-16);  // PyTorch's start_factor 1/3
  EXPECT_NEAR(warm->lr_at(0, 500, 1000), 0.1, 1e-16);
  EXPECT_NEAR(warm->lr_at(50, 0, 1000), 0.05, 1e-16);
  EXPECT_NEAR(parse_schedule("warmup:10steps:0.5", 1.0)->lr_at(0, 5, 20), 0.75, 1e-16);
  EXPECT_EQ(parse_schedule("warmup:2epochs:0.5+step:1:0.5", 1.0)->lr_at(1, 7, 8), 0.375);
}

TEST(LrScheduleParse, SpecReadsBack) {
  for (const char* spec : {"constant", "step:30:0.1", "multistep:30,60,90:0.2", "cosine:100:1e-05",
                           "warmup:500steps:0.01+cosine:100:0", "warmup:5epochs:0.5+constant"}) {
    EXPECT_EQ(parse_schedule(spec, 0.1)->spec(), spec);
  }
  EXPECT_EQ(parse_schedule("warmup:500+cosine:100", 0.1)->spec(),
            "warmup:500steps:0.3333333333333333+cosine:100:0");
}

TEST(LrScheduleParse, RejectsBadSpecsNamingThem) {
  EXPECT_THROW_WITH(parse_schedule("linear:3", 0.1), ValueError,
                    "parse_schedule: bad schedule 'linear:3': unknown schedule 'linear'; expected "
                    "constant, step:STEP_SIZE[:GAMMA]");
  EXPECT_THROW_WITH(parse_schedule("step:x:0.1", 0.1), ValueError,
                    "parse_schedule: bad schedule 'step:x:0.1': expected an integer step size, "
                    "got 'x'");
  EXPECT_THROW_WITH(parse_schedule("step", 0.1), ValueError,
                    "bad schedule 'step': 'step' takes 1 or 2 arguments, got 0");
  EXPECT_THROW_WITH(parse_schedule("step:1:2:3", 0.1), ValueError,
                    "'step' takes 1 or 2 arguments, got 3");
  EXPECT_THROW_WITH(parse_schedule("step:0", 0.1), ValueError,
                    "bad schedule 'step:0': StepLR: expected step_size >= 1, got 0");
  EXPECT_THROW_WITH(parse_schedule("step:3:abc", 0.1), ValueError,
                    "expected a number for gamma, got 'abc'");
  EXPECT_THROW_WITH(parse_schedule("multistep:60,30", 0.1), ValueError,
                    "bad schedule 'multistep:60,30': MultiStepLR: expected strictly increasing "
                    "milestones, got 60 then 30");
  EXPECT_THROW_WITH(parse_schedule("multistep:30,,60", 0.1), ValueError,
                    "expected an integer milestone, got ''");
  EXPECT_THROW_WITH(parse_schedule("cosine:0", 0.1), ValueError,
                    "CosineAnnealingLR: expected T_max >= 1, got 0");
  EXPECT_THROW_WITH(parse_schedule("cosine:10:-1", 0.1), ValueError,
                    "CosineAnnealingLR: expected a finite eta_min >= 0, got -1");
  EXPECT_THROW_WITH(parse_schedule("constant:3", 0.1), ValueError,
                    "'constant' takes 0 arguments, got 1");
  EXPECT_THROW_WITH(parse_schedule("cosine:100+warmup:5", 0.1), ValueError,
                    "bad schedule 'cosine:100+warmup:5': expected one schedule, optionally after "
                    "a warm-up");
  EXPECT_THROW_WITH(parse_schedule("warmup:5+warmup:5", 0.1), ValueError,
                    "a warm-up must come first and only once");
  EXPECT_THROW_WITH(parse_schedule("warmup:5+", 0.1), ValueError, "unknown schedule ''");
  EXPECT_THROW_WITH(parse_schedule("warmup:5minutes+cosine:9", 0.1), ValueError,
                    "expected an integer warm-up length (N, Nsteps or Nepochs), got '5minutes'");
  EXPECT_THROW_WITH(parse_schedule("warmup:0", 0.1), ValueError,
                    "bad schedule 'warmup:0': LinearWarmup: expected a length >= 1, got 0");
  EXPECT_THROW_WITH(parse_schedule("warmup:5:0", 0.1), ValueError,
                    "LinearWarmup: expected start_factor in (0, 1], got 0");
  EXPECT_THROW_WITH(parse_schedule("step:3:inf", 0.1), ValueError,
                    "expected a number for gamma, got 'inf'");
  EXPECT_THROW_WITH(parse_schedule("cosine:10", -0.1), ValueError,
                    "parse_schedule: expected a finite base_lr >= 0, got -0.1");
}

TEST(LrScheduleErrors, RejectBadPositionsAndOptions) {
  const optim::ConstantSchedule s(0.1);
  EXPECT_THROW_WITH(s.lr_at(-1), ValueError, "LrSchedule::lr_at: expected epoch >= 0, got -1");
  EXPECT_THROW_WITH(s.lr_at(0, 0, 0), ValueError,
                    "LrSchedule::lr_at: expected steps_per_epoch >= 1, got 0");
  EXPECT_THROW_WITH(s.lr_at(0, 4, 4), ValueError,
                    "LrSchedule::lr_at: expected step_in_epoch in [0, 4), got 4");
  EXPECT_THROW_WITH(optim::StepLR(0.1, 2, 0.0), ValueError,
                    "StepLR: expected a finite gamma > 0, got 0");
  EXPECT_THROW_WITH(optim::MultiStepLR(0.1, {}, 0.1), ValueError,
                    "MultiStepLR: expected at least one milestone");
  EXPECT_THROW_WITH(optim::MultiStepLR(0.1, {-1}, 0.1), ValueError,
                    "MultiStepLR: expected milestones >= 0, got -1");
  EXPECT_THROW_WITH(optim::LinearWarmup(nullptr, 3), ValueError,
                    "LinearWarmup: expected a schedule to warm up, got null");
  EXPECT_THROW_WITH(optim::ConstantSchedule(-1.0), ValueError,
                    "ConstantSchedule: expected a finite base_lr >= 0, got -1");
}

}  // namespace
}  // namespace cnnlab
