// Steps of `kgprofile demo`, one function per pipeline stage; each prints a short summary and
// returns its section of report.md.
#pragma once

#include <string>

#include "graph/graph.h"
#include "store/workspace.h"

namespace kgp::cli {

// Trains embeddings on the workspace graph; `user` is the example user for predictions.
std::string DemoEmbeddings(Workspace& ws, const Graph& g, NodeId user);

// Fits the recommender, recommends for `user_ext` with explanations, related items and next
// purchases (cmd_recommend.cc).
std::string DemoRecommend(Workspace& ws, const std::string& user_ext);

// Writes a zh and an en summary and a marketing copy for `user_ext` with the template backend,
// each with its faithfulness (demo_llm.cc).
std::string DemoLlm(Workspace& ws, const std::string& user_ext);

// A DP audience count, DP segment sizes and a k-anonymous profile export (demo_privacy.cc).
std::string DemoPrivacy(Workspace& ws);

// Two users erased in one run (privacy::EraseUsers) on a copy of the workspace written to `copy`
// (replaced: the caller checked it is the demo's own), with their receipts (demo_privacy.cc).
std::string DemoErasure(Workspace& ws, const std::string& copy);

// The HTTP service in process for a moment: a read key (revoked at the end), `user_ext`'s profile and
// recommendations over HTTP, a graceful stop (demo_serve.cc).
std::string DemoServe(Workspace& ws, const std::string& user_ext);

}  // namespace kgp::cli
