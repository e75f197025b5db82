// The demo's text step (kgprofile demo, step 3): trains a tagger on the generated titles
// labelled from the catalogue, runs `text extract`, prints a summary and returns the report's
// "Text to graph" section (Markdown).
#pragma once

#include <string>

#include "store/workspace.h"

namespace kgp::cli {

std::string RunDemoTextStep(Workspace& ws);

}  // namespace kgp::cli
