// Offline evaluation data: a training matrix and each user's held-out items, plus the
// readers and splitters that produce them. Every reader names file:line (and the field) of
// the first bad record; CRLF line ends and blank lines are accepted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "recommend/interactions.h"

namespace kgp::rec {

struct SplitData {
  std::string dataset;   // row label, e.g. "kgat-amazon-book"
  std::string protocol;  // e.g. "KGAT split, full ranking"
  InteractionMatrix train;                  // users × items, unique items per row
  std::vector<std::vector<uint32_t>> test;  // per user (size num_users), unique items; may be empty
  uint32_t num_items() const { return train.num_items(); }
  size_t test_users() const;
  size_t test_pairs() const;
};

// One `user item item ...` file (KGAT train.txt / test.txt, S3-Rec sequences): whitespace-
// separated non-negative integers, the first the user. Row u of the result is user u's items
// in file order with repeats dropped (KGAT reads each line as a set). A user on two lines, a
// token that is not an integer or an id >= 2^26 is an error naming file:line and the field.
// A line with the user alone is a user without items.
Result<std::vector<std::vector<uint32_t>>> ReadUserItemLists(const std::string& path);

// KGAT's folder: train.txt and test.txt (ids shared, dense from 0). With `validation`,
// test.txt is not read at all: the held-out items are carved from train.txt instead
// (CarveValidation).
Result<SplitData> LoadKgatSplit(const std::string& dir, bool validation, uint64_t seed);

// A rating line of MovieLens u.data: user, item, rating, unix time (tab- or space-separated;
// ml-1m's "::" too). Ids are remapped to dense indices in order of first appearance.
struct Rating {
  uint32_t user, item;
  float rating;
  int64_t ts;
};
struct Ratings {
  std::vector<Rating> rows;  // file order
  uint32_t num_users = 0, num_items = 0;
};
Result<Ratings> ReadMovieLens(const std::string& path);

// Random split: exactly round(test_fraction · n) ratings, drawn uniformly (seeded), go to
// test; the rest train. Every rating counts as an interaction (implicit feedback).
SplitData SplitRandom(const Ratings& r, double test_fraction, uint64_t seed);
// Temporal split per user: each user's latest round(test_fraction · n_u) ratings (by time,
// ties in file order) go to test, so no test item precedes the user's training items.
SplitData SplitTemporalPerUser(const Ratings& r, double test_fraction);
// Validation carved from training data only: per user with >= 2 items, max(1,
// floor(fraction · n_u)) items drawn at random (seeded) are held out. The real test items
// are not involved.
SplitData CarveValidation(const InteractionMatrix& train, double fraction, uint64_t seed);

}  // namespace kgp::rec
