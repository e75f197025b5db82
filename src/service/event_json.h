// Validation of the event batches of POST /v1/events (docs/api.md "Events"): every item is
// checked and every problem reported with its index and field, so a client can fix the batch
// in one round. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/event_writer.h"

namespace kgp::service {

struct EventError {
  size_t index;
  std::string field, message;
};

struct ParsedBatch {
  std::vector<EventIn> events;
  std::vector<EventError> errors;  // empty: every event is valid
};

// body: {"events": [ … ]} or a bare array. Each event: user, item (strings or integers), type
// (view, cart, remove_from_cart, purchase, favorite, rate, review, or an alias ingest knows),
// optional ts (Unix seconds, fraction dropped, 13+ digits read as milliseconds; or an ISO-8601
// text; default: now), price (≥ 0), value (rating),
// session, variant (the size or colour chosen: {"size": "M"} or "size=M;color=red", as the
// events-csv column). Top-level problems (not JSON, not a list) come back as one error with index 0 and
// field "-"; `top_level` tells them apart.
ParsedBatch ParseEventBatch(const nlohmann::json& body, int64_t now, bool* top_level);

nlohmann::json ErrorsJson(const std::vector<EventError>& errors, size_t max = 100);

}  // namespace kgp::service
