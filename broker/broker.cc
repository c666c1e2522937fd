#include "broker/broker.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/overloaded.h"
#include "common/private_dir.h"
#include "net/peer_policy.h"
#include "net/zmq_io.h"

namespace sieve {
namespace {

constexpr int kPollMs = 100;

}  // namespace

Result<std::unique_ptr<Broker>> Broker::Create(zmq::context_t& context, BrokerOptions options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("the broker needs --data-dir");
  SIEVE_RETURN_IF_ERROR(PreparePrivateDir(options.data_dir, options.allow_shared_data_dir));
  Result<std::unique_ptr<JobBook>> book =
      JobBook::Open(options.data_dir, *options.clock, options.retain_ms);
  if (!book.ok()) return book.status();
  std::unique_ptr<Broker> broker(new Broker(context, std::move(options), std::move(*book)));
  broker->RecoverChunkVerdicts();
  broker->RecoverUsage();
  broker->JoinQuotas();
  if (broker->options_.curve.enabled()) {
    if (broker->options_.allow_dir.empty()) {
      return Status::InvalidArgument("CURVE keys need an allow-list directory (--allow DIR)");
    }
    Result<AllowList> allow = AllowList::Load(broker->options_.allow_dir);
    if (!allow.ok()) return allow.status();
    Result<std::unique_ptr<ZapAuthenticator>> zap =
        ZapAuthenticator::Start(context, std::move(*allow));
    if (!zap.ok()) return zap.status();
    broker->zap_ = std::move(*zap);
    ApplyCurveServer(broker->socket_, broker->options_.curve);
  }
  try {
    broker->socket_.bind(broker->options_.listen);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot listen on " + broker->options_.listen + ": " + e.what());
  }
  broker->endpoint_ = BoundEndpoint(broker->socket_);
  return broker;
}

Broker::Broker(zmq::context_t& context, BrokerOptions options, std::unique_ptr<JobBook> book)
    : context_(context),
      options_(std::move(options)),
      book_(std::move(book)),
      socket_(context_, zmq::socket_type::router),
      quota_(*options_.clock, options_.quota, options_.limits),
      registry_(options_.metrics_registry ? options_.metrics_registry
                                          : std::make_shared<prometheus::Registry>()),
      metrics_(*registry_),
      quota_metrics_(*registry_) {
  ConfigureSocket(socket_);
  socket_.set(zmq::sockopt::router_mandatory, 1);
}

Broker::~Broker() = default;

Status Broker::Run() {
  spdlog::info("broker listening on {} with {} jobs known", endpoint_, book_->jobs().size());
  while (!stop_.load()) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(kPollMs));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) return Status::IoError(std::string("poll failed: ") + e.what());
    }
    HandleIncoming();
    DrainConsoleActions();
    int64_t now = options_.clock->NowMs();
    SendHeartbeats(now);
    ReapDeadPeers(now);
    ExpireLeases(now);
    ResendFailedChunks(now);
    RequeueDue(now);
    Dispatch(now);
    CheckBudgets();
    Publish(now);
    Retain(now);
  }
  for (const auto& [id, worker] : workers_) Reply(id, proto::Disconnect{"broker shutting down"});
  return Status::Ok();
}

void Broker::HandleIncoming() {
  // Bounded per iteration so heartbeats and expiry still run under a flood.
  inbox_.Drain(socket_, 1000, [&](Incoming& incoming) {
    Handle(incoming.peer, incoming.user_id, std::move(incoming.message));
  });
}

void Broker::Handle(const std::string& peer, const std::string& user_id,
                    proto::Message message) {
  std::optional<PeerRole> role = RoleFromUserId(user_id);
  proto::Command command = proto::CommandOf(message);
  if (!role || !BrokerAccepts(*role, command)) {
    inbox_.Refuse(socket_, peer, std::nullopt,
                  Status::PermissionDenied(std::string(proto::CommandName(command)) +
                                           " is not allowed for a " +
                                           std::string(role ? PeerRoleName(*role) : "peer") +
                                           " key"));
    return;
  }
  std::string client = user_id.empty() ? "local" : user_id;
  int64_t now = options_.clock->NowMs();
  if (auto it = workers_.find(peer); it != workers_.end()) it->second.last_seen_ms = now;
  if (peer == collector_id_) collector_.last_seen_ms = now;
  std::visit(
      Overloaded{
          [&](const proto::Ready& m) { OnReady(peer, m); },
          [&](const proto::Heartbeat& m) { OnHeartbeat(peer, m); },
          [&](const proto::Release& m) { OnRelease(peer, m); },
          [&](const proto::Disconnect&) { OnDisconnect(peer); },
          [&](const proto::CollectorReady& m) { OnCollectorReady(peer, m); },
          [&](const proto::Committed& m) { OnCommitted(m); },
          [&](const proto::JobDone& m) { OnJobDone(m); },
          [&](const proto::Submit& m) { OnSubmit(peer, client, m); },
          [&](const proto::Chunk& m) { OnChunk(peer, client, m); },
          [&](const proto::Seal& m) {
            if (OwnsJob(client, m.job_id)) {
              OnSeal(peer, m);
            } else {
              Refuse(peer, std::nullopt,
                     Status::PermissionDenied("job " + m.job_id + " belongs to another client"));
            }
          },
          [&](const proto::StatusQuery& m) { OnStatus(peer, m); },
          [&](const proto::WorkersQuery& m) { OnWorkers(peer, m); },
          [&](const proto::Cancel& m) {
            if (OwnsJob(client, m.job_id)) {
              OnCancel(peer, m);
            } else {
              Refuse(peer, m.request_id,
                     Status::PermissionDenied("job " + m.job_id + " belongs to another client"));
            }
          },
          [&](const proto::Resume& m) {
            if (OwnsJob(client, m.job_id)) {
              OnResume(peer, m);
            } else {
              Refuse(peer, m.request_id,
                     Status::PermissionDenied("job " + m.job_id + " belongs to another client"));
            }
          },
          [&](const proto::CanaryReport& m) { OnCanary(peer, m); },
          [&](const proto::PermitAsk& m) { OnPermitAsk(peer, m); },
          [&](const proto::RateLimited& m) { OnRateLimited(peer, m); },
          [&](const proto::LimitsQuery& m) { OnLimits(peer, m); },
          [&](const proto::ErrorReply& m) {
            spdlog::warn("peer {} reported: {}", IdentityToString(peer), m.message);
          },
          [&](const auto& m) {
            inbox_.Refuse(socket_, peer, std::nullopt,
                          Status::InvalidArgument("the broker does not accept " +
                                                  std::string(proto::CommandName(
                                                      std::decay_t<decltype(m)>::kCommand))));
          },
      },
      message);
}

void Broker::Reply(const std::string& peer, proto::Message message) {
  Status s = SendMessage(socket_, peer, std::move(message));
  if (!s.ok()) spdlog::debug("send to {} failed: {}", IdentityToString(peer), s.ToString());
}

void Broker::Refuse(const std::string& peer, std::optional<uint64_t> request_id,
                    const Status& status) {
  SendError(socket_, peer, request_id, status);
}

}  // namespace sieve
