// Text benchmark (make bench): throughput (MB/s on one core), per-text latency percentiles and
// peak memory for
//   1. gazetteer matching: Aho-Corasick against the naive baseline (std::string::find of every
//      name), on the same synthetic titles and the same name list;
//   2. tagging with the trained BIO tagger, against the same tagger without context features;
//   3. whole-review sentiment scoring.
// Each measurement runs in a forked child so that peak memory (wait4 ru_maxrss) is its own.
// Usage: kgprofile_bench_text [NER_TRAIN_BIO NER_TEST_BIO]; without files a generated BIO set
// stands in for the Taobao titles.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/progress.h"
#include "common/time.h"
#include "text/bio.h"
#include "text/gazetteer.h"
#include "text/sentiment.h"
#include "text/tagger.h"

namespace kgp::text {
namespace {
using Clock = std::chrono::steady_clock;

struct Result {
  double mb_per_s = 0, p50_us = 0, p95_us = 0, p99_us = 0;
  uint64_t checksum = 0;
};

// Runs fn(i) for each of n texts totalling bytes, timing each; in a child process, reporting
// through a pipe, so that the peak RSS printed is this measurement's own.
void Measure(const std::string& name, size_t n, uint64_t bytes, const std::function<uint64_t(size_t)>& run) {
  int fds[2];
  if (pipe(fds) != 0) return;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::vector<double> lat(n);
    uint64_t sum = 0;
    auto t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      auto a = Clock::now();
      sum += run(i);
      lat[i] = std::chrono::duration<double, std::micro>(Clock::now() - a).count();
    }
    double secs = SecondsSince(t0);
    std::sort(lat.begin(), lat.end());
    Result r{double(bytes) / 1e6 / secs, lat[n / 2], lat[n * 95 / 100], lat[n * 99 / 100], sum};
    ssize_t w = write(fds[1], &r, sizeof r);
    (void)w;
    _exit(0);
  }
  close(fds[1]);
  Result r;
  ssize_t got = read(fds[0], &r, sizeof r);
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  if (got != static_cast<ssize_t>(sizeof r)) {
    std::printf("%-44s failed\n", name.c_str());
    return;
  }
  std::printf("%-44s %8.2f MB/s   p50 %8.1f us  p95 %8.1f us  p99 %8.1f us   peak RSS %7ld KiB  (matches %llu)\n",
              name.c_str(), r.mb_per_s, r.p50_us, r.p95_us, r.p99_us, ru.ru_maxrss,
              static_cast<unsigned long long>(r.checksum));
}

