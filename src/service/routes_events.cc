// POST /v1/events: validate, hand to the writer, answer once the batch is durable and applied.
#include <chrono>

#include <fmt/format.h>

#include "common/time.h"
#include "service/context.h"
#include "service/event_json.h"

namespace kgp::service {

void AddEventRoutes(httplib::Server& svr, Context& ctx) {
  AddRoute(svr, ctx, "POST", "/v1/events", "post_events", Scope::kWrite,
           [](Context& c, const httplib::Request& req, httplib::Response& res, const Caller&) {
             const auto received = EventWriter::Clock::now();
             nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
             if (body.is_discarded()) {
               SendError(res, 400, "bad_json", "the body is not valid JSON");
               return;
             }
             const int64_t now = UnixNow();
             bool top_level = false;
             ParsedBatch batch = ParseEventBatch(body, now, &top_level);
             if (!batch.errors.empty()) {
               // A refused batch stores none of its events: each of them is rejected (the
               // problems, several per event at times, are the details).
               if (!top_level) {
                 const nlohmann::json& list = body.is_array() ? body : body["events"];
                 c.metrics.events_rejected.fetch_add(list.is_array() ? list.size() : 0);
               }
               nlohmann::json j = {{"error",
                                    {{"code", "invalid_events"},
                                     {"message", fmt::format("{} problem(s) in the batch; nothing was stored",
                                                             batch.errors.size())},
                                     {"details", ErrorsJson(batch.errors)}}}};
               SendJson(res, j, 400);
               return;
             }
             if (batch.events.size() > c.opts.max_batch_events) {
               c.metrics.events_rejected.fetch_add(batch.events.size());
               SendError(res, 413, "batch_too_large",
                         fmt::format("{} events in one request; at most {}", batch.events.size(), c.opts.max_batch_events));
               return;
             }
             const size_t n = batch.events.size();
             BatchResult r = c.writer->Submit(std::move(batch.events), received).get();
             if (!r.status.ok()) {
               SendStatus(res, r.status);
               return;
             }
             SendJson(res, nlohmann::json{{"received", n}, {"accepted", r.accepted}, {"duplicates", r.duplicates}});
           });
}

}  // namespace kgp::service
