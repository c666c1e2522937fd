#include "worker/curl_transport.h"

namespace sieve {

Result<std::unique_ptr<CurlTransport>> CurlTransport::Create(const EngineOptions& options,
                                                             std::vector<std::string> headers) {
  Result<std::unique_ptr<CurlMultiLoop>> loop = CurlMultiLoop::Create(options.concurrency);
  if (!loop.ok()) return loop.status();
  return std::unique_ptr<CurlTransport>(
      new CurlTransport(options, std::move(headers), std::move(loop).value()));
}

CurlTransport::~CurlTransport() {
  for (const auto& transfer : transfers_) {
    if (transfer != nullptr && transfer->active) loop_->Remove(transfer->easy());
  }
  transfers_.clear();  // every easy handle leaves before the multi handle goes
}

Status CurlTransport::Start(int slot, std::string_view body, std::string_view idempotency_key) {
  if (static_cast<size_t>(slot) >= transfers_.size()) transfers_.resize(slot + 1);
  std::unique_ptr<Transfer>& transfer = transfers_[slot];
  if (transfer == nullptr) {
    Result<std::unique_ptr<Transfer>> made = Transfer::Create(options_, slot);
    if (!made.ok()) return made.status();
    transfer = std::move(made).value();
  }
  SIEVE_RETURN_IF_ERROR(transfer->Load(body, idempotency_key, headers_));
  SIEVE_RETURN_IF_ERROR(loop_->Add(transfer->easy()));
  transfer->active = true;
  return Status::Ok();
}

void CurlTransport::Abort(int slot) {
  Transfer& transfer = *transfers_[slot];
  if (!transfer.active) return;
  loop_->Remove(transfer.easy());
  transfer.active = false;
}

int CurlTransport::NextDone() {
  CURLMsg* msg = loop_->NextDone();
  if (msg == nullptr) return -1;
  void* user = nullptr;
  curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &user);
  auto* transfer = static_cast<Transfer*>(user);
  transfer->Finish(msg->data.result);  // msg is invalid once the handle is removed
  loop_->Remove(msg->easy_handle);
  transfer->active = false;
  return transfer->slot();
}

}  // namespace sieve
