// The web page served at / by `kgprofile serve`: plain HTML, CSS, JavaScript and SVG in one
// document compiled into the binary (no build step, no external resources). It holds no data:
// it asks for an API key (kept in the browser's localStorage, or given as #key=… in the URL)
// and calls the /v1 API with it. docs/api.md "Web page".
#pragma once

#include <string>

namespace kgp::service {

extern const char* const kWebPage;
// The page's Content-Security-Policy: its one inline script allowed by its SHA-256 (not
// 'unsafe-inline', which let any injected script run), no framing (a framed "Count" button
// could spend the differential-privacy budget with the stored key), no forms, no <base>.
const std::string& WebPageCsp();

}  // namespace kgp::service
