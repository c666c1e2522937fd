// Test helpers: read metric values back out of a prometheus::Registry.
//
// Thread-safety: as Registry::Collect (thread-safe).
#pragma once

#include <prometheus/registry.h>

#include <map>
#include <optional>
#include <vector>
#include <string>

namespace sieve::testing {

// The value of the series `name`{labels} (labels must match exactly): a counter's or gauge's
// value, a histogram's sample count. nullopt when the family or the series does not exist.
inline std::optional<double> MetricValue(const prometheus::Registry& registry,
                                         const std::string& name,
                                         const std::map<std::string, std::string>& labels = {}) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have != labels) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter: return metric.counter.value;
        case prometheus::MetricType::Gauge: return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        default: return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

// How many series the family `name` has (0 when it does not exist).
inline size_t SeriesCount(const prometheus::Registry& registry, const std::string& name) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name == name) return family.metric.size();
  }
  return 0;
}

// The histogram series `name` (no labels): cumulative bucket counts, in bound order.
inline std::vector<uint64_t> HistogramBuckets(const prometheus::Registry& registry,
                                              const std::string& name) {
  std::vector<uint64_t> out;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name || family.metric.empty()) continue;
    for (const auto& bucket : family.metric[0].histogram.bucket) {
      out.push_back(bucket.cumulative_count);
    }
  }
  return out;
}

}  // namespace sieve::testing
