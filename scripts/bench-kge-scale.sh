#!/usr/bin/env bash
# Do the large presets run at FB15k-237's size (14,541 entities, 237 relations, 272,115 train
# triples) without retuning? FB15k-237 itself is not in ../shared/data, so this generates a
# graph of that shape (seeded; heads and relations drawn with skewed degrees) and trains each
# model with `--preset auto`, printing wall time and peak RSS. The triples are random, so the
# MRR it prints says nothing about accuracy. Usage: bench-kge-scale.sh BUILD [MODELS...]
set -euo pipefail
build=${1:-build}; shift || true
models=${*:-"transe transr distmult complex rotate"}
. "$(dirname "$0")/lib.sh"
need_built "$build"
need_tool python3 python3 bench
need_tool /usr/bin/time time bench
work="$build/bench/kge-scale"; mkdir -p "$work"
python3 - "$work" <<'PY'
import random, sys, os
random.seed(7)
E, R = 14541, 237
seen = set()
def triple():
    h = int(random.paretovariate(1.2)) % E
    t = random.randrange(E)
    r = int(random.paretovariate(1.0)) % R
    return f"e{h}\tr{r}\te{t}\n"
for name, n in (("train.txt", 272115), ("valid.txt", 17535), ("test.txt", 20466)):
    with open(os.path.join(sys.argv[1], name), "w") as f:
        k = 0
        while k < n:
            x = triple()
            if x not in seen:
                seen.add(x); f.write(x); k += 1
PY
fail=0
printf '%-9s %9s %12s\n' model wall_s peak_rss_MB
for m in $models; do
  /usr/bin/time -f "%e %M" -o "$work/$m.time" "$build/kgprofile" -q --json kge train --data "$work" -m "$m" -j 2 \
    -o "$work/$m.kge" >"$work/$m.json" 2>"$work/$m.err" || { echo "$m failed: $(tail -1 "$work/$m.err")"; fail=1; continue; }
  read -r wall rss < "$work/$m.time"
  printf '%-9s %9.1f %12.0f\n' "$m" "$wall" "$((rss / 1024))"
done
exit $fail
