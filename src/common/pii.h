// Personal data (PII) in one place: the field names treated as personal wherever they appear
// (users table columns, CSV headers, JSON keys of CRM exports) and a scan of a text for a
// person's values and for phone / e-mail shapes. The language-model layer proves with it that
// no prompt carries them (src/llm/); the users reader drops contact columns (src/ingest/).
// Thread-safe (pure functions).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kgp {

// The contact field a column name denotes: "name", "phone", "email" or "address" (aliases:
// "Full Name", "surname", "mobile", "tel", "e-mail", "street", "shipping address", …), or ""
// when it is none of them. Case- and punctuation-insensitive. The users reader drops such
// columns at ingest (docs/privacy.md "PII fields").
std::string PiiFieldOf(std::string_view column);

// Lower-case field names: ext_id, user_id, name, phone, mobile, email, address, zip, id_card,
// birth_year, birthday, ip, device_id, signup_ts … (pii.cc has the list).
std::span<const std::string_view> PiiFieldNames();
// Case-insensitive; "phone_number" and "home_address" match through their parts; every column
// PiiFieldOf names is one too.
bool IsPiiField(std::string_view field);

// What FindPii found: the value or pattern, and where.
struct PiiHit {
  std::string what;  // "value 'xxx'" or "phone-like number 138…" or "e-mail-like text"
  size_t offset = std::string::npos;
  bool found() const { return offset != std::string::npos; }
};
// The first of `values` (one person's PII values; those shorter than 3 bytes are skipped, as
// they would match anywhere) contained in text as a whole token: not where it is part of a
// longer id or number (an ASCII letter, digit or '_' next to it, or a '.' or ',' joining it to
// digits: user 409 is not found in "1409", "4090", "409.50" or "1,409"; it is in "id 409",
// "价格409元" and "user:409"). Else the first mainland-mobile-like run of 11 digits starting
// with 1, or an e-mail-like token. Not found: offset == npos.
PiiHit FindPii(std::string_view text, std::span<const std::string> values);

}  // namespace kgp
