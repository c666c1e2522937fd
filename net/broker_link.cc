#include "net/broker_link.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "net/zmq_io.h"

namespace sieve {

BrokerLink::BrokerLink(zmq::context_t& context, BrokerLinkOptions options,
                       std::function<proto::Message()> hello)
    : context_(context), options_(std::move(options)), hello_(std::move(hello)) {}

void BrokerLink::Connect() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  ConfigureSocket(*socket_);
  ApplyCurveClient(*socket_, options_.curve, options_.curve.broker_public_key);
  socket_->connect(options_.endpoint);
  broker_seen_ms_ = options_.clock->NowMs();
  Send(hello_());
}

void BrokerLink::Send(proto::Message message) {
  Status s = SendMessage(*socket_, "", std::move(message));
  if (!s.ok()) spdlog::debug("cannot send to the broker: {}", s.ToString());
}

int BrokerLink::Receive(int max, const std::function<void(proto::Message&)>& handle) {
  return inbox_.Drain(*socket_, max, [&](Incoming& incoming) {
    broker_seen_ms_ = options_.clock->NowMs();
    reconnect_delay_ms_ = 0;
    if (std::holds_alternative<proto::Heartbeat>(incoming.message)) return;
    if (auto* bye = std::get_if<proto::Disconnect>(&incoming.message)) {
      spdlog::info("broker asked us to register again ({})", bye->reason);
      ++reconnects_;
      Send(hello_());
      return;
    }
    if (auto* error = std::get_if<proto::ErrorReply>(&incoming.message)) {
      spdlog::warn("broker refused a message: {}", error->message);
      return;
    }
    handle(incoming.message);
  });
}

bool BrokerLink::Tick(int64_t now, const std::function<proto::Heartbeat()>& heartbeat) {
  if (now >= next_heartbeat_ms_) {
    next_heartbeat_ms_ = now + options_.heartbeat_ms;
    Send(heartbeat());
  }
  int64_t silence = static_cast<int64_t>(options_.heartbeat_ms) * options_.liveness;
  if (now - broker_seen_ms_ <= silence + reconnect_delay_ms_) return false;
  reconnect_delay_ms_ = reconnect_delay_ms_ == 0
                            ? proto::kReconnectInitialMs
                            : std::min<int64_t>(2 * reconnect_delay_ms_, proto::kReconnectMaxMs);
  ++reconnects_;
  spdlog::warn("broker {} silent: reconnecting (next try in {} ms)", options_.endpoint,
               reconnect_delay_ms_);
  Connect();
  return true;
}

}  // namespace sieve
