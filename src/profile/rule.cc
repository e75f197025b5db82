#include "profile/rule.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "common/strings.h"
#include "profile/profile.h"

namespace kgp {
namespace {

struct Token {
  enum Kind { kEnd, kNumber, kString, kIdent, kOp, kLParen, kRParen } kind;
  std::string text;
  size_t pos;  // 0-based offset
};

// "rule: column 7: …" followed by the rule and a caret under the position; columns count
// characters, not bytes (a rule may name 上海).
thread_local std::string_view g_source;
size_t Column(size_t pos) {  // characters before byte pos
  size_t column = 0;
  for (size_t i = 0; i < pos && i < g_source.size(); ++i) column += (static_cast<unsigned char>(g_source[i]) & 0xC0) != 0x80;
  return column;
}
Status ErrorAt(size_t pos, const std::string& msg) {
  const size_t column = Column(pos);
  return Status::InvalidArgument(
      fmt::format("rule: column {}: {}\n  {}\n  {}^", column + 1, msg, g_source, std::string(column, ' ')));
}

// The UTF-8 character at s[i] (one byte when s[i] does not start a valid sequence).
std::string_view CharAt(std::string_view s, size_t i) {
  size_t n = 1;
  while (i + n < s.size() && n < 4 && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
  return IsValidUtf8(s.substr(i, n)) ? s.substr(i, n) : s.substr(i, 1);
}

Result<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    const size_t start = i;
    if (c == '(' || c == ')') {
      out.push_back({c == '(' ? Token::kLParen : Token::kRParen, std::string(1, c), start});
      ++i;
    } else if (c == '\'' || c == '"') {
      size_t j = s.find(c, i + 1);
      if (j == std::string_view::npos) return ErrorAt(start, "unterminated string");
      out.push_back({Token::kString, std::string(s.substr(i + 1, j - i - 1)), start});
      i = j + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' || c == '-')) {
      size_t j = i + 1;
      while (j < s.size()) {
        const char d = s[j];
        const bool exp = d == 'e' || d == 'E';
        if (!std::isdigit(static_cast<unsigned char>(d)) && d != '.' && !exp) break;
        ++j;
        if (exp && j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;  // 1e-5, 1E+2
      }
      if (!ParseDouble(s.substr(i, j - i))) return ErrorAt(start, fmt::format("bad number '{}'", s.substr(i, j - i)));
      out.push_back({Token::kNumber, std::string(s.substr(i, j - i)), start});
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Token::kIdent, ToLowerAscii(s.substr(i, j - i)), start});
      i = j;
    } else if (std::string_view("=!<>").find(c) != std::string_view::npos) {
      size_t j = i + 1;
      if (j < s.size() && (s[j] == '=' || (c == '<' && s[j] == '>'))) ++j;
      std::string op(s.substr(i, j - i));
      if (op == "!") return ErrorAt(start, "unknown operator '!' (use 'not' or '!=')");
      out.push_back({Token::kOp, op, start});
      i = j;
    } else {
      const std::string_view ch = CharAt(s, i);
      return ErrorAt(start, IsValidUtf8(ch) ? fmt::format("unexpected character '{}'", ch)
                                            : fmt::format("unexpected byte 0x{:02X} (not UTF-8)", static_cast<unsigned char>(c)));
    }
  }
  out.push_back({Token::kEnd, "", s.size()});
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> t) : t_(std::move(t)) {}

  Result<CompiledRule> Run() {
    std::string sql;
    KGP_RETURN_IF_ERROR(Or(&sql));
    if (Peek().kind != Token::kEnd) return ErrorAt(Peek().pos, fmt::format("unexpected '{}' after a complete expression", Peek().text));
    return CompiledRule{sql, std::move(params_), std::move(tag_params_), need_.empty() ? "" : need_.front(), need_};
  }

 private:
  const Token& Peek() const { return t_[i_]; }
  bool IsWord(const char* w) const { return Peek().kind == Token::kIdent && Peek().text == w; }

  // A chain a OR b OR c is one flat SQL group, built in linear time.
  // need_ after each: a tag every user the expression holds for has (Need, below).
  Status Or(std::string* out) {
    KGP_RETURN_IF_ERROR(And(out));
    if (!IsWord("or")) return Status::Ok();
    need_.clear();  // each side may hold without the other's tags
    std::string group = "(" + *out;
    while (IsWord("or")) {
      ++i_;
      std::string rhs;
      KGP_RETURN_IF_ERROR(And(&rhs));
      group += " OR " + rhs;
    }
    need_.clear();
    *out = group + ")";
    return Status::Ok();
  }
  Status And(std::string* out) {
    KGP_RETURN_IF_ERROR(Unary(out));
    if (!IsWord("and")) return Status::Ok();
    std::vector<std::string> need = need_;  // every side's
    std::string group = "(" + *out;
    while (IsWord("and")) {
      ++i_;
      std::string rhs;
      KGP_RETURN_IF_ERROR(Unary(&rhs));
      need.insert(need.end(), need_.begin(), need_.end());
      group += " AND " + rhs;
    }
    need_ = need;
    *out = group + ")";
    return Status::Ok();
  }
  // Parentheses and 'not' nest; the parser recurses on them, so their depth is bounded (a rule
  // sent to the service must not exhaust the stack), as is the size of the SQL it compiles to.
  Status Enter(size_t pos) {
    if (++depth_ > kMaxDepth) return ErrorAt(pos, fmt::format("nested deeper than {} levels", kMaxDepth));
    return Status::Ok();
  }
  Status Unary(std::string* out) {
    if (IsWord("not")) {
      KGP_RETURN_IF_ERROR(Enter(Peek().pos));
      ++i_;
      std::string inner;
      KGP_RETURN_IF_ERROR(Unary(&inner));
      --depth_;
      need_.clear();
      // Unknown (NULL) is false inside, so that 'not X' holds wherever X does not.
      *out = "(NOT coalesce(" + inner + ", 0))";
      return Status::Ok();
    }
    KGP_RETURN_IF_ERROR(Operand(out));
    const Last lhs = last_;
    need_ = lhs.need;  // has('x') alone, or a group
    if (Peek().kind == Token::kOp) {
      const size_t op_pos = Peek().pos;
      std::string op = Peek().text == "==" ? "=" : Peek().text == "<>" ? "!=" : Peek().text;
      ++i_;
      std::string rhs;
      KGP_RETURN_IF_ERROR(Operand(&rhs));
      const Last rhs_last = last_;
      if (lhs.type == Type::kTruth || rhs_last.type == Type::kTruth)
        return ErrorAt(op_pos, fmt::format("'{}' compares values, not conditions (has(), comparisons and groups are true "
                                           "or false: combine them with and, or, not)", op));
      if (lhs.type != rhs_last.type)
        return ErrorAt(rhs_last.pos, fmt::format("{} is {} and {} is {}: they cannot be compared", lhs.text,
                                                 TypeName(lhs.type), rhs_last.text, TypeName(rhs_last.type)));
      KGP_RETURN_IF_ERROR(CheckValue(lhs, rhs_last));
      KGP_RETURN_IF_ERROR(CheckValue(rhs_last, lhs));
      if (lhs.type == Type::kText && op != "=" && op != "!=") KGP_RETURN_IF_ERROR(Ordered(op, op_pos, lhs, rhs_last, out, &rhs));
      *out = "(" + *out + " " + op + " " + rhs + ")";
      // interest('x') > 0.5 needs the tag: a user without it reads 0 there, and 0 > 0.5 is false.
      // interest() is the most of the tag's rows' weights, so it also needs a row of weight >
      // 0.5 (>=, = likewise), which the (tag, weight) index finds among the holders.
      need_.clear();
      const auto value = [&](const Last& n) { return params_[static_cast<size_t>(n.number)].number; };
      const auto bounded = [](const Last& f, const Last& n, const std::string& weight_op) {
        if (!f.weight || (weight_op != ">" && weight_op != ">=" && weight_op != "=")) return f.need.front();
        return fmt::format("{} AND t.weight {} ?{}", f.need.front(), weight_op, n.number + 1);
      };
      if (!lhs.need.empty() && rhs_last.number >= 0 && !Holds(0, op, value(rhs_last))) need_ = {bounded(lhs, rhs_last, op)};
      if (!rhs_last.need.empty() && lhs.number >= 0 && !Holds(value(lhs), op, 0)) need_ = {bounded(rhs_last, lhs, Flipped(op))};
      last_ = Fresh(last_.pos, Type::kTruth, last_.text);
    } else if (lhs.type != Type::kTruth && !lhs.function) {  // interest('x') alone: its weight > 0
      const std::string bare = lhs.text.size() > 1 && lhs.text[0] == '\'' && lhs.literal < 0 ? lhs.text.substr(1, lhs.text.size() - 2)
                                                                                           : lhs.text;
      return ErrorAt(Peek().pos, fmt::format("expected a comparison after {} (e.g. {} {}): a rule is made of conditions",
                                             lhs.text, bare, lhs.type == Type::kText ? "= 'x'" : "> 3"));
    }
    return Status::Ok();
  }
  // What the last operand was: a metric, or a string literal (its param), and its type.
  enum class Type { kNumber, kText, kTruth };
  struct Last {
    std::string metric;
    int literal = -1;
    size_t pos = 0;
    Type type = Type::kTruth;
    std::string text;  // as written, for messages
    bool function = false;
    int number = -1;  // a number literal: its param
    bool weight = false;  // interest(): a tag's weight
    std::vector<std::string> need;  // interest(), confidence(), evidence(), has() (one) and groups: need_
  };
  static Last Fresh(size_t pos, Type type, std::string text) {
    Last l;
    l.pos = pos, l.type = type, l.text = std::move(text);
    return l;
  }
  // b op a for a op b.
  static std::string Flipped(const std::string& op) {
    return op == "<" ? ">" : op == "<=" ? ">=" : op == ">" ? "<" : op == ">=" ? "<=" : op;
  }
  static bool Holds(double a, const std::string& op, double b) {
    return op == "=" ? a == b : op == "!=" ? a != b : op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : a >= b;
  }
  static const char* TypeName(Type t) { return t == Type::kNumber ? "a number" : t == Type::kText ? "text" : "a condition"; }
  static bool TextMetric(const std::string& m) {
    for (const char* t : {"gender", "age_group", "occupation", "city", "price_level", "rfm_segment", "lifecycle"})
      if (m == t) return true;
    return false;
  }
  // A metric with named values compared with a string: the string must be one of them.
  Status CheckValue(const Last& metric, const Last& value) {
    if (metric.metric.empty() || value.literal < 0) return Status::Ok();
    const auto& kValues = NamedMetricValues();
    auto it = std::find_if(kValues.begin(), kValues.end(), [&](const auto& kv) { return kv.first == metric.metric; });
    if (it == kValues.end()) return Status::Ok();
    std::string& v = params_[static_cast<size_t>(value.literal)].text;
    std::string l = ToLowerAscii(Trim(v));
    if (metric.metric == "gender") {
      if (l == "female" || l == "woman" || l == "女" || l == "f") l = "F";
      if (l == "male" || l == "man" || l == "男" || l == "m") l = "M";
    }
    for (const auto& known : it->second)
      if (l == known || l == ToLowerAscii(known)) {
        v = known;
        return Status::Ok();
      }
    std::string list;
    for (const auto& known : it->second) list += (list.empty() ? "" : ", ") + ("'" + known + "'");
    return ErrorAt(value.pos, fmt::format("unknown value '{}' for {} (one of {})", v, metric.metric, list));
  }
  // < <= > >= on text: only a metric whose values have an order (NamedMetricValues lists them
  // in it: price_level, age_group), against one of its values or itself; both sides become the
  // values' ranks (a CASE over the metric; the value's param its rank), so 'mid' > 'high' is false
  // where an alphabetical comparison said true. Unordered text (city, lifecycle, …) is an error.
  Status Ordered(const std::string& op, size_t op_pos, const Last& lhs, const Last& rhs, std::string* lhs_sql,
                 std::string* rhs_sql) {
    const Last& metric = !lhs.metric.empty() ? lhs : rhs;
    const std::vector<std::string>* order = OrderOf(metric.metric);
    if (!order) {
      std::string ordered;
      for (const char* m : kOrderedMetrics) {
        std::string values;
        for (const auto& v : *OrderOf(m)) values += (values.empty() ? "" : " < ") + v;
        ordered += fmt::format("{}{} ({})", ordered.empty() ? "" : ", ", m, values);
      }
      const std::string what = metric.metric.empty() ? "text values have" : metric.metric + " has";
      return ErrorAt(op_pos, fmt::format("'{}' needs an order and {} none: compare it with = or != (ordered text "
                                         "metrics: {})",
                                         op, what, ordered));
    }
    if (!lhs.metric.empty() && !rhs.metric.empty() && lhs.metric != rhs.metric)
      return ErrorAt(op_pos, fmt::format("{} and {} have different orders: '{}' cannot compare them", lhs.metric, rhs.metric, op));
    for (auto [side, sql] : {std::pair{&lhs, lhs_sql}, {&rhs, rhs_sql}}) {
      if (!side->metric.empty()) {
        std::string rank = "(CASE " + *sql;
        for (size_t i = 0; i < order->size(); ++i) rank += fmt::format(" WHEN '{}' THEN {}", (*order)[i], i);
        *sql = rank + " END)";
      } else {  // a value CheckValue has checked and spelled as stored
        RuleParam& p = params_[static_cast<size_t>(side->literal)];
        p = RuleParam{false, static_cast<double>(std::find(order->begin(), order->end(), p.text) - order->begin()), {}};
      }
    }
    return Status::Ok();
  }
  static constexpr const char* kOrderedMetrics[] = {"price_level", "age_group"};
  static const std::vector<std::string>* OrderOf(const std::string& metric) {
    if (std::find(std::begin(kOrderedMetrics), std::end(kOrderedMetrics), metric) == std::end(kOrderedMetrics)) return nullptr;
    for (const auto& [m, values] : NamedMetricValues())
      if (m == metric) return &values;
    return nullptr;
  }
  std::string Param(double v) { return Push(RuleParam{false, v, {}}); }
  std::string Param(std::string v) { return Push(RuleParam{true, 0, std::move(v)}); }
  std::string Push(RuleParam v) {
    params_.push_back(std::move(v));
    return fmt::format("?{}", params_.size());
  }
  Status Operand(std::string* out) {
    const Token tok = Peek();
    if (++operands_ > kMaxOperands)
      return ErrorAt(tok.pos, fmt::format("more than {} values, metrics and functions: split the rule", kMaxOperands));
    last_ = Fresh(tok.pos, Type::kTruth, "'" + tok.text + "'");
    switch (tok.kind) {
      case Token::kNumber:
        ++i_;
        *out = Param(*ParseDouble(tok.text));
        last_.type = Type::kNumber, last_.text = tok.text;
        last_.number = static_cast<int>(params_.size() - 1);
        return Status::Ok();
      case Token::kString:
        ++i_;
        *out = Param(tok.text);
        last_.literal = static_cast<int>(params_.size() - 1);
        last_.type = Type::kText, last_.text = "'" + tok.text + "'";  // as written: 'x' is its own quote
        return Status::Ok();
      case Token::kLParen: {
        KGP_RETURN_IF_ERROR(Enter(tok.pos));
        ++i_;
        KGP_RETURN_IF_ERROR(Or(out));
        if (Peek().kind != Token::kRParen)
          return ErrorAt(Peek().pos, fmt::format("expected ')' to close '(' at column {}", Column(tok.pos) + 1));
        ++i_;
        --depth_;
        last_ = Fresh(tok.pos, Type::kTruth, "'(…)'");
        last_.need = need_;
        return Status::Ok();  // Or's output is already one parenthesised group or one atom
      }
      case Token::kIdent: break;
      case Token::kEnd: return ErrorAt(tok.pos, "expression ends too early: expected a value, metric or function");
      default: return ErrorAt(tok.pos, fmt::format("expected a value, metric or function, found '{}'", tok.text));
    }
    ++i_;
    static const std::vector<std::string> kFuncs = {"interest", "confidence", "evidence", "has"};
    if (std::find(kFuncs.begin(), kFuncs.end(), tok.text) != kFuncs.end()) {
      KGP_RETURN_IF_ERROR(Function(tok, out));
      last_ = Fresh(tok.pos, tok.text == "has" ? Type::kTruth : Type::kNumber, "'" + tok.text + "()'");
      last_.function = true;
      last_.weight = tok.text == "interest";
      last_.need = need_;  // Function's
      return Status::Ok();
    }
    const auto& metrics = RuleMetrics();
    if (std::find(metrics.begin(), metrics.end(), tok.text) == metrics.end()) {
      std::string known;
      for (const auto& m : metrics) known += (known.empty() ? "" : ", ") + m;
      return ErrorAt(tok.pos, fmt::format("unknown metric '{}' (functions: interest, confidence, evidence, has; metrics: {})",
                                          tok.text, known));
    }
    *out = "p." + std::string(tok.text == "frequency" ? "purchases" : tok.text);
    last_.metric = tok.text;
    last_.type = TextMetric(tok.text) ? Type::kText : Type::kNumber;
    return Status::Ok();
  }
  Status Function(const Token& name, std::string* out) {
    if (Peek().kind != Token::kLParen) return ErrorAt(Peek().pos, fmt::format("expected '(' after {}", name.text));
    ++i_;
    if (Peek().kind != Token::kString)
      return ErrorAt(Peek().pos, fmt::format("{}() takes a quoted tag, e.g. {}('electronics.smartphone')", name.text, name.text));
    std::string tag = Peek().text;
    ++i_;
    if (Peek().kind != Token::kRParen) return ErrorAt(Peek().pos, fmt::format("expected ')' to close {}(", name.text));
    ++i_;
    // 'brand:apple' restricts the kind; a bare tag matches any kind.
    const std::string written = tag;
    std::string kind, kind_sql;
    for (const char* k : {"category", "brand", "attribute", "entity"}) {
      const std::string prefix = std::string(k) + ":";
      if (ToLowerAscii(tag.substr(0, prefix.size())) == prefix) {  // 'Brand:Apple' too: keywords ignore case
        tag = tag.substr(prefix.size());
        kind = k;
        kind_sql = " AND t.kind = " + Param(kind);
        break;  // one kind: 'category:brand:apple' is the category 'brand:apple'
      }
    }
    const std::string tag_param = Param(tag);
    tag_params_.push_back(RuleTag{params_.size() - 1, kind, written});
    // `+t.tag`: each user's few tags by the primary key (user_id, kind, tag). Without statistics
    // SQLite took the (tag, weight) index instead and read every holder of the tag for every
    // profile: 10.7 s against 0.08 s for 20,000 users, and quadratic in them.
    const std::string where = "t.user_id = p.user_id AND +t.tag = " + tag_param + kind_sql;
    need_ = {"t.tag = " + tag_param + kind_sql};
    if (name.text == "has") *out = "EXISTS(SELECT 1 FROM profile_tags t WHERE " + where + ")";
    else
      *out = fmt::format("coalesce((SELECT max(t.{}) FROM profile_tags t WHERE {}), 0)",
                         name.text == "interest" ? "weight" : name.text, where);
    return Status::Ok();
  }

  static constexpr size_t kMaxDepth = 8, kMaxOperands = 512;
  std::vector<Token> t_;
  size_t i_ = 0;
  size_t depth_ = 0, operands_ = 0;
  std::vector<RuleParam> params_;
  std::vector<RuleTag> tag_params_;
  Last last_;
  // The tag conditions (over profile_tags t) of the expression just parsed that every user it
  // holds for meets: CompiledRule::needs.
  std::vector<std::string> need_;
};

}  // namespace

