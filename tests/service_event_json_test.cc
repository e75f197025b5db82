// ParseEventBatch: the JSON events of POST /v1/events, field by field, without a server.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "service/event_json.h"

namespace kgp::service {
namespace {

constexpr int64_t kNow = 1767312000;  // 2026-01-02

ParsedBatch One(nlohmann::json ts) {
  nlohmann::json e = {{"user", "u1"}, {"item", "i1"}, {"type", "view"}};
  e["ts"] = std::move(ts);
  bool top = false;
  return ParseEventBatch(nlohmann::json::array({e}), kNow, &top);
}

TEST(EventJson, TimestampsAreReadAsTheEventsCsvReadsThem) {
  struct Case {
    nlohmann::json ts;
    int64_t want;
  };
  for (const Case& c : {Case{1767300000, 1767300000}, Case{1e9, 1000000000}, Case{1767300000.75, 1767300000},
                        Case{1767300000123LL, 1767300000}, Case{1767300000123.0, 1767300000},
                        Case{"2026-01-01T20:40:00Z", 1767300000}, Case{nullptr, kNow}}) {
    ParsedBatch b = One(c.ts);
    ASSERT_TRUE(b.errors.empty()) << c.ts.dump() << ": " << b.errors[0].message;
    ASSERT_EQ(b.events.size(), 1u);
    EXPECT_EQ(b.events[0].ts, c.want) << c.ts.dump();
  }
}

TEST(EventJson, ImpossibleTimestampsAreErrorsOnTheField) {
  for (const nlohmann::json& ts : {nlohmann::json(-1), nlohmann::json(-0.5), nlohmann::json(1e300),
                                   nlohmann::json(kNow + 3 * 86400), nlohmann::json(5e9), nlohmann::json("yesterday"),
                                   nlohmann::json(true), nlohmann::json::array({1})}) {
    ParsedBatch b = One(ts);
    EXPECT_TRUE(b.events.empty()) << ts.dump();
    ASSERT_EQ(b.errors.size(), 1u) << ts.dump();
    EXPECT_EQ(b.errors[0].field, "ts") << ts.dump();
  }
}

// A rating is a number from 0 to 10, as ingest reads it: 1e39 and -1e39 became an infinite and
// a NaN graph edge weight, and every later graph build failed on them.
TEST(EventJson, RatingsOutsideZeroToTenAreErrorsOnTheValue) {
  const auto with_value = [](nlohmann::json v) {
    nlohmann::json e = {{"user", "u1"}, {"item", "i1"}, {"type", "rate"}, {"ts", 1767300000}};
    e["value"] = std::move(v);
    bool top = false;
    return ParseEventBatch(nlohmann::json::array({e}), kNow, &top);
  };
  for (double ok : {0.0, 3.5, 5.0, 10.0}) {
    ParsedBatch b = with_value(ok);
    ASSERT_TRUE(b.errors.empty()) << ok << ": " << b.errors[0].message;
    ASSERT_EQ(b.events.size(), 1u);
    EXPECT_EQ(b.events[0].value, ok);
  }
  // A value on another type of event is no rating and not checked (it weighs nothing).
  nlohmann::json purchase = {{"user", "u1"}, {"item", "i1"}, {"type", "purchase"}, {"ts", 1767300000}, {"value", 25}};
  bool top = false;
  EXPECT_TRUE(ParseEventBatch(nlohmann::json::array({purchase}), kNow, &top).errors.empty());
  for (const nlohmann::json& bad : {nlohmann::json(1e39), nlohmann::json(-1e39), nlohmann::json(-0.5), nlohmann::json(10.5),
                                    nlohmann::json(1e308), nlohmann::json("5")}) {
    ParsedBatch b = with_value(bad);
    EXPECT_TRUE(b.events.empty()) << bad.dump();
    ASSERT_EQ(b.errors.size(), 1u) << bad.dump();
    EXPECT_EQ(b.errors[0].field, "value") << bad.dump();
  }
}

}  // namespace
}  // namespace kgp::service
