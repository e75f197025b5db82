#!/usr/bin/env bash
# Sequential and KG-aware recommendation on their published protocols (docs/recommend-eval-seq.md):
#   S3-Rec Beauty: leave-one-out, 99 sampled negatives (seed 12345), HR@10 / NDCG@10 / MRR,
#     validation item, test item (S3-Rec: model fitted without the last two items), test item
#     after refitting on train + validation item; every side-info model with and without
#     attributes.
#   KGCN Last.FM: CTR AUC / F1 on the 6:2:2 split, with and without the KG.
# Usage: scripts/eval-rec-seq.sh BUILD   (builds target kgprofile_eval_rec_seq first). ~2 min.
set -uo pipefail
build=${1:-build}
data=${KGP_SHARED_DATA:-../shared/data}
bin="$build/bench/kgprofile_eval_rec_seq"
work="$build/eval/rec-seq"; mkdir -p "$work"
cmake --build "$build" --target kgprofile_eval_rec_seq >/dev/null || { echo "eval-rec-seq: build failed" >&2; exit 1; }
fail=0
beauty="$data/s3rec-amazon-beauty"
if [ -f "$beauty/Beauty.txt" ]; then
  for mode in valid test refit; do
    flag=""; [ $mode = valid ] && flag=--valid; [ $mode = refit ] && flag=--refit
    "$bin" --format sequences "$beauty" $flag --json "$work/beauty-$mode.json" >"$work/beauty-$mode.txt" 2>"$work/beauty-$mode.err" || {
      echo "eval-rec-seq: beauty $mode failed: $(tail -1 "$work/beauty-$mode.err")"; fail=1; }
  done
  python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
print("Beauty (S3-Rec protocol, 99 sampled negatives)")
print(f"{'model':<22} {'split':<6} {'HR@10':>7} {'NDCG@10':>8} {'MRR':>7} {'fit s':>6} {'eval s':>7}")
for mode in ["valid", "test", "refit"]:
    try: rows = json.load(open(f"{w}/beauty-{mode}.json"))["rows"]
    except Exception: continue
    for r in rows:
        m = r["metrics"]; name = r["model"] + (f" ({r['variant']})" if r["variant"] else "")
        print(f"{name:<22} {mode:<6} {m['hr@10']:7.4f} {m['ndcg@10']:8.4f} {m['mrr']:7.4f} {r['fit_s']:6.1f} {r['eval_s']:7.1f}")
print("published (test): SASRec 0.4696 / 0.3156 / 0.2852, S3-Rec 0.5506 / 0.3732 / 0.3340; goal HR@10 >= 0.55")
PY
else
  echo "eval-rec-seq: $beauty/Beauty.txt missing, Beauty skipped" >&2
fi
lastfm="$data/kgcn-lastfm"
if [ -f "$lastfm/kg.txt" ]; then
  for mode in valid test; do
    flag=""; [ $mode = valid ] && flag=--valid
    "$bin" --format kgcn "$lastfm" $flag --json "$work/lastfm-$mode.json" >"$work/lastfm-$mode.txt" 2>"$work/lastfm-$mode.err" || {
      echo "eval-rec-seq: lastfm $mode failed: $(tail -1 "$work/lastfm-$mode.err")"; fail=1; }
  done
  python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
print("\nLast.FM (KGCN CTR protocol, 6:2:2)")
print(f"{'model':<22} {'split':<6} {'AUC':>7} {'F1':>7} {'fit s':>6}")
for mode in ["valid", "test"]:
    try: rows = json.load(open(f"{w}/lastfm-{mode}.json"))["rows"]
    except Exception: continue
    for r in rows:
        m = r["metrics"]; name = r["model"] + (f" ({r['variant']})" if r["variant"] else "")
        f1 = f"{m['f1']:7.4f}" if "f1" in m else f"{'-':>7}"
        print(f"{name:<22} {mode:<6} {m['auc']:7.4f} {f1} {r['fit_s']:6.1f}")
print("published (test, KGCN paper): KGCN-sum 0.794 / 0.719, KGCN-concat 0.796 / 0.721, KGCN-neighbor 0.781 / 0.699")
PY
else
  echo "eval-rec-seq: $lastfm/kg.txt missing, Last.FM skipped" >&2
fi
exit $fail