const std::vector<std::string>& RuleMetrics() {
  static const std::vector<std::string> kMetrics = {
      "events", "views", "carts", "purchases", "frequency", "gender", "age_group", "occupation", "city",
      "price_level", "price_position", "price_sensitivity", "discount_response", "brand_top_share",
      "brand_entropy", "novelty", "repeat_rate", "recency_days", "monetary", "r_score", "f_score", "m_score",
      "rfm_segment", "sessions", "session_minutes", "session_depth", "view_to_cart", "cart_to_purchase",
      "view_to_purchase", "lifecycle", "churn_risk", "peak_hour", "cluster"};
  return kMetrics;
}

Result<CompiledRule> CompileRule(std::string_view rule) {
  if (Trim(rule).empty()) return Status::InvalidArgument("rule: empty (e.g. interest('electronics.smartphone') > 0.5)");
  g_source = rule;
  auto toks = Lex(rule);
  if (!toks.ok()) return toks.status();
  return Parser(std::move(toks).value()).Run();
}

void BindParam(Stmt& st, const CompiledRule& c, size_t i) {
  if (c.params[i].is_text) st.Bind(static_cast<int>(i + 1), c.params[i].text);
  else st.Bind(static_cast<int>(i + 1), c.params[i].number);
}

void BindParams(Stmt& st, const CompiledRule& c) {
  for (size_t i = 0; i < c.params.size(); ++i) BindParam(st, c, i);
}

