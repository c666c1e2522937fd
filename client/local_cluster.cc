#include "client/local_cluster.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace sieve {

Result<std::unique_ptr<LocalCluster>> LocalCluster::Start(const LocalClusterOptions& options) {
  std::unique_ptr<LocalCluster> cluster(new LocalCluster());
  if (options.start_classifier) {
    classifier::ClassifierOptions copts;
    copts.port = 0;
    copts.threads = static_cast<size_t>(
        std::clamp(options.workers * options.concurrency, 8, 256));
    Result<std::unique_ptr<classifier::ClassifierServer>> server =
        classifier::ClassifierServer::Start(copts);
    if (!server.ok()) return server.status();
    cluster->classifier_ = std::move(*server);
    cluster->classifier_url_ =
        "http://127.0.0.1:" + std::to_string(cluster->classifier_->port()) + "/classify";
    if (options.before_broker) {
      SIEVE_RETURN_IF_ERROR(options.before_broker(cluster->classifier_url_));
    }
  }
  BrokerOptions bopts;
  bopts.listen = "tcp://127.0.0.1:*";
  bopts.data_dir = options.data_dir + "/broker";
  Result<std::unique_ptr<Broker>> broker = Broker::Create(cluster->context_, bopts);
  if (!broker.ok()) return broker.status();
  cluster->broker_ = std::move(*broker);

  CollectorOptions copts;
  copts.broker = cluster->broker_->endpoint();
  copts.listen = "tcp://127.0.0.1:*";
  copts.data_dir = options.data_dir + "/collector";
  Result<std::unique_ptr<Collector>> collector = Collector::Create(cluster->context_, copts);
  if (!collector.ok()) return collector.status();
  cluster->collector_ = std::move(*collector);

  // ${secret:NAME} references resolve from this process's SIEVE_SECRET_<NAME> variables.
  Result<SecretStore> secrets = SecretStore::Load("", environ);
  if (!secrets.ok()) return secrets.status();
  for (int i = 0; i < options.workers; ++i) {
    WorkerNodeOptions wopts;
    wopts.secrets = *secrets;
    wopts.broker = cluster->broker_->endpoint();
    wopts.name = "local-" + std::to_string(i + 1);
    wopts.concurrency = options.concurrency;
    Result<std::unique_ptr<WorkerNode>> worker = WorkerNode::Create(cluster->context_, wopts);
    if (!worker.ok()) return worker.status();
    cluster->workers_.push_back(std::move(*worker));
  }

  auto run = [](const char* what, auto* component) {
    Status s = component->Run();
    if (!s.ok()) spdlog::error("{} stopped: {}", what, s.ToString());
  };
  cluster->threads_.emplace_back(run, "broker", cluster->broker_.get());
  cluster->threads_.emplace_back(run, "collector", cluster->collector_.get());
  for (auto& worker : cluster->workers_) cluster->threads_.emplace_back(run, "worker", worker.get());
  return cluster;
}

void LocalCluster::Stop() {
  for (auto& worker : workers_) worker->RequestStop();
  if (collector_) collector_->RequestStop();
  if (broker_) broker_->RequestStop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  if (classifier_) classifier_->Stop();
}

LocalCluster::~LocalCluster() { Stop(); }

}  // namespace sieve
