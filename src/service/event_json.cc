#include "service/event_json.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/strings.h"
#include "common/time.h"
#include "ingest/reader_util.h"

namespace kgp::service {
namespace {

constexpr size_t kMaxIdBytes = 256;
constexpr int64_t kMaxTs = 4102444800;  // 2100-01-01: later times are typing errors

// C0 controls and DEL: ids and variant values carrying them break CSV and terminal output.
bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// An id: a non-empty UTF-8 string without control characters, or an integer, as text. Empty
// string: set *err.
std::string IdField(const nlohmann::json& e, const char* name, bool required, std::string* err) {
  auto it = e.find(name);
  if (it == e.end() || it->is_null()) {
    if (required) *err = "required";
    return "";
  }
  if (it->is_number_integer()) return it->dump();
  if (!it->is_string()) {
    *err = "a string or an integer";
    return "";
  }
  // Trimmed as ingest trims a CSV field, so that " 42 " is user 42 here too.
  std::string s(Trim(it->get<std::string>()));
  if (s.empty() && required) *err = "must not be empty";
  else if (s.size() > kMaxIdBytes) *err = fmt::format("longer than {} bytes", kMaxIdBytes);
  else if (!IsValidUtf8(s)) *err = "not valid UTF-8";
  else if (HasControl(s)) *err = "contains a control character";
  return s;
}

std::optional<double> NumberField(const nlohmann::json& e, const char* name, std::string* err) {
  auto it = e.find(name);
  if (it == e.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) {
    *err = "a number";
    return std::nullopt;
  }
  const double v = it->get<double>();
  if (!std::isfinite(v)) *err = "a finite number";
  return v;
}

constexpr size_t kMaxVariantPairs = 16, kMaxVariantBytes = 256;

// The variant chosen: {"size": "M", "color": "red"} (string or number values) or the events-csv
// form "size=M;color=red". Keys and values trimmed and non-empty, no control characters, keys
// without '=' or ';'.
std::vector<std::pair<std::string, std::string>> VariantField(const nlohmann::json& e, std::string* err) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = e.find("variant");
  if (it == e.end() || it->is_null()) return out;
  if (it->is_string()) {
    if (!internal::ParseAttributes(it->get<std::string>(), &out)) *err = "not key=value pairs separated by ';'";
  } else if (it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string() && !v.is_number()) {
        *err = fmt::format("value of '{}' is not a string or a number", k);
        return {};
      }
      out.emplace_back(std::string(Trim(k)), std::string(Trim(v.is_string() ? v.get<std::string>() : v.dump())));
    }
  } else {
    *err = "an object of key: value, or \"key=value;key=value\"";
    return {};
  }
  if (err->empty() && out.size() > kMaxVariantPairs) *err = fmt::format("more than {} pairs", kMaxVariantPairs);
  for (const auto& [k, v] : out) {
    if (!err->empty()) break;
    if (k.empty() || v.empty()) *err = "a key or value is empty";
    else if (k.size() > kMaxVariantBytes || v.size() > kMaxVariantBytes) *err = fmt::format("a key or value is longer than {} bytes", kMaxVariantBytes);
    else if (k.find_first_of("=;") != std::string::npos) *err = fmt::format("key '{}' contains '=' or ';'", k);
    else if (HasControl(k) || HasControl(v) || !IsValidUtf8(k) || !IsValidUtf8(v)) *err = "control characters or invalid UTF-8";
  }
  if (!err->empty()) out.clear();
  return out;
}

}  // namespace

ParsedBatch ParseEventBatch(const nlohmann::json& body, int64_t now, bool* top_level) {
  ParsedBatch out;
  *top_level = false;
  const nlohmann::json* list = &body;
  if (body.is_object()) {
    auto it = body.find("events");
    if (it == body.end()) {
      *top_level = true;
      out.errors.push_back({0, "events", "required: a list of events"});
      return out;
    }
    list = &*it;
  }
  if (!list->is_array()) {
    *top_level = true;
    out.errors.push_back({0, "events", "a list of events"});
    return out;
  }
  if (list->empty()) {
    *top_level = true;
    out.errors.push_back({0, "events", "empty: send at least one event"});
    return out;
  }
  out.events.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& e = (*list)[i];
    auto fail = [&](const char* field, std::string msg) { out.errors.push_back({i, field, std::move(msg)}); };
    if (!e.is_object()) {
      fail("-", "an object");
      continue;
    }
    EventIn ev;
    const size_t before = out.errors.size();
    std::string err;
    ev.user = IdField(e, "user", true, &err);
    if (!err.empty()) fail("user", err), err.clear();
    ev.item = IdField(e, "item", true, &err);
    if (!err.empty()) fail("item", err), err.clear();
    ev.session = IdField(e, "session", false, &err);
    if (!err.empty()) fail("session", err), err.clear();
    auto type = e.find("type");
    if (type == e.end() || !type->is_string()) {
      fail("type", "required: view, cart, remove_from_cart, purchase, favorite, rate or review");
    } else if (auto t = ParseEventType(type->get<std::string>())) {
      ev.type = *t;
    } else {
      fail("type", fmt::format("unknown event type '{}'", type->get<std::string>()));
    }
    ev.ts = now;
    if (auto ts = e.find("ts"); ts != e.end() && !ts->is_null()) {
      std::optional<int64_t> v;
      // Numbers read as the events CSV reads them: 13 digits or more are milliseconds. A
      // fractional number (JavaScript's Date.now() / 1000, or 1e9) counts its whole seconds.
      if (ts->is_number_integer()) {
        v = ParseTimestamp(ts->dump());
      } else if (ts->is_number_float()) {
        const double d = ts->get<double>();
        if (std::isfinite(d) && d >= 0 && d < 1e16) v = ParseTimestamp(fmt::format("{:.0f}", std::floor(d)));
      } else if (ts->is_string()) {
        v = ParseTimestamp(ts->get<std::string>());
      }
      if (!v || *v < 0 || *v > kMaxTs) fail("ts", "Unix seconds (or milliseconds) or an ISO-8601 time between 1970 and 2100");
      // As at ingest: one event dated ahead would move every live profile's as-of date.
      else if (*v > now + 86400) fail("ts", "more than a day after the server's clock");
      else ev.ts = *v;
    }
    ev.price = NumberField(e, "price", &err);
    if (!err.empty()) fail("price", err), err.clear();
    else if (ev.price && *ev.price < 0) fail("price", "must not be negative");
    else if (ev.price && *ev.price > kMaxPrice) fail("price", fmt::format("above {:g}", kMaxPrice));
    ev.value = NumberField(e, "value", &err);
    if (!err.empty()) fail("value", err), err.clear();
    // As at ingest: a rating weighs its graph edge, and one of 1e39 made it infinite (every
    // later graph build then failed).
    else if (ev.value && (ev.type == EventType::kRate || ev.type == EventType::kReview) &&
             (*ev.value < 0 || *ev.value > kMaxRating))
      fail("value", fmt::format("a rating from 0 to {:g}", kMaxRating));
    ev.variant = VariantField(e, &err);
    if (!err.empty()) fail("variant", err), err.clear();
    if (out.errors.size() == before) out.events.push_back(std::move(ev));
  }
  return out;
}

nlohmann::json ErrorsJson(const std::vector<EventError>& errors, size_t max) {
  nlohmann::json arr = nlohmann::json::array();
  for (size_t i = 0; i < errors.size() && i < max; ++i)
    arr.push_back({{"index", errors[i].index}, {"field", errors[i].field}, {"message", errors[i].message}});
  return arr;
}

}  // namespace kgp::service
