// The web page served at / by `kgprofile serve`: plain HTML, CSS, JavaScript and SVG in one
// document compiled into the binary (no build step, no external resources). It holds no data:
// it asks for an API key (kept in the browser's localStorage, or given as #key=… in the URL)
// and calls the /v1 API with it. docs/api.md "Web page".
#pragma once

namespace kgp::service {

extern const char* const kWebPage;

}  // namespace kgp::service
