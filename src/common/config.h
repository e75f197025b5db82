// key = value files (workspace settings, column mappings): one setting per line, '#' comments,
// blank lines ignored, surrounding spaces trimmed. Later lines override earlier ones.
#pragma once

#include <map>
#include <string>

#include "common/status.h"

namespace kgp {

// A missing file is NotFound; a line without '=' is InvalidArgument naming file:line. With
// `lines`, the line each key was last set on.
Result<std::map<std::string, std::string>> ReadKeyValueFile(const std::string& path,
                                                            std::map<std::string, int>* lines = nullptr);

}  // namespace kgp
