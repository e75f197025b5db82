// SentencePiece-style BPE ("llama" vocabularies), as llama.cpp's llm_tokenizer_spm: start from
// UTF-8 characters, repeatedly merge the adjacent pair whose concatenation is the vocabulary
// token with the highest score (ties: leftmost), and spell what never became a token as byte
// tokens <0xNN>. A priority queue of candidate pairs makes this O(n log n); stale candidates
// (one side already merged away) are dropped when popped.
#include <queue>
#include <string>
#include <vector>

#include "llm/engine/tokenizer.h"
#include "llm/engine/unicode.h"

namespace kgp::llm {

namespace {

struct Symbol {
  int prev, next;
  uint32_t begin, n;  // bytes of the escaped text; n == 0 once merged into its left neighbour
};

struct Bigram {
  int left, right;
  float score;
  uint32_t size;  // bytes of left + right when queued
};

// Highest score first; among equal scores the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void Tokenizer::InitSpmBytes() {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const char name[7] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>', 0};
    int32_t id = Find(name);
    if (id < 0) id = Find(std::string(1, static_cast<char>(b)));  // llama.cpp's fallback
    spm_bytes_[b] = id;
  }
}

void Tokenizer::EncodeSpm(std::string_view raw, bool space_prefix, std::vector<int32_t>* out) const {
  static constexpr std::string_view kSpace = "\xE2\x96\x81";
  std::string text;
  text.reserve(raw.size() + raw.size() / 4 + 3);
  if (space_prefix) text += kSpace;
  for (char c : raw) {
    if (c == ' ') {
      text += kSpace;
    } else {
      text += c;
    }
  }
  if (text.empty()) return;

  std::vector<Symbol> syms;
  syms.reserve(text.size());
  for (uint32_t offs = 0; offs < text.size();) {
    const auto len = static_cast<uint32_t>(std::min(Utf8SeqLen(text[offs]), text.size() - offs));
    const int idx = static_cast<int>(syms.size());
    syms.push_back(Symbol{idx - 1, offs + len == text.size() ? -1 : idx + 1, offs, len});
    offs += len;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const uint32_t size = syms[left].n + syms[right].n;
    const int32_t id = Find(std::string_view(text).substr(syms[left].begin, size));
    if (id < 0) return;
    queue.push(Bigram{left, right, tokens_[static_cast<size_t>(id)].score, size});
  };
  for (int i = 1; i < static_cast<int>(syms.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram bg = queue.top();
    queue.pop();
    Symbol& l = syms[bg.left];
    Symbol& r = syms[bg.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != bg.size) continue;  // stale
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = bg.left;
    try_add(l.prev, bg.left);
    try_add(bg.left, l.next);
  }

  for (int i = 0; i != -1; i = syms[i].next) {
    const Symbol& s = syms[i];
    const std::string_view piece = std::string_view(text).substr(s.begin, s.n);
    const int32_t id = Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    for (char c : piece) {  // byte fallback
      const int32_t b = spm_bytes_[static_cast<uint8_t>(c)];
      if (b >= 0) {
        out->push_back(b);
      } else if (unk_ >= 0) {
        out->push_back(unk_);
      }
    }
  }
}

}  // namespace kgp::llm
