// The names the language-model layer may write and must recognise: for every product, brand
// and category node of the knowledge graph its Chinese and English names (graph/names.h), the
// product's price, brand and category, and a gazetteer over all of them. Scan() finds mentions by longest match over UTF-8 text
// without spaces (Chinese) or with word boundaries (ASCII names); ASCII case is ignored, except
// that a brand written in Latin letters must start with a capital ("Keep" the brand, not
// "keep" the verb). Immutable after Load(): safe to share between threads.
#pragma once

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "graph/graph.h"
#include "graph/names.h"
#include "store/db.h"

namespace kgp::llm {

struct Mention {
  size_t begin = 0, end = 0;   // byte span in the scanned text
  std::vector<NodeId> nodes;   // every node the surface names (homonyms), at least one
  NodeType type = NodeType::kProduct;  // of nodes[0]
};

class Lexicon {
 public:
  // REQUIRES: names' graph outlives the lexicon. Keeps a copy of names; reads items for prices.
  static Result<Lexicon> Load(Db& db, const NodeNames& names);

  const Graph& graph() const { return *g_; }
  const NodeNames& names() const { return names_; }
  // Name in "zh" or "en" (NodeNames::Name): the other language, then the graph label or key.
  std::string Name(NodeId n, std::string_view lang) const;
  double Price(NodeId product) const;          // NaN when unknown
  NodeId BrandOf(NodeId product) const;        // UINT32_MAX when none
  NodeId CategoryOf(NodeId product) const;     // its deepest category; UINT32_MAX when none
  NodeId ParentOf(NodeId category) const;      // UINT32_MAX at a root
  // A category and its ancestors, the category first.
  std::vector<NodeId> CategoryChain(NodeId category) const;

  std::vector<Mention> Scan(std::string_view text) const;
  size_t num_names() const { return entries_.size(); }

 private:
  void AddName(std::string_view name, NodeId n, bool needs_capital);
  struct Trie {
    unsigned char byte = 0;
    int first_child = -1, next_sibling = -1;
    int entry = -1;  // index into entries_
  };
  struct Entry {
    std::vector<NodeId> nodes;
    bool needs_capital = false;
  };
  int Child(int node, unsigned char b) const;
  const Graph* g_ = nullptr;
  NodeNames names_;
  std::vector<float> price_;           // by node (products)
  std::vector<NodeId> brand_, category_, parent_;  // by node
  std::vector<Trie> trie_;
  std::vector<Entry> entries_;
};

}  // namespace kgp::llm
