#include "common/strings.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace kgp {

std::string_view Trim(std::string_view s) {
  auto ascii = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  // Width of a UTF-8 space at s[i, end): U+3000 (ideographic, E3 80 80) or U+00A0 (C2 A0).
  auto wide_at = [&](size_t i, size_t end) -> size_t {
    if (end - i >= 3 && s[i] == '\xE3' && s[i + 1] == '\x80' && s[i + 2] == '\x80') return 3;
    if (end - i >= 2 && s[i] == '\xC2' && s[i + 1] == '\xA0') return 2;
    return 0;
  };
  size_t b = 0, e = s.size();
  while (b < e) {
    if (ascii(s[b])) ++b;
    else if (size_t w = wide_at(b, e)) b += w;
    else break;
  }
  while (e > b) {
    if (ascii(s[e - 1])) --e;
    else if (e - b >= 3 && wide_at(e - 3, e) == 3) e -= 3;
    else if (e - b >= 2 && wide_at(e - 2, e) == 2) e -= 2;
    else break;
  }
  return s.substr(b, e - b);
}

std::string CollapseSpaces(std::string_view s) {
  s = Trim(s);
  std::string out;
  out.reserve(s.size());
  bool in_space = false;
  for (size_t i = 0; i < s.size();) {
    // Trim of the rest tells whether a space starts here, and how wide the run is.
    std::string_view rest = s.substr(i), kept = Trim(rest);
    if (kept.data() != rest.data()) {
      i += static_cast<size_t>(kept.data() - rest.data());
      if (!in_space) out.push_back(' ');
      in_space = true;
      continue;
    }
    out.push_back(s[i++]);
    in_space = false;
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

void ToLowerAscii(std::string_view s, std::string* out) {
  out->assign(s);
  for (char& c : *out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

std::string ToLowerAscii(std::string_view s) {
  std::string out;
  ToLowerAscii(s, &out);
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> ParseUint(std::string_view s) {
  s = Trim(s);
  if (s.empty() || s[0] == '-') return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

namespace {
// Length of the valid UTF-8 sequence at s[i], or 0 if invalid.
size_t Utf8SeqLen(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}
}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    // ASCII runs 8 bytes at a time: ingest checks every field of every row.
    if (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    size_t n = Utf8SeqLen(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SeqLen(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}


namespace {

// Named references decoded by DecodeHtmlEntities: the XML five, the no-break space and those
// common in scraped reviews.
struct NamedRef {
  const char* name;
  char32_t cp;
};
constexpr NamedRef kNamedRefs[] = {
    {"amp", '&'},       {"lt", '<'},         {"gt", '>'},         {"quot", '"'},       {"apos", '\''},
    {"nbsp", 0xA0},     {"lsquo", 0x2018},   {"rsquo", 0x2019},   {"ldquo", 0x201C},   {"rdquo", 0x201D},
    {"ndash", 0x2013},  {"mdash", 0x2014},   {"hellip", 0x2026},  {"copy", 0xA9},      {"reg", 0xAE},
    {"trade", 0x2122},  {"deg", 0xB0},       {"iexcl", 0xA1},     {"iquest", 0xBF},    {"eacute", 0xE9},
    {"egrave", 0xE8},   {"ecirc", 0xEA},     {"euml", 0xEB},      {"aacute", 0xE1},    {"agrave", 0xE0},
    {"iacute", 0xED},   {"oacute", 0xF3},    {"ouml", 0xF6},      {"uacute", 0xFA},    {"uuml", 0xFC},
    {"ntilde", 0xF1},   {"ccedil", 0xE7},    {"szlig", 0xDF},     {"Eacute", 0xC9}};

// The character of a reference's name (between '&' and ';'), or nullopt.
std::optional<char32_t> RefChar(std::string_view name) {
  if (name.size() >= 2 && name[0] == '#') {
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string_view digits = name.substr(hex ? 2 : 1);
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, hex ? 16 : 10);
    if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return std::nullopt;
    return static_cast<char32_t>(v);
  }
  for (const auto& r : kNamedRefs)
    if (name == r.name) return r.cp;
  return std::nullopt;
}

}  // namespace

std::string DecodeHtmlEntities(std::string_view s) {
  if (s.find('&') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    // Only the next few bytes are looked at for the ';' (a text of '&' and no ';' stays linear).
    const size_t semi = s[i] == '&' ? s.substr(i, 11).find(';') : std::string_view::npos;
    std::optional<char32_t> c;
    if (semi != std::string_view::npos) c = RefChar(s.substr(i + 1, semi - 1));
    if (!c) {
      out.push_back(s[i]);
      continue;
    }
    AppendUtf8(*c, &out);
    i += semi;
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
      continue;
    }
    out += "\\x";
    out += "0123456789abcdef"[u >> 4];
    out += "0123456789abcdef"[u & 15];
  }
  return out;
}

std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

}  // namespace kgp
