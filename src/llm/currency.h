// The shop's currency (kgprofile.conf `currency`, an ISO 4217 code; CNY when unset): how the
// template backend writes a price, what the prompts tell a model, and which currency marks the
// claim checker accepts on a price ("$59.90" in a CNY shop is a wrong claim).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace kgp::llm {

struct Currency {
  const char* code;                    // "USD"
  const char* en;                      // written before an English amount: "$59.90"
  const char* zh;                      // written after a Chinese amount: "59.90美元"
  std::span<const char* const> before;  // marks read before an amount ("$", "US$", "USD")
  std::span<const char* const> after;   // marks read after one ("美元", "dollars")
};

std::span<const Currency> Currencies();
// By code, in any letter case; nullptr when unknown.
const Currency* FindCurrency(std::string_view code);
// "CNY, USD, EUR, …" for messages.
std::string CurrencyCodes();
// Whether mark (as FindAmounts found it) can be written for an amount in c ("¥" for CNY or JPY).
bool MarkFits(const Currency& c, std::string_view mark);

}  // namespace kgp::llm
