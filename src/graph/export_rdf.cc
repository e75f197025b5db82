// RDF export: N-Triples or Turtle, streamed node by node. Both formats emit exactly the same
// triples in the same order (docs/export.md "RDF"), so their triple counts always agree.
#include <cctype>
#include <cmath>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "common/csv.h"
#include "common/out_file.h"
#include "common/progress.h"
#include "common/strings.h"
#include "graph/export.h"

namespace kgp {

namespace {


constexpr const char* kRdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr const char* kRdfsNs = "http://www.w3.org/2000/01/rdf-schema#";
constexpr const char* kXsdNs = "http://www.w3.org/2001/XMLSchema#";
constexpr uint64_t kCheckEvery = 1 << 14;  // nodes between checks for a failed write

// ASCII characters an IRI path segment keeps as is: RFC 3987 iunreserved (ASCII part),
// sub-delims, ':' and '@'. '/', '?', '#' are encoded so that a key stays one segment.
bool IsSafeAscii(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '_': case '~':
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';': case '=':
    case ':': case '@':
      return true;
    default:
      return false;
  }
}

// RFC 3987 ucschar: the non-ASCII code points an IRI may carry unencoded.
bool IsUcschar(uint32_t cp) {
  if (cp >= 0xA0 && cp <= 0xD7FF) return true;
  if (cp >= 0xF900 && cp <= 0xFDCF) return true;
  if (cp >= 0xFDF0 && cp <= 0xFFEF) return true;
  if (cp >= 0x10000 && cp <= 0xEFFFD && (cp & 0xFFFF) <= 0xFFFD) return !(cp >= 0xE0000 && cp < 0xE1000);
  return false;
}

// Length of the well-formed UTF-8 sequence at s[i] (no overlongs, surrogates or > U+10FFFF),
// 0 if there is none; *cp receives the code point.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t len;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

void AppendPercent(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('%');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 15]);
}

// An absolute IRI prefix (RFC 3987) that can stand unquoted inside <…> (N-Triples IRIREF): a
// scheme, then no spaces, controls or <>"{}|\^`, '%' only as a complete %XX triplet, non-ASCII
// only as well-formed UTF-8 of ucschar code points (no C1 controls, no noncharacters), and at
// most one '#' (a fragment cannot hold another).
bool IsValidBase(std::string_view base) {
  // An absolute IRI starts with a scheme: N-Triples has no relative IRIs.
  size_t colon = base.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = base[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return false;
  }
  int hashes = 0;
  for (size_t i = 0; i < base.size();) {
    const unsigned char c = static_cast<unsigned char>(base[i]);
    if (c >= 0x80) {
      uint32_t cp = 0;
      const size_t len = DecodeUtf8(base, i, &cp);
      if (len == 0 || !IsUcschar(cp)) return false;
      i += len;
      continue;
    }
    if (c <= 0x20 || c == 0x7F) return false;
    if (std::string_view("<>\"{}|\\^`").find(base[i]) != std::string_view::npos) return false;
    if (c == '#' && ++hashes > 1) return false;
    if (c == '%' && (i + 2 >= base.size() || !std::isxdigit(static_cast<unsigned char>(base[i + 1])) ||
                     !std::isxdigit(static_cast<unsigned char>(base[i + 2]))))
      return false;
    ++i;
  }
  return true;
}

// Whether an (already percent-encoded) local part can follow "prefix:" in Turtle without
// backslash escapes. Deliberately narrower than the grammar (ASCII only): anything else is
// written as a full <IRI>, which every parser reads the same way.
bool IsSimpleLocalName(std::string_view l) {
  if (l.empty() || l.front() == '-' || l.front() == '.' || l.back() == '.') return false;
  for (size_t i = 0; i < l.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(l[i]);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) continue;
    if (c == '_' || c == '-' || c == '.' || c == ':') continue;
    if (c == '%' && i + 2 < l.size() && std::isxdigit(static_cast<unsigned char>(l[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(l[i + 2]))) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

// N-Triples / Turtle string literal body: \\ \" \n \r \t, other controls as \uXXXX. Text is
// UTF-8 in the store; anything that is not is repaired rather than written as a broken file.
void AppendLiteral(std::string& out, std::string_view s) {
  std::string fixed;
  if (!IsValidUtf8(s)) {
    fixed = SanitizeUtf8(s);
    s = fixed;
  }
  out.push_back('"');
  for (char ch : s) {
    switch (ch) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        unsigned char c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) {
          fmt::format_to(std::back_inserter(out), "\\u{:04X}", static_cast<unsigned>(c));
        } else {
          out.push_back(ch);
        }
      }
    }
  }
  out.push_back('"');
}

std::string FormatDouble(float w) {
  if (std::isnan(w)) return "NaN";
  if (std::isinf(w)) return w > 0 ? "INF" : "-INF";
  return fmt::format("{}", w);
}

// Writes triples in either syntax. Terms arrive already spelled for the format (see Terms).
// Turtle groups the triples of one subject with ';' and repeated predicates with ','.
class TripleWriter {
 public:
  TripleWriter(OutFile& out, RdfFormat format) : out_(out), turtle_(format == RdfFormat::kTurtle) {}

