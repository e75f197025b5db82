#!/usr/bin/env bash
# make eval (embeddings): each model with its documented preset on WN18RR (and the small
# graphs), filtered test metrics against the published figures. Long: tens of minutes.
# KGE_MODELS / KGE_SETS narrow the run, e.g. KGE_MODELS=rotate KGE_SETS=wn18rr. Exits non-zero
# when a training fails or a WN18RR result is below its floor.
set -uo pipefail
build=${1:-build}
data=${KGP_SHARED_DATA:-../shared/data}
bin="$build/kgprofile"
work="$build/eval/kge"; mkdir -p "$work"
models=${KGE_MODELS:-"transe distmult complex rotate transr"}
sets=${KGE_SETS:-"umls kinship nations wn18rr"}
. "$(dirname "$0")/lib.sh"
need_built "$build"
need_tool python3 python3 eval
# Published filtered test MRR on WN18RR (TransR: Hits@10), see ../shared/data/README.md.
# train_s: training seconds, a warm start included (the large TransR trains a TransE first).
declare -A target=([transe]=0.22 [distmult]=0.43 [complex]=0.46 [rotate]=0.47 [transr]=0.50)
fail=0 below=0
printf '%-8s %-9s %8s %8s %8s %8s %9s  %s\n' set model MRR H@1 H@10 MR train_s "target (WN18RR)"
for set in $sets; do
  [ -f "$data/$set/train.txt" ] || { echo "eval-kge: $data/$set missing, skipped" >&2; continue; }
  for m in $models; do
    # The seconds come from the JSON; the .err file holds only the command's own messages.
    out=$("$bin" -q --json kge train --data "$data/$set" -m "$m" -o "$work/$set-$m.kge" 2>"$work/$set-$m.err") || {
      echo "eval-kge: $set $m failed: $(tail -1 "$work/$set-$m.err")"; fail=1; continue; }
    read -r mrr h1 h10 mr secs < <(echo "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); f=j["test"]["filtered"]; print(f["mrr"], f["hits@1"], f["hits@10"], f["mr"], j["seconds"] + j.get("warm_start", {}).get("seconds", 0))') || {
      echo "eval-kge: $set $m: no filtered test metrics in its JSON output"; fail=1; continue; }
    verdict=""
    if [ "$set" = wn18rr ]; then
      t=${target[$m]}; got=$mrr; [ "$m" = transr ] && got=$h10
      if python3 -c "import sys; sys.exit(0 if $got >= $t else 1)"; then verdict="$t ok"; else verdict="$t BELOW"; below=$((below + 1)); fi
    fi
    printf '%-8s %-9s %8.4f %8.4f %8.4f %8.1f %9.1f  %s\n' "$set" "$m" "$mrr" "$h1" "$h10" "$mr" "$secs" "$verdict"
  done
done
if [ "$below" -gt 0 ]; then
  echo "eval-kge: WN18RR results below their floors: $below (runs with 2 threads differ by a few thousandths: rerun to tell noise from a regression)"
  fail=1
fi
exit $fail
