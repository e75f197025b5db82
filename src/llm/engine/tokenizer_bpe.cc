// Byte-level BPE ("gpt2" vocabularies), as llama.cpp's llm_tokenizer_bpe: the pre-tokenizer
// splits the text into words (unicode.h), each word's bytes are spelled with GPT-2's
// byte-to-unicode alphabet, and within a word the adjacent pair with the lowest merge rank is
// merged until no pair has a rank (ties: leftmost). Merges are keyed by the two token ids, so a
// lookup is one hash probe; a priority queue keeps the whole word O(n log n).
#include <fmt/format.h>

#include <queue>
#include <string>
#include <vector>

#include "llm/engine/tokenizer.h"
#include "llm/engine/unicode.h"

namespace kgp::llm {

namespace {

uint64_t MergeKey(int32_t left, int32_t right) {
  return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 | static_cast<uint32_t>(right);
}

struct Symbol {
  int prev, next;
  uint32_t begin, n;  // bytes of the word; n == 0 once merged into its left neighbour
  int32_t id;         // the token spelled by these bytes, or -1
};

struct Bigram {
  int left, right;
  int32_t rank;
  int32_t left_id, right_id;  // what the two sides were when queued
  int32_t result;
};

// Lowest rank first; among equal ranks the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

Status Tokenizer::LoadBpe(const GgufFile& f) {
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument(fmt::format("{}: tokenizer: {}", f.path(), what));
  };
  Result<const GgufValue*> arr = f.GetArray("tokenizer.ggml.merges");
  if (!arr.ok()) return bad(arr.status().message());
  const GgufValue& m = **arr;
  if (m.elem != GgufType::kString) return bad("tokenizer.ggml.merges is not an array of strings");
  merges_.reserve(m.strs.size());
  std::string joined;
  for (size_t i = 0; i < m.strs.size(); ++i) {
    const std::string& line = m.strs[i];
    const size_t sp = line.find(' ', 1);
    if (sp == std::string::npos) return bad(fmt::format("tokenizer.ggml.merges[{}] '{}' is not 'left right'", i, line));
    const std::string_view left = std::string_view(line).substr(0, sp);
    const std::string_view right = std::string_view(line).substr(sp + 1);
    joined.assign(left);
    joined += right;
    // As Hugging Face's BPE: both sides and the merged token must be in the vocabulary.
    for (std::string_view part : {left, right, std::string_view(joined)}) {
      if (Find(part) < 0)
        return bad(fmt::format("tokenizer.ggml.merges[{}] '{}': '{}' is not a token", i, line, part));
    }
    merges_.emplace(MergeKey(Find(left), Find(right)), Merge{static_cast<int32_t>(i), Find(joined)});
  }
  return Status::Ok();
}

void Tokenizer::EncodeBpe(std::string_view text, std::vector<int32_t>* out) const {
  std::vector<std::string> words;
  const PreSplit style = pre_split_ == Pre::kGpt2 ? PreSplit::kGpt2
                         : pre_split_ == Pre::kLlama3 ? PreSplit::kLlama3
                                                      : PreSplit::kQwen2;
  PreTokenize(text, style, &words);

  std::vector<Symbol> syms;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;  // drained for each word
  for (const std::string& word : words) {
    if (ignore_merges_) {
      const int32_t whole = Find(word);
      if (whole >= 0) {
        out->push_back(whole);
        continue;
      }
    }
    syms.clear();
    for (uint32_t offs = 0; offs < word.size();) {
      const auto len = static_cast<uint32_t>(std::min(Utf8SeqLen(word[offs]), word.size() - offs));
      const int idx = static_cast<int>(syms.size());
      syms.push_back(Symbol{idx - 1, offs + len == word.size() ? -1 : idx + 1, offs, len,
                            Find(std::string_view(word).substr(offs, len))});
      offs += len;
    }

    auto try_add = [&](int left, int right) {
      if (left < 0 || right < 0 || syms[left].id < 0 || syms[right].id < 0) return;
      auto it = merges_.find(MergeKey(syms[left].id, syms[right].id));
      if (it == merges_.end()) return;
      queue.push(Bigram{left, right, it->second.rank, syms[left].id, syms[right].id, it->second.result});
    };
    for (int i = 1; i < static_cast<int>(syms.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
      const Bigram bg = queue.top();
      queue.pop();
      Symbol& l = syms[bg.left];
      Symbol& r = syms[bg.right];
      // Stale: a side was merged away or grew since the pair was queued.
      if (l.n == 0 || r.n == 0 || l.next != bg.right || l.id != bg.left_id || r.id != bg.right_id) continue;
      l.n += r.n;
      l.id = bg.result;
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) syms[r.next].prev = bg.left;
      try_add(l.prev, bg.left);
      try_add(bg.left, l.next);
    }

    for (int i = syms.empty() ? -1 : 0; i != -1; i = syms[i].next) {
      const Symbol& s = syms[i];
      if (s.id >= 0) {
        out->push_back(s.id);
        continue;
      }
      // A character the vocabulary lacks: its bytes as single-byte tokens where they exist.
      for (char c : std::string_view(word).substr(s.begin, s.n)) {
        const int32_t b = Find(std::string_view(&c, 1));
        if (b >= 0) out->push_back(b);
      }
    }
  }
}

}  // namespace kgp::llm