  void Subject(std::string_view s) {
    subject_.assign(s);
    predicate_.clear();
    if (turtle_) line_.assign(s);
  }
  void Triple(std::string_view p, std::string_view o) {
    ++triples_;
    if (!turtle_) {
      line_.assign(subject_);
      line_.push_back(' ');
      line_.append(p);
      line_.push_back(' ');
      line_.append(o);
      line_.append(" .\n");
      out_.Write(line_);
      return;
    }
    if (predicate_.empty()) {
      line_.push_back(' ');
      line_.append(p);
      line_.push_back(' ');
    } else if (predicate_ == p) {
      line_.append(", ");
    } else {
      line_.append(" ;\n    ");
      line_.append(p);
      line_.push_back(' ');
    }
    predicate_.assign(p);
    line_.append(o);
    // Keep the pending statement short: flush all but the part still being built.
    if (line_.size() > 4096) {
      out_.Write(line_);
      line_.clear();
    }
  }
  void EndSubject() {
    if (turtle_ && !predicate_.empty()) {
      line_.append(" .\n\n");
      out_.Write(line_);
    }
    line_.clear();
    predicate_.clear();
  }
  uint64_t triples() const { return triples_; }

 private:
  OutFile& out_;
  bool turtle_;
  std::string subject_, predicate_, line_;
  uint64_t triples_ = 0;
};

// Spells IRIs and literals for one format: N-Triples always <full IRIs>; Turtle uses the
// prefixes declared in the header where the local part needs no escaping.
class Terms {
 public:
  Terms(const Graph& g, const RdfOptions& opts) : g_(g), turtle_(opts.format == RdfFormat::kTurtle) {
    schema_ns_ = opts.base + "schema/";
    edge_ns_ = opts.base + "edge/";
    for (int t = 0; t < kNumNodeTypes; ++t)
      node_ns_[t] = opts.base + NodeTypePrefix(static_cast<NodeType>(t)) + "/";
    type_ = turtle_ ? "a" : Full(kRdfNs, "type");
    label_ = turtle_ ? "rdfs:label" : Full(kRdfsNs, "label");
    xsd_integer_ = turtle_ ? "xsd:integer" : Full(kXsdNs, "integer");
    xsd_double_ = turtle_ ? "xsd:double" : Full(kXsdNs, "double");
    edge_class_ = Schema("Edge");
    for (const char* p : {"key", "source", "relation", "target", "count", "weight", "first_ts", "last_ts"})
      props_.push_back(Schema(p));
    relations_.resize(size_t{1} << 16);
  }

  void WriteHeader(OutFile& out) const {
    if (!turtle_) return;
    out.Write(fmt::format("@prefix rdf: <{}> .\n@prefix rdfs: <{}> .\n@prefix xsd: <{}> .\n@prefix kg: <{}> .\n",
                          kRdfNs, kRdfsNs, kXsdNs, schema_ns_));
    for (int t = 0; t < kNumNodeTypes; ++t)
      out.Write(fmt::format("@prefix {}: <{}> .\n", NodeTypePrefix(static_cast<NodeType>(t)), node_ns_[t]));
    out.Write("\n");
  }

  std::string Node(NodeId n) const {
    int t = static_cast<int>(g_.type(n));
    return Prefixed(NodeTypePrefix(g_.type(n)), node_ns_[t], PercentEncodeIriSegment(g_.key(n)));
  }
  // Stable across rebuilds: named by its endpoints and type, not by an edge index.
  std::string EdgeNode(const EdgeData& e) const {
    return "<" + edge_ns_ + NodeTypePrefix(g_.type(e.src)) + ":" + PercentEncodeIriSegment(g_.key(e.src)) + "/" +
           PercentEncodeIriSegment(g_.EdgeTypeName(e.type)) + "/" + NodeTypePrefix(g_.type(e.dst)) + ":" +
           PercentEncodeIriSegment(g_.key(e.dst)) + ">";
  }
  std::string Class(NodeType t) const { return Schema(NodeTypeName(t)); }
  const std::string& Relation(EdgeTypeId t) {
    std::string& r = relations_[t];
    if (r.empty()) r = Schema(PercentEncodeIriSegment(g_.EdgeTypeName(t)));
    return r;
  }
  std::string String(std::string_view s) const {
    std::string out;
    AppendLiteral(out, s);
    return out;
  }
  // Turtle's bare integers are xsd:integer, the same triple as the N-Triples spelling.
  std::string Integer(int64_t v) const {
    return turtle_ ? fmt::format("{}", v) : fmt::format("\"{}\"^^{}", v, xsd_integer_);
  }
  std::string Double(float v) const { return fmt::format("\"{}\"^^{}", FormatDouble(v), xsd_double_); }

