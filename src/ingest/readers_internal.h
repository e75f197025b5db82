// Per-format reader entry points, dispatched by readers.cc. Internal.
#pragma once

#include <string>

#include "common/status.h"
#include "ingest/readers.h"

namespace kgp::internal {

Status ReadRees46(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadTaobao(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadGenericEvents(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadCatalog(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadCategories(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadBrands(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadUsers(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadMovieLens(const std::string& dir, const ReaderOptions& opts, RecordSink& sink);
Status ReadMovieLensRatings(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadMovieLensItems(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadMovieLensUsers(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadAmazonReviews(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadTexts(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadSequences(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadItemAttributesJson(const std::string& path, const ReaderOptions& opts, RecordSink& sink);
Status ReadTriples(const std::string& path, const ReaderOptions& opts, RecordSink& sink);

}  // namespace kgp::internal
