// Export of the in-memory graph to other graph stores (docs/export.md):
//   * Neo4j: nodes.csv + edges.csv in the neo4j-admin bulk-import format, and import.cypher,
//     a LOAD CSV script that builds the same graph in a running database.
//   * RDF: one N-Triples or Turtle file.
// Every exporter streams: memory stays bounded by the graph itself (10^7 edges are fine), never
// by the output. Output is deterministic for a given graph (same order, same bytes), so exports
// can be diffed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "graph/graph.h"

namespace kgp {

struct ExportReport {
  uint64_t nodes = 0, edges = 0, triples = 0;  // triples: RDF only
  std::vector<std::string> files;              // files written, in the order written
};

// Neo4j bulk import: out_dir/nodes.csv (`id:ID,:LABEL,key,name`), out_dir/edges.csv
// (`:START_ID,:END_ID,:TYPE,count:long,weight:double,first_ts:long,last_ts:long`) and
// out_dir/import.cypher (LOAD CSV route, with the equivalent neo4j-admin command in a comment).
// Node ids are Graph::Spec ("user:123"). CSV quoting is RFC 4180. Creates out_dir if needed;
// existing files are overwritten. On failure the files written so far are removed.
Status ExportNeo4j(const Graph& g, const std::string& out_dir, ExportReport* report);

enum class RdfFormat { kNTriples, kTurtle };

struct RdfOptions {
  RdfFormat format = RdfFormat::kNTriples;
  // Prefix of every IRI written. Must itself be IRI-safe (no spaces, <>"{}|\^` or controls).
  std::string base = "urn:kgprofile:";
  // Adds one node per edge carrying count, weight and timestamps (docs/export.md "Edge data").
  bool include_edge_data = false;
};

// One file at path. Node IRIs are base + "<type prefix>/" + percent-encoded key; vocabulary is
// base + "schema/" + name. The triple count is documented in docs/export.md and reported in
// report->triples. Written to path.tmp and renamed over path when complete: on failure the
// temporary file is removed and an earlier file at path stays as it was.
Status ExportRdf(const Graph& g, const std::string& path, const RdfOptions& opts, ExportReport* report);

// Percent-encodes a key for use in an IRI path segment: keeps ASCII unreserved characters,
// sub-delims, ':' and '@', and well-formed UTF-8 sequences of RFC 3987 `ucschar` code points;
// every other byte (space, <>"{}|\^`, '/', '?', '#', '%', controls, invalid UTF-8) becomes %XX.
// Injective, so distinct keys give distinct IRIs. Exposed for tests and for the CLI.
std::string PercentEncodeIriSegment(std::string_view s);


}  // namespace kgp
