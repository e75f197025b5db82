#include "llm/lexicon.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace kgp::llm {
namespace {

constexpr NodeId kNone = UINT32_MAX;

bool IsAsciiAlnum(unsigned char c) { return c < 0x80 && std::isalnum(c); }
unsigned char Lower(unsigned char c) { return c < 0x80 ? static_cast<unsigned char>(std::tolower(c)) : c; }

}  // namespace

int Lexicon::Child(int node, unsigned char b) const {
  for (int c = trie_[static_cast<size_t>(node)].first_child; c >= 0; c = trie_[static_cast<size_t>(c)].next_sibling)
    if (trie_[static_cast<size_t>(c)].byte == b) return c;
  return -1;
}

void Lexicon::AddName(std::string_view name, NodeId n, bool needs_capital) {
  name = Trim(name);
  if (name.size() < 2) return;
  int cur = 0;
  for (char ch : name) {
    const unsigned char b = Lower(static_cast<unsigned char>(ch));
    int next = Child(cur, b);
    if (next < 0) {
      Trie t;
      t.byte = b;
      t.next_sibling = trie_[static_cast<size_t>(cur)].first_child;
      trie_.push_back(t);
      next = static_cast<int>(trie_.size() - 1);
      trie_[static_cast<size_t>(cur)].first_child = next;
    }
    cur = next;
  }
  Trie& t = trie_[static_cast<size_t>(cur)];
  if (t.entry < 0) {
    t.entry = static_cast<int>(entries_.size());
    entries_.push_back({{n}, needs_capital});
  } else {
    Entry& e = entries_[static_cast<size_t>(t.entry)];
    if (std::find(e.nodes.begin(), e.nodes.end(), n) == e.nodes.end()) e.nodes.push_back(n);
    e.needs_capital = e.needs_capital && needs_capital;
  }
}

Result<Lexicon> Lexicon::Load(Db& db, const NodeNames& names) {
  Lexicon lx;
  const Graph& g = names.graph();
  lx.g_ = &g;
  lx.names_ = names;
  const size_t n = g.num_nodes();
  lx.price_.assign(n, NAN);
  lx.brand_.assign(n, kNone);
  lx.category_.assign(n, kNone);
  lx.parent_.assign(n, kNone);
  lx.trie_.emplace_back();
  {
    Stmt st = db.Prepare("SELECT ext_id, price FROM items WHERE price IS NOT NULL");
    while (st.Step()) {
      auto node = g.Find(NodeType::kProduct, st.Text(0));
      if (node) lx.price_[*node] = static_cast<float>(st.Double(1));
    }
  }
  // Brands, categories (deepest) and parents from the graph's edges.
  for (const EdgeData& e : g.edges()) {
    if (e.type == edge::kMadeBy && g.type(e.src) == NodeType::kProduct) {
      lx.brand_[e.src] = e.dst;
    } else if (e.type == edge::kSubcategoryOf) {
      lx.parent_[e.src] = e.dst;
    }
  }
  for (const EdgeData& e : g.edges()) {
    if (e.type != edge::kBelongsTo || g.type(e.src) != NodeType::kProduct || g.type(e.dst) != NodeType::kCategory) continue;
    NodeId& cur = lx.category_[e.src];
    // Keep the deepest: a category that has the current one among its ancestors.
    if (cur == kNone) { cur = e.dst; continue; }
    for (NodeId a = lx.parent_[e.dst]; a != kNone; a = lx.parent_[a])
      if (a == cur) { cur = e.dst; break; }
  }
  for (NodeId v = 0; v < n; ++v) {
    const NodeType t = g.type(v);
    if (t != NodeType::kProduct && t != NodeType::kBrand && t != NodeType::kCategory) continue;
    const std::string zh = names.Name(v, "zh"), en = names.Name(v, "en");
    if (t == NodeType::kProduct) {
      if (zh.size() >= 6) lx.AddName(zh, v, false);
      continue;
    }
    const bool brand = t == NodeType::kBrand;
    const auto latin = [](std::string_view s) { return !s.empty() && IsAsciiAlnum(static_cast<unsigned char>(s[0])); };
    // A table gloss is looked for in texts only when it is specific (3 characters or more:
    // 热水器, not 包 or 手机, which are parts of other words).
    const bool find_zh = !names.Glossed(v) || zh.size() >= 9;
    for (const std::string& name : {find_zh ? zh : std::string(), en, std::string(g.label(v))})
      lx.AddName(name, v, brand && latin(name));
    if (brand) lx.AddName(g.key(v), v, latin(g.key(v)));
    // English plurals: "Smartphones" is also written "smartphone".
    if (!brand && en.size() > 4 && en.back() == 's' && en[en.size() - 2] != 's') lx.AddName(en.substr(0, en.size() - 1), v, false);
  }
  return lx;
}

std::string Lexicon::Name(NodeId n, std::string_view lang) const { return names_.Name(n, lang); }

double Lexicon::Price(NodeId p) const { return p < price_.size() ? price_[p] : NAN; }
NodeId Lexicon::BrandOf(NodeId p) const { return p < brand_.size() ? brand_[p] : kNone; }
NodeId Lexicon::CategoryOf(NodeId p) const { return p < category_.size() ? category_[p] : kNone; }
NodeId Lexicon::ParentOf(NodeId c) const { return c < parent_.size() ? parent_[c] : kNone; }

std::vector<NodeId> Lexicon::CategoryChain(NodeId c) const {
  std::vector<NodeId> out;
  for (NodeId a = c; a != kNone && out.size() < 32; a = ParentOf(a)) out.push_back(a);
  return out;
}

std::vector<Mention> Lexicon::Scan(std::string_view text) const {
  std::vector<Mention> out;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  size_t i = 0;
  while (i < text.size()) {
    // Start only at a UTF-8 character boundary, and for ASCII letters at a word start.
    const bool boundary = (byte(i) & 0xC0) != 0x80;
    const bool word_start = !IsAsciiAlnum(byte(i)) || i == 0 || !IsAsciiAlnum(byte(i - 1));
    size_t best_end = 0;
    int best_entry = -1;
    if (boundary && word_start) {
      int cur = 0;
      for (size_t j = i; j < text.size(); ++j) {
        cur = Child(cur, Lower(byte(j)));
        if (cur < 0) break;
        const Trie& t = trie_[static_cast<size_t>(cur)];
        if (t.entry < 0) continue;
        const size_t end = j + 1;
        // The match must end at a character boundary and, after an ASCII letter, at a word end.
        if (end < text.size() && (byte(end) & 0xC0) == 0x80) continue;
        if (end < text.size() && IsAsciiAlnum(byte(j)) && IsAsciiAlnum(byte(end))) continue;
        const Entry& e = entries_[static_cast<size_t>(t.entry)];
        if (e.needs_capital && std::islower(byte(i))) continue;
        best_end = end;
        best_entry = t.entry;
      }
    }
    if (best_entry >= 0) {
      Mention m;
      m.begin = i;
      m.end = best_end;
      m.nodes = entries_[static_cast<size_t>(best_entry)].nodes;
      m.type = g_->type(m.nodes[0]);
      out.push_back(std::move(m));
      i = best_end;
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace kgp::llm
