// The scoring interface every KGE model implements (one file per model, registered by name
// in model.cc). Parameters live in Params — plain row-major float tables the trainer updates
// hogwild-style; a model only says how wide its rows are, how to initialise them, how to
// score a triple and how the score changes with each row (higher score = more plausible).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/huge_alloc.h"
#include "common/rng.h"

namespace kgp::embed {

using FloatTable = std::vector<float, HugePageAllocator<float>>;

struct ModelConfig {
  std::string name = "transe";  // transe | transr | distmult | complex | rotate
  int dim = 100;                // entity dimension (complex models: complex components)
  int relation_dim = 0;         // TransR projection target; 0 = dim
  int norm = 1;                 // TransE/TransR distance: 1 (L1) or 2 (L2)
  float gamma = 0;              // score offset for distance models (margin of the log-sigmoid loss)
  float init = 0;               // initial values uniform in [-init, init]; 0 = the model's default
  float max_norm = 0;           // TransE/TransR: entity rows projected into the L2 ball of this radius (0 = off)
};

struct Params {
  size_t num_entities = 0, entity_width = 0, num_relations = 0, relation_width = 0;
  FloatTable entity, relation;
  float* E(uint32_t i) { return entity.data() + size_t{i} * entity_width; }
  const float* E(uint32_t i) const { return entity.data() + size_t{i} * entity_width; }
  float* R(uint32_t i) { return relation.data() + size_t{i} * relation_width; }
  const float* R(uint32_t i) const { return relation.data() + size_t{i} * relation_width; }
};

class Model {
 public:
  explicit Model(ModelConfig c) : c_(std::move(c)) {}
  virtual ~Model() = default;
  const ModelConfig& config() const { return c_; }
  const std::string& name() const { return c_.name; }

  virtual size_t entity_width() const = 0;
  virtual size_t relation_width() const = 0;
  // Fills freshly sized tables.
  virtual void Init(Params& p, Rng& rng) const = 0;
  virtual float Score(const float* h, const float* r, const float* t) const = 0;
  // Adds g * d(score)/d(row) to gh, gr and gt.
  virtual void Grad(const float* h, const float* r, const float* t, float g, float* gh, float* gr,
                    float* gt) const = 0;
  // Ranking against every entity. Every model scores a candidate e as a simple function of a
  // query vector q and e's candidate row: q . e (kDot), gamma - |q - e|_1 (kL1), gamma -
  // |q - e|_2 (kL2), or gamma - sum of complex moduli of q - e (kModulus). TailQuery builds q
  // for (h, r, ?), HeadQuery for (?, r, t). PrepareRelation fills per-relation scratch once
  // (TransR projects the entity table: its candidate rows live in scratch).
  enum class Form { kDot, kL1, kL2, kModulus };
  virtual Form form() const = 0;
  virtual size_t query_width() const { return entity_width(); }
  virtual void PrepareRelation(const Params& /*p*/, uint32_t /*r*/, std::vector<float>* /*scratch*/) const {}
  virtual void TailQuery(const Params& p, uint32_t h, uint32_t r, const std::vector<float>& scratch,
                         float* q) const = 0;
  virtual void HeadQuery(const Params& p, uint32_t r, uint32_t t, const std::vector<float>& scratch,
                         float* q) const = 0;
  virtual const float* CandidateRows(const Params& p, const std::vector<float>& /*scratch*/) const {
    return p.entity.data();
  }
  // out[e] = Score(h, r, e) (tails) or Score(e, r, t) (heads) for every entity e.
  void ScoreTails(const Params& p, uint32_t h, uint32_t r, const std::vector<float>& scratch, float* out) const;
  void ScoreHeads(const Params& p, uint32_t r, uint32_t t, const std::vector<float>& scratch, float* out) const;
  // Scores nq queries (each query_width() floats, from TailQuery/HeadQuery) against every
  // entity at once; out is nq rows of num_entities. Tiled so that the entity table streams
  // from memory once per batch rather than once per query.
  void ScoreQueries(const Params& p, const std::vector<float>& scratch, const float* queries, size_t nq,
                    float* out) const;
  // Called on an entity row after each update (TransE keeps entities on the unit ball).
  virtual void Constrain(float* /*entity_row*/) const {}

  // Sizes p for this model and initialises it.
  void Allocate(Params& p, size_t num_entities, size_t num_relations, Rng& rng) const;

 protected:
  ModelConfig c_;
};

// Names accepted by MakeModel.
const std::vector<std::string>& ModelNames();
// Validates the configuration (dimension, norm, name; gamma, init and max_norm finite) and builds
// the model.
Result<std::unique_ptr<Model>> MakeModel(const ModelConfig& c);

}  // namespace kgp::embed
