#include "common/pii.h"

#include <array>
#include <cctype>

#include "common/strings.h"

namespace kgp {
namespace {

constexpr std::array<std::string_view, 22> kPiiFields = {
    "ext_id", "user_id", "uid", "name", "full_name", "nickname", "phone", "mobile", "tel", "email",
    "address", "street", "zip", "postcode", "id_card", "passport", "birth_year", "birthday", "birth_date",
    "ip", "device_id", "signup_ts"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IdByte(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// True when the value found at text[at, end) is part of a longer id or number: an ASCII letter,
// digit or '_' right before or after it, or a decimal point or thousands comma joining it to
// digits ("1409", "409x", "409.5", "1,409"). Only ends that are id bytes themselves are tested:
// "user:409" counts before a ':' or a Chinese character.
bool Glued(std::string_view text, size_t at, size_t end) {
  const auto joined = [&](size_t sep, size_t digit) {
    return (text[sep] == '.' || text[sep] == ',') && digit < text.size() && IsDigit(text[digit]);
  };
  const bool before = at > 0 && IdByte(text[at]) && (IdByte(text[at - 1]) || (IsDigit(text[at]) && at >= 2 && joined(at - 1, at - 2)));
  const bool after = end < text.size() && IdByte(text[end - 1]) &&
                     (IdByte(text[end]) || (IsDigit(text[end - 1]) && joined(end, end + 1)));
  return before || after;
}

}  // namespace

std::string PiiFieldOf(std::string_view column) {
  std::string k;
  for (char c : column)
    if (std::isalnum(static_cast<unsigned char>(c))) k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  struct Alias {
    const char* key;
    const char* field;
  };
  static const Alias kAliases[] = {
      {"name", "name"},       {"fullname", "name"},     {"firstname", "name"},   {"lastname", "name"},
      {"surname", "name"},    {"username", "name"},     {"phone", "phone"},      {"phonenumber", "phone"},
      {"mobile", "phone"},    {"tel", "phone"},         {"telephone", "phone"},  {"cellphone", "phone"},
      {"email", "email"},     {"emailaddress", "email"}, {"mail", "email"},      {"address", "address"},
      {"street", "address"},  {"streetaddress", "address"}, {"homeaddress", "address"},
      {"shippingaddress", "address"}, {"billingaddress", "address"},
  };
  for (const auto& a : kAliases)
    if (k == a.key) return a.field;
  return {};
}

std::span<const std::string_view> PiiFieldNames() { return kPiiFields; }

bool IsPiiField(std::string_view field) {
  if (!PiiFieldOf(field).empty()) return true;
  const std::string f = ToLowerAscii(Trim(field));
  for (std::string_view p : kPiiFields)
    if (f == p) return true;
  // Compound names: any '_'-separated part (or the whole) naming a personal field.
  for (std::string_view part : Split(f, '_'))
    for (std::string_view p : {"phone", "mobile", "email", "address", "name", "birthday", "passport"})
      if (part == p) return true;
  return false;
}

PiiHit FindPii(std::string_view text, std::span<const std::string> values) {
  for (const std::string& v : values) {
    if (v.size() < 3) continue;
    for (size_t at = text.find(v); at != std::string_view::npos; at = text.find(v, at + 1))
      if (!Glued(text, at, at + v.size())) return {"value '" + v + "'", at};
  }
  for (size_t i = 0; i < text.size();) {
    if (!IsDigit(text[i])) { ++i; continue; }
    size_t j = i;
    while (j < text.size() && (IsDigit(text[j]) || ((text[j] == '-' || text[j] == ' ') && j + 1 < text.size() && IsDigit(text[j + 1]))))
      ++j;
    std::string digits;
    for (size_t k = i; k < j; ++k)
      if (IsDigit(text[k])) digits.push_back(text[k]);
    // Preceded by a decimal point: the fraction of a price, not a number of its own.
    const bool fraction = i > 0 && text[i - 1] == '.';
    if (!fraction && digits.size() == 11 && digits[0] == '1' && digits[1] >= '3')
      return {"phone-like number " + digits.substr(0, 3) + "…", i};
    i = j;
  }
  for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    const bool before = at > 0 && (std::isalnum(static_cast<unsigned char>(text[at - 1])) || text[at - 1] == '.');
    size_t dot = text.find('.', at);
    const bool after = at + 1 < text.size() && std::isalnum(static_cast<unsigned char>(text[at + 1])) &&
                       dot != std::string_view::npos && dot + 1 < text.size() && dot - at < 64;
    if (before && after) return {"e-mail-like text", at};
  }
  return {};
}

}  // namespace kgp
