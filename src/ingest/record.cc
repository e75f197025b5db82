#include "ingest/record.h"

#include "common/strings.h"

namespace kgp {

const char* EventTypeName(EventType t) {
  switch (t) {
    case EventType::kView: return "view";
    case EventType::kCart: return "cart";
    case EventType::kRemoveFromCart: return "remove_from_cart";
    case EventType::kPurchase: return "purchase";
    case EventType::kFavorite: return "favorite";
    case EventType::kRate: return "rate";
    case EventType::kReview: return "review";
  }
  return "?";
}

std::optional<EventType> ParseEventType(std::string_view s) {
  std::string l = ToLowerAscii(Trim(s));
  if (l == "view" || l == "pv" || l == "click" || l == "detail" || l == "page_view")
    return EventType::kView;
  if (l == "cart" || l == "add_to_cart" || l == "addtocart" || l == "add") return EventType::kCart;
  if (l == "remove_from_cart" || l == "removefromcart" || l == "remove") return EventType::kRemoveFromCart;
  if (l == "purchase" || l == "buy" || l == "order" || l == "transaction")
    return EventType::kPurchase;
  if (l == "fav" || l == "favorite" || l == "favourite" || l == "like" || l == "wishlist")
    return EventType::kFavorite;
  if (l == "rate" || l == "rating") return EventType::kRate;
  if (l == "review") return EventType::kReview;
  return std::nullopt;
}

}  // namespace kgp
