# Writes OUT, a C++ file holding every DIR/*.txt prompt as a raw string literal, so that an
# installed binary carries its prompts (src/llm/prompts.h). Run by a custom command at build
# time; the prompt files stay the one source of truth.
file(GLOB files "${DIR}/*.txt")
list(SORT files)
set(body "// Generated from prompts/*.txt by cmake/embed_prompts.cmake. Do not edit.\n#include \"llm/prompts.h\"\n\nnamespace kgp::llm {\n\nconst std::vector<EmbeddedPrompt>& EmbeddedPrompts() {\n  static const std::vector<EmbeddedPrompt> kPrompts = {\n")
foreach(f ${files})
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" text)
  string(FIND "${text}" ")kgp_prompt\"" bad)
  if(NOT bad EQUAL -1)
    message(FATAL_ERROR "${f}: contains the raw-string delimiter")
  endif()
  string(APPEND body "      {\"${name}\", R\"kgp_prompt(${text})kgp_prompt\"},\n")
endforeach()
string(APPEND body "  };\n  return kPrompts;\n}\n\n}  // namespace kgp::llm\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