std::vector<Sentence> Generated(int n, uint64_t seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  const char* brands[] = {"华为", "小米", "苹果", "耐克", "阿迪达斯", "优衣库", "兰蔻", "欧莱雅"};
  const char* things[] = {"手机", "运动鞋", "耳机", "外套", "精华液", "双肩包", "口红", "牛仔裤"};
  const char* fill[] = {"新款", "正品", "包邮", "特价", "2024", "男女同款", "官方旗舰店", "加厚"};
  std::vector<Sentence> out;
  for (int i = 0; i < n; ++i) {
    Sentence s;
    auto add = [&](const std::string& w, const std::string& type) {
      for (size_t k = 0, j = 0; j < w.size(); ++k) {
        size_t len = (static_cast<unsigned char>(w[j]) < 0x80) ? 1 : 3;
        s.tokens.push_back(w.substr(j, len));
        s.tags.push_back(type.empty() ? "O" : (k ? "I-" : "B-") + type);
        j += len;
      }
    };
    for (int k = 0; k < 3; ++k) {
      add(fill[rng() % 8], "");
      add(brands[rng() % 8], "HPPX");
      add(things[rng() % 8], "HCCX");
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string Join(const std::vector<std::string>& toks) {
  std::string s;
  for (const auto& t : toks) s += t;
  return s;
}

}  // namespace
}  // namespace kgp::text

int main(int argc, char** argv) {
  using namespace kgp::text;
  kgp::Progress::SetEnabled(false);
  std::vector<Sentence> train, test;
  if (argc >= 3) {
    auto a = ReadBioFile(argv[1]);
    auto b = ReadBioFile(argv[2]);
    if (!a.ok() || !b.ok()) {
      std::fprintf(stderr, "cannot read %s / %s\n", argv[1], argv[2]);
      return 1;
    }
    train = std::move(a).value();
    test = std::move(b).value();
    std::printf("tagger data: %s (train) / %s (test)\n", argv[1], argv[2]);
  } else {
    train = Generated(6000, 1);
    test = Generated(1000, 2);
    std::printf("tagger data: generated titles (pass NER train/test BIO files for the Taobao set)\n");
  }
  std::vector<std::string> texts;
  uint64_t bytes = 0;
  for (const auto& s : test) {
    texts.push_back(Join(s.tokens));
    bytes += texts.back().size();
  }
  std::printf("%zu test texts, %.2f MB, one thread\n\n", texts.size(), double(bytes) / 1e6);

  // 1. Gazetteer: names = every entity surface of the training set (thousands of names).
  Gazetteer gaz;
  std::vector<std::string> names;
  for (const auto& s : train)
    for (const Span& sp : SpansFromTags(s.tags)) {
      std::string n;
      for (uint32_t i = sp.begin; i < sp.end; ++i) n += s.tokens[i];
      names.push_back(n);
    }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const auto& n : names) gaz.Add({n, "name", n, {}, 1});
  gaz.Build();
  std::vector<std::string> folded;
  for (const auto& t : texts) folded.push_back(FoldForMatch(t));
  std::printf("gazetteer: %zu names, %zu automaton states\n", gaz.num_patterns(), gaz.num_states());
  Measure("gazetteer Aho-Corasick (all occurrences)", texts.size(), bytes,
          [&](size_t i) { return gaz.FindAll(folded[i]).size(); });
  Measure("baseline: string::find of every name", texts.size(), bytes, [&](size_t i) {
    uint64_t c = 0;
    for (uint32_t p = 0; p < gaz.num_patterns(); ++p)
      for (size_t pos = folded[i].find(gaz.pattern(p)); pos != std::string::npos; pos = folded[i].find(gaz.pattern(p), pos + 1)) ++c;
    return c;
  });
  Measure("gazetteer Match (fold + longest + context)", texts.size(), bytes,
          [&](size_t i) { return gaz.Match(texts[i]).size(); });

  // 2. Tagger with all features, and without context (token's own features only).
  for (bool ctx : {true, false}) {
    TaggerOptions o;
    o.features.use_context = ctx;
    auto t0 = Clock::now();
    auto m = Tagger::Train(train, o);
    double secs = kgp::SecondsSince(t0);
    if (!m.ok()) return 1;
    SpanEval ev;
    for (const auto& s : test) ev.Add(SpansFromTags(s.tags), SpansFromTags(m->Tag(s.tokens)));
    std::printf("\ntagger %s: trained on %zu sentences x %d epochs in %.2fs; test entity F1 %.4f\n",
                ctx ? "(all features)" : "(baseline: no context features)", train.size(), o.epochs, secs, ev.micro.F1());
    Measure(ctx ? "tagging, all features" : "tagging, baseline without context", test.size(), bytes,
            [&](size_t i) { return m->Tag(test[i].tokens).size(); });
  }

  // 3. Sentiment scoring speed. The labels are arbitrary (alternating): scoring costs the same
  // whatever the weights, and the accuracy figures are make eval's.
  std::vector<LabeledText> labelled;
  for (size_t i = 0; i < texts.size(); ++i) labelled.push_back({texts[i], static_cast<int>(i % 2)});
  SentimentOptions so;
  so.epochs = 1;
  auto sm = SentimentModel::Train(labelled, so);
  if (!sm.ok()) return 1;
  std::printf("\n");
  Measure("sentiment scoring (char 1-3-grams)", texts.size(), bytes,
          [&](size_t i) { return static_cast<uint64_t>(sm->Predict(texts[i]) * 1000); });
  return 0;
}
