// The user's vector from the workspace's graph embeddings (`kgprofile kge train WORKSPACE`),
// attached to profiles when a checkpoint exists. Profiles do not need it: without a
// checkpoint there is simply no "embedding" field.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "embed/checkpoint.h"
#include "embed/dataset.h"

namespace kgp {

class UserEmbeddings {
 public:
  // nullptr when the workspace has no checkpoint; an error when it has a damaged one.
  static Result<std::unique_ptr<UserEmbeddings>> Load(const std::string& workspace_dir);
  // {"model", "dim", "epochs", "vector"} for the node spec (e.g. "user:42"), or null if the
  // checkpoint predates the user (trained before their first event).
  nlohmann::ordered_json Json(const std::string& spec) const;

 private:
  embed::Checkpoint ck_;
  embed::Dictionary names_;
};

}  // namespace kgp
