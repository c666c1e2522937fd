// CounterMirror: Prometheus counters that follow a struct of plain uint64_t counters a loop
// keeps (BrokerCounters, CollectorCounters). The loop bumps its integers on the hot path, with
// no lock and no lookup; Publish (every loop iteration or every few hundred ms) advances each
// Prometheus counter by what its field grew since the last Publish.
//
// Thread-safety: not thread-safe; the owning loop calls Add and Publish. Prometheus collects
// concurrently (counters are atomic).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sieve {

template <typename Counters>
class CounterMirror {
 public:
  // Registers counter `name` (no labels) mirroring `field` times `scale` (e.g. 1e-3 exports a
  // field kept in milliseconds as the base unit Prometheus wants, seconds).
  void Add(prometheus::Registry& registry, const std::string& name, const std::string& help,
           uint64_t Counters::*field, double scale = 1.0) {
    auto& counter = prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
    mirrors_.push_back({&counter, field, scale});
  }

  // Advances every counter to `now`. A field that went down (a new Counters) is taken as is.
  void Publish(const Counters& now) {
    for (const Mirror& m : mirrors_) {
      uint64_t value = now.*m.field;
      uint64_t before = published_.*m.field;
      if (value > before) m.counter->Increment(static_cast<double>(value - before) * m.scale);
    }
    published_ = now;
  }

 private:
  struct Mirror {
    prometheus::Counter* counter;
    uint64_t Counters::*field;
    double scale;
  };
  std::vector<Mirror> mirrors_;
  Counters published_{};
};

}  // namespace sieve
