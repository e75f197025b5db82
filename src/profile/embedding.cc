#include "profile/embedding.h"

#include <filesystem>

#include "embed/kge.h"

namespace kgp {

Result<std::unique_ptr<UserEmbeddings>> UserEmbeddings::Load(const std::string& workspace_dir) {
  std::string path = embed::WorkspaceModelPath(workspace_dir);
  if (!std::filesystem::exists(path)) return std::unique_ptr<UserEmbeddings>();
  auto ck = embed::LoadCheckpoint(path);
  if (!ck.ok()) return ck.status();
  auto u = std::make_unique<UserEmbeddings>();
  u->ck_ = std::move(ck).value();
  u->names_ = embed::SeededDataset(u->ck_.entity_names, {}).entities;
  return u;
}

nlohmann::ordered_json UserEmbeddings::Json(const std::string& spec) const {
  const uint32_t* id = names_.Find(spec);
  if (!id) return nullptr;
  const float* row = ck_.params.E(*id);
  nlohmann::ordered_json j;
  j["model"] = ck_.config.name;
  j["dim"] = ck_.params.entity_width;
  j["epochs"] = ck_.epochs_done;
  j["vector"] = std::vector<float>(row, row + ck_.params.entity_width);
  return j;
}

}  // namespace kgp
