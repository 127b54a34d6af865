// The run report: one self-contained HTML page (report.html) built from a run directory's
// config.json, metrics.jsonl and eval.json, with charts (Chart.js, embedded), the confusion
// matrix, per-class accuracy and the misclassified test images (embedded as data: URIs).
// docs/run_directory.md describes the files it reads.
#pragma once

#include <string>

namespace cnnlab::train {

/// Writes run_dir/report.html (atomically: a failure leaves an older report intact).
///
/// Reads run_dir/config.json (a JSON object), run_dir/metrics.jsonl (one JSON object per epoch)
/// and, when present, run_dir/eval.json and the misclassified PNG files it names (relative to
/// run_dir). Without eval.json the page has the configuration and the training curves and says
/// that the evaluation is missing. The page needs no network: the charting library, the data
/// (as JSON) and the images are inline; every string from the files is escaped.
///
/// Throws IoError naming the file when run_dir, config.json or metrics.jsonl is missing, when
/// a file is not valid JSON (for metrics.jsonl: naming the line), when a value has the wrong
/// type or range (accuracies are fractions in [0, 1]; the confusion matrix is N x N for N
/// class names), when an image path is absolute or leaves run_dir, when a named image is missing
/// or not a PNG, or when report.html cannot be written.
void write_report(const std::string& run_dir);

/// Writes dir/report.html for a `cnnlab collapse minority` experiment, from dir/minority.json:
/// the minority and majority classifier cosines and the test accuracies against the imbalance
/// ratio (charts with a log-scale ratio axis) and the table of every ratio, linking each ratio's
/// run report. Throws IoError naming the file when minority.json is missing or malformed, or
/// when report.html cannot be written.
void write_minority_report(const std::string& dir);

}  // namespace cnnlab::train
