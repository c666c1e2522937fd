// LocalCluster: a broker, a collector and N workers running on threads of this process, on
// ephemeral loopback ports, plus (optionally) the reference classifier. Used by `sieve run` and
// by tests that want a whole pipeline in one process.
//
// Thread-safety: Start/Stop from one thread. The components' own threads are internal.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "broker/broker.h"
#include "classifier/classifier_server.h"
#include "collector/collector.h"
#include "common/status.h"
#include "worker/worker_node.h"

namespace sieve {

struct LocalClusterOptions {
  std::string data_dir;  // broker/ and collector/ are made inside
  int workers = 2;
  int concurrency = 32;
  bool start_classifier = false;
  // Called with the classifier's URL once it listens, before the broker opens its store
  // (`sieve run` points a continued job at it). A failure stops Start.
  std::function<Status(const std::string& classifier_url)> before_broker;
};

class LocalCluster {
 public:
  static Result<std::unique_ptr<LocalCluster>> Start(const LocalClusterOptions& options);
  ~LocalCluster();  // stops everything

  const std::string& broker_endpoint() const { return broker_->endpoint(); }
  // "http://127.0.0.1:PORT/classify" when the classifier was started, else empty.
  const std::string& classifier_url() const { return classifier_url_; }
  zmq::context_t& context() { return context_; }
  void Stop();

 private:
  LocalCluster() = default;

  zmq::context_t context_;
  std::unique_ptr<classifier::ClassifierServer> classifier_;
  std::string classifier_url_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Collector> collector_;
  std::vector<std::unique_ptr<WorkerNode>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace sieve