  const std::string& type() const { return type_; }
  const std::string& label() const { return label_; }
  const std::string& edge_class() const { return edge_class_; }
  const std::string& key() const { return props_[0]; }
  const std::string& source() const { return props_[1]; }
  const std::string& relation() const { return props_[2]; }
  const std::string& target() const { return props_[3]; }
  const std::string& count() const { return props_[4]; }
  const std::string& weight() const { return props_[5]; }
  const std::string& first_ts() const { return props_[6]; }
  const std::string& last_ts() const { return props_[7]; }

 private:
  static std::string Full(std::string_view ns, std::string_view local) {
    return fmt::format("<{}{}>", ns, local);
  }
  std::string Schema(std::string_view local) const { return Prefixed("kg", schema_ns_, local); }
  std::string Prefixed(std::string_view prefix, std::string_view ns, std::string_view local) const {
    if (turtle_ && IsSimpleLocalName(local)) return fmt::format("{}:{}", prefix, local);
    return Full(ns, local);
  }

  const Graph& g_;
  bool turtle_;
  std::string schema_ns_, edge_ns_;
  std::string node_ns_[kNumNodeTypes];
  std::string type_, label_, xsd_integer_, xsd_double_, edge_class_;
  std::vector<std::string> props_;
  std::vector<std::string> relations_;  // by EdgeTypeId, filled on first use
};

Status WriteRdf(const Graph& g, const RdfOptions& opts, OutFile& out, ExportReport* report) {
  Terms terms(g, opts);
  TripleWriter w(out, opts.format);
  terms.WriteHeader(out);
  Progress progress("export", g.num_nodes() + g.num_edges(), "rows");

  for (NodeId n = 0; n < g.num_nodes(); ++n) {
    std::string subject = terms.Node(n);
    w.Subject(subject);
    w.Triple(terms.type(), terms.Class(g.type(n)));
    if (!g.label(n).empty()) w.Triple(terms.label(), terms.String(g.label(n)));
    w.Triple(terms.key(), terms.String(g.key(n)));
    // Neighbors() is sorted by (type, neighbour), so equal predicates are adjacent for ','.
    uint64_t out_edges = 0;
    for (const Adjacent& a : g.Neighbors(n)) {
      if (!a.outgoing) continue;
      w.Triple(terms.Relation(a.type), terms.Node(a.other));
      ++out_edges;
    }
    w.EndSubject();

    if (opts.include_edge_data) {
      for (const Adjacent& a : g.Neighbors(n)) {
        if (!a.outgoing) continue;
        const EdgeData& e = g.edge(a.edge);
        w.Subject(terms.EdgeNode(e));
        w.Triple(terms.type(), terms.edge_class());
        w.Triple(terms.source(), subject);
        w.Triple(terms.relation(), terms.Relation(e.type));
        w.Triple(terms.target(), terms.Node(e.dst));
        w.Triple(terms.count(), terms.Integer(e.count));
        w.Triple(terms.weight(), terms.Double(e.weight));
        // 0 is how the store spells "unknown" (Graph::Load coalesces NULL).
        if (e.first_ts != 0) w.Triple(terms.first_ts(), terms.Integer(e.first_ts));
        if (e.last_ts != 0) w.Triple(terms.last_ts(), terms.Integer(e.last_ts));
        w.EndSubject();
      }
    }
    progress.Add(1 + out_edges);
    if (n % kCheckEvery == 0 && !out.ok()) break;
  }
  KGP_RETURN_IF_ERROR(out.Close());
  progress.Finish();
  report->nodes = g.num_nodes();
  report->edges = g.num_edges();
  report->triples = w.triples();
  return Status::Ok();
}

}  // namespace

std::string PercentEncodeIriSegment(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (IsSafeAscii(c)) {
        out.push_back(static_cast<char>(c));
      } else {
        AppendPercent(out, c);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = DecodeUtf8(s, i, &cp);
    if (len > 0 && IsUcschar(cp)) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      // Not an IRI character (or not UTF-8 at all): encode the bytes one by one.
      size_t n = len > 0 ? len : 1;
      for (size_t k = 0; k < n; ++k) AppendPercent(out, static_cast<unsigned char>(s[i + k]));
      i += n;
    }
  }
  return out;
}

Status ExportRdf(const Graph& g, const std::string& path, const RdfOptions& opts, ExportReport* report) {
  if (!IsValidBase(opts.base)) {
    return Status::InvalidArgument(fmt::format(
        "RDF base '{}' is not an absolute IRI prefix (RFC 3987: needs a scheme such as urn: or http:; no spaces, "
        "controls or <>\"{{}}|\\^` characters; '%' only as %XX; at most one '#')",
        Printable(opts.base)));
  }
  ExportReport local;
  OutFile out;
  // Written beside the path and renamed over it when complete: a failed export leaves the
  // previous file as it was, and never a truncated one (which would still parse).
  KGP_RETURN_IF_ERROR(out.OpenReplacing(path));
  Status s = WriteRdf(g, opts, out, &local);
  if (!s.ok()) {
    out.Discard();
    return s;
  }
  local.files.push_back(path);  // out.path() is the temporary file
  if (report) *report = std::move(local);
  return Status::Ok();
}

}  // namespace kgp