void PickNeed(Db& db, CompiledRule* c) {
  if (c->needs.size() < 2) return;
  int64_t fewest = -1;
  for (const std::string& need : c->needs) {
    Stmt st = db.Prepare("SELECT count(*) FROM profile_tags t WHERE " + need);
    // Its params: ?N as the rule numbered them (a statement refuses params it does not use).
    for (size_t at = need.find('?'); at != std::string::npos; at = need.find('?', at + 1))
      BindParam(st, *c, std::stoul(need.substr(at + 1)) - 1);
    const int64_t holders = st.Step() ? st.Int(0) : 0;
    if (fewest < 0 || holders < fewest) fewest = holders, c->need = need;
  }
}

std::string AudienceSql(const CompiledRule& c) {
  // With a tag every match has, SQLite starts from that tag's holders (the tag index) and
  // evaluates the rule on them alone, not on every profile (docs/profile.md, Audience rules).
  const std::string need =
      c.need.empty() ? "" : "p.user_id IN (SELECT t.user_id FROM profile_tags t WHERE " + c.need + ") AND ";
  return "SELECT p.ext_id FROM profiles p WHERE " + need + c.where + " ORDER BY p.ext_id";
}

Result<Audience> SelectAudience(Db& db, std::string_view rule, size_t limit) {
  auto c = CompileRule(rule);
  if (!c.ok()) return c.status();
  if (db.QueryInt("SELECT count(*) FROM profiles") == 0)
    return Status::NotFound("no profiles yet (run: kgprofile profile build WORKSPACE)");
  // Tags as written, else in lower case, of the kind the rule names (a brand 'Apple' is not the
  // entity 'Apple'); none: a warning quoting the tag as written, kind included.
  std::vector<std::string> warnings;
  const auto stored = [&](const RuleTag& t, const std::string& spelling) {
    Stmt st = db.Prepare(t.kind.empty() ? "SELECT 1 FROM profile_tags WHERE tag = ? LIMIT 1"
                                        : "SELECT 1 FROM profile_tags WHERE tag = ? AND kind = ? LIMIT 1");
    st.Bind(1, spelling);
    if (!t.kind.empty()) st.Bind(2, t.kind);
    return st.Step();
  };
  for (const RuleTag& t : c->tag_params) {
    std::string& tag = c->params[t.param].text;
    if (stored(t, tag)) continue;
    // Brand and category keys are stored in lower case; probing that spelling uses the index (a
    // NOCASE comparison would scan every tag).
    if (stored(t, ToLowerAscii(tag))) tag = ToLowerAscii(tag);
    else if (std::string w = fmt::format("no profile has the tag '{}' (check the spelling{}; `profile show` lists a "
                                         "user's tags)", t.written, t.kind.empty() ? "" : " and the kind");
             std::find(warnings.begin(), warnings.end(), w) == warnings.end())  // a tag named twice: one warning
      warnings.push_back(std::move(w));
  }
  PickNeed(db, &*c);
  // A rule within the parser's limits can still be more than SQLite's parser takes (its stack
  // depends on the operators between the parentheses): the caller's rule is too complex, not
  // an internal error.
  std::optional<Stmt> prepared;
  try {
    prepared.emplace(db.Prepare(AudienceSql(*c)));
  } catch (const Error& e) {
    return Status::InvalidArgument(fmt::format("rule: too complex for the query engine ({}); simplify it",
                                               e.status().message().substr(0, e.status().message().find(" in: "))));
  }
  Stmt& st = *prepared;
  BindParams(st, *c);
  Audience a;
  a.warnings = std::move(warnings);
  while (st.Step()) {
    if (a.user_ids.size() < limit) a.user_ids.emplace_back(st.Text(0));
    a.count++;
  }
  return a;
}

}  // namespace kgp
