#include "llm/currency.h"

#include "common/strings.h"

namespace kgp::llm {
namespace {

constexpr const char* kCnyBefore[] = {"¥", "￥", "RMB", "CNY"};
constexpr const char* kCnyAfter[] = {"元", "块", "人民币", "yuan", "rmb", "cny"};
constexpr const char* kUsdBefore[] = {"US$", "$", "USD"};
constexpr const char* kUsdAfter[] = {"美元", "usd", "dollars", "dollar"};
constexpr const char* kEurBefore[] = {"€", "EUR"};
constexpr const char* kEurAfter[] = {"欧元", "€", "eur", "euros", "euro"};
constexpr const char* kGbpBefore[] = {"£", "GBP"};
constexpr const char* kGbpAfter[] = {"英镑", "gbp"};  // not "pounds": "2 pounds of rice"
constexpr const char* kJpyBefore[] = {"¥", "￥", "JPY"};
constexpr const char* kJpyAfter[] = {"日元", "円", "jpy", "yen"};

constexpr Currency kCurrencies[] = {
    {"CNY", "¥", "元", kCnyBefore, kCnyAfter},   {"USD", "$", "美元", kUsdBefore, kUsdAfter},
    {"EUR", "€", "欧元", kEurBefore, kEurAfter}, {"GBP", "£", "英镑", kGbpBefore, kGbpAfter},
    {"JPY", "¥", "日元", kJpyBefore, kJpyAfter},
};

}  // namespace

std::span<const Currency> Currencies() { return kCurrencies; }

const Currency* FindCurrency(std::string_view code) {
  const std::string lower = ToLowerAscii(Trim(code));
  for (const Currency& c : kCurrencies)
    if (lower == ToLowerAscii(c.code)) return &c;
  return nullptr;
}

std::string CurrencyCodes() {
  std::string out;
  for (const Currency& c : kCurrencies) out += (out.empty() ? "" : ", ") + std::string(c.code);
  return out;
}

bool MarkFits(const Currency& c, std::string_view mark) {
  const std::string lower = ToLowerAscii(mark);
  for (auto list : {c.before, c.after})
    for (const char* m : list)
      if (ToLowerAscii(m) == lower) return true;
  return false;
}

}  // namespace kgp::llm
