#!/usr/bin/env python3
"""Planted category P@3 of a generated shop: what ranking a user's own categories reaches, and
what inference from other users (co-occurrence, user-kNN, demographic prior, root smoothing, a
learner cross-fitted on the other half's personas) adds, with the bound on naming categories a
user never touched. The evidence behind the 0.9 target's status (docs/profile.md "Quality").

Usage: kgprofile generate SAMPLE --users 2000 --events 200000
       python3 scripts/planted-inference.py SAMPLE        (standard library only; about 30 s)
Personas are read only to score, and by the learner only for the half of the users it does
not score. The baseline reproduces `kgprofile profile eval`'s planted P@3 and its ceiling.
"""

import csv, json, math, sys, collections, datetime, random

if len(sys.argv) != 2:
    sys.exit("usage: planted-inference.py SAMPLE_DIR (from kgprofile generate)")
D = sys.argv[1]
HALF_LIFE = 30 * 86400.0
W = {"view": 1.0, "cart": 3.0, "purchase": 5.0, "remove_from_cart": 0.0}

# ---- categories: leaves, roots
parent = {}
for r in csv.DictReader(open(f"{D}/categories.csv", encoding="utf-8")):
    parent[r["code"]] = r["parent_code"]
has_child = set(p for p in parent.values() if p)
LEAVES = sorted(c for c in parent if c not in has_child)
def root(c):
    while parent.get(c):
        c = parent[c]
    return c
ROOT = {c: root(c) for c in LEAVES}

# product -> leaf from catalog (covers rows without category_code); also category_id -> code
prod_leaf = {}
for r in csv.DictReader(open(f"{D}/catalog.csv", encoding="utf-8")):
    prod_leaf[r["product_id"]] = r["category_path"]
catid = {}

# ---- events
def ts(s):
    return datetime.datetime.strptime(s[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
rows = []
tmax = 0
for r in csv.reader(open(f"{D}/events.csv", encoding="utf-8")):
    if r[0] == "event_time":
        continue
    t = ts(r[0]); tmax = max(tmax, t)
    code = r[4]
    if code:
        catid[r[3]] = code
    rows.append((t, r[1], r[2], r[3], code, r[7], r[8]))
own = collections.defaultdict(lambda: collections.defaultdict(float))   # user -> leaf -> decayed weight
cnt = collections.defaultdict(lambda: collections.defaultdict(int))     # user -> leaf -> events
nev = collections.Counter()
unmapped = 0
for t, typ, pid, cid, code, uid, sess in rows:
    leaf = code or catid.get(cid) or prod_leaf.get(pid)
    if leaf not in ROOT:
        leaf = prod_leaf.get(pid)
    nev[uid] += 1
    if leaf not in ROOT:
        unmapped += 1
        continue
    own[uid][leaf] += W[typ] * 2.0 ** ((t - tmax) / HALF_LIFE)
    cnt[uid][leaf] += 1
del rows

users = {}
for r in csv.DictReader(open(f"{D}/users.csv", encoding="utf-8")):
    users[r["user_id"]] = r
def group(uid):
    u = users[uid]; age = 2026 - int(u["birth_year"])  # the generator's reference year (kReferenceYear)
    return (u["gender"], 26 <= age <= 45, age <= 30, age >= 45)

fav = {}
for line in open(f"{D}/personas.jsonl", encoding="utf-8"):
    p = json.loads(line)
    f = [c for c in p["favourite_categories"] if c in ROOT]
    if f and p["user_id"] in nev:
        fav[p["user_id"]] = f
UIDS = sorted(fav)
BUCKETS = [(0, 25, "<25"), (25, 50, "25-49"), (50, 100, "50-99"), (100, 200, "100-199"), (200, 10**12, ">=200")]
def bucket(n):
    for lo, hi, name in BUCKETS:
        if lo <= n < hi:
            return name

# shares: own weight / user total (the product's interest weight)
share = {}
for u in UIDS:
    tot = sum(own[u].values()) or 1.0
    share[u] = {c: w / tot for c, w in own[u].items() if w > 0 or True}

def evaluate(scorefn):
    """scorefn(u) -> dict leaf->score. Returns overall, per-bucket P@3."""
    tot = 0.0; b = collections.defaultdict(lambda: [0.0, 0])
    for u in UIDS:
        s = scorefn(u)
        top = sorted(s, key=lambda c: (-s[c], c))[:3]
        f = set(fav[u]); p = len(f & set(top)) / min(3, len(f))
        tot += p; bb = b[bucket(nev[u])]; bb[0] += p; bb[1] += 1
    return tot / len(UIDS), {k: v[0] / v[1] for k, v in b.items()}, {k: v[1] for k, v in b.items()}

def ceiling():
    tot = 0.0; b = collections.defaultdict(lambda: [0.0, 0])
    for u in UIDS:
        f = set(fav[u]); touched = len(f & set(cnt[u]))
        p = min(3, touched) / min(3, len(f)); tot += p
        bb = b[bucket(nev[u])]; bb[0] += p; bb[1] += 1
    return tot / len(UIDS), {k: v[0] / v[1] for k, v in b.items()}

RESULTS = []
def report(name, scorefn, note=""):
    o, b, n = evaluate(scorefn)
    RESULTS.append((name, o, b))
    print(f"{name:<46} {o:.4f}  " + "  ".join(f"{b.get(k, float('nan')):.4f}" for _, _, k in BUCKETS) + (f"  {note}" if note else ""), flush=True)
    return o

hdr = "method".ljust(46) + " overall " + "  ".join(k.rjust(6) for _, _, k in BUCKETS)
_, _, NB = evaluate(lambda u: share[u])
print(f"users scored {len(UIDS)}, leaves {len(LEAVES)}, unmapped events {unmapped}, bucket sizes {NB}")
co, cb = ceiling()
print(hdr)
print(f"{'CEILING (favourites touched, capped at 3)':<46} {co:.4f}  " + "  ".join(f"{cb.get(k):.4f}" for _, _, k in BUCKETS))
report("baseline: decayed weight (view1 cart3 buy5, hl30d)", lambda u: share[u])
report("baseline: raw event count", lambda u: {c: float(n) for c, n in cnt[u].items()})

# ---------------- behaviour-only population statistics (leave-one-out by subtraction)
touch_users = collections.Counter()          # c -> users touching c
pair = collections.defaultdict(collections.Counter)  # c' -> c -> users touching both
for u in UIDS:
    cs = list(cnt[u])
    for c in cs:
        touch_users[c] += 1
        pc = pair[c]
        for d in cs:
            if d != c:
                pc[d] += 1
# global and demographic category share (mean of users' shares)
glob = collections.Counter(); grp = collections.defaultdict(collections.Counter); ngrp = collections.Counter()
for u in UIDS:
    g = group(u); ngrp[g] += 1
    for c, s in share[u].items():
        glob[c] += s; grp[g][c] += s
# within-root popularity of leaves (behaviour: summed shares)
root_pop = collections.defaultdict(float)
for c in LEAVES:
    root_pop[ROOT[c]] += glob[c]

def norm(d):
    t = sum(d.values())
    return {k: v / t for k, v in d.items()} if t > 0 else d

def add(base, extra, lam):
    out = dict(base)
    for c, v in extra.items():
        out[c] = out.get(c, 0.0) + lam * v
    return out

# (c) demographic prior: mean share in the user's (gender, life-stage) group, LOO
def demo_prior(u):
    g = group(u); n = ngrp[g] - 1
    if n <= 0:
        return {}
    d = {c: grp[g][c] - share[u].get(c, 0.0) for c in LEAVES}
    return {c: max(0.0, v) / n for c, v in d.items()}
DEMO = {u: demo_prior(u) for u in UIDS}

# (a) item-item co-occurrence: sum_c' share(c') * P(touch c | touch c'), LOO counts
def cooc(u, mode):
    mine = set(cnt[u]); out = collections.defaultdict(float); N = len(UIDS) - 1
    for c2, s2 in share[u].items():
        n2 = touch_users[c2] - 1
        if n2 <= 0:
            continue
        for c, nb in pair[c2].items():
            nb_loo = nb - (1 if c in mine else 0)
            p = nb_loo / n2
            if mode == "lift":
                base = (touch_users[c] - (1 if c in mine else 0)) / N
                p = p / base if base > 0 else 0.0
            out[c] += s2 * p
    return norm(out)
COOC = {u: cooc(u, "cond") for u in UIDS}
COOCL = {u: cooc(u, "lift") for u in UIDS}

# (b) user-kNN: cosine on share vectors, k neighbours, excluding self
post = collections.defaultdict(list)
l2 = {}
for u in UIDS:
    l2[u] = math.sqrt(sum(v * v for v in share[u].values())) or 1.0
    for c, v in share[u].items():
        post[c].append((u, v / l2[u]))
def knn(u, k):
    sims = collections.defaultdict(float)
    for c, v in share[u].items():
        x = v / l2[u]
        for w, y in post[c]:
            if w != u:
                sims[w] += x * y
    nb = sorted(sims.items(), key=lambda t: -t[1])[:k]
    out = collections.defaultdict(float); z = sum(s for _, s in nb) or 1.0
    for w, s in nb:
        for c, v in share[w].items():
            out[c] += s * v / z
    return dict(out)
KNN = {k: {u: knn(u, k) for u in UIDS} for k in (20, 100)}

# (d) root smoothing: mu * (user's weight on root) spread over the root's leaves by popularity
def rootsmooth(u):
    rw = collections.defaultdict(float)
    for c, s in share[u].items():
        rw[ROOT[c]] += s
    return {c: rw[ROOT[c]] * glob[c] / root_pop[ROOT[c]] for c in LEAVES if rw[ROOT[c]] > 0 and root_pop[ROOT[c]] > 0}
RS = {u: rootsmooth(u) for u in UIDS}

LAMS = [0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0]
best = {}
for name, table in [("(a) co-occurrence P(c|c')", COOC), ("(a') co-occurrence lift", COOCL),
                    ("(b) user-kNN k=20", KNN[20]), ("(b) user-kNN k=100", KNN[100]),
                    ("(c) demographic prior (gender x life stage)", DEMO), ("(d) root smoothing", RS)]:
    for lam in LAMS:
        o = report(f"{name} lam={lam}", lambda u, t=table, l=lam: add(share[u], t[u], l))
        if o > best.get(name, (0, 0))[0]:
            best[name] = (o, lam)

# ---- how guessable is an UNTOUCHED favourite? For each method, rank only untouched leaves
# and check the best untouched candidate against the favourites the user never touched.
print("\nuntouched-favourite guessing (users with >=1 untouched favourite AND whose ceiling < 1):")
def guess_rate(table, name):
    hit = n = 0
    for u in UIDS:
        f = set(fav[u]); touched = f & set(cnt[u])
        if min(3, len(touched)) >= min(3, len(f)):
            continue
        cand = {c: v for c, v in table(u).items() if c not in cnt[u]}
        if not cand:
            continue
        g = max(cand, key=lambda c: (cand[c], c)); n += 1; hit += g in f
    print(f"  {name:<44} top untouched guess is a favourite: {hit}/{n} = {hit / max(n, 1):.3f}")
    return hit, n
guess_rate(lambda u: COOC[u], "(a) co-occurrence")
guess_rate(lambda u: KNN[100][u], "(b) kNN k=100")
guess_rate(lambda u: DEMO[u], "(c) demographic prior")
guess_rate(lambda u: RS[u], "(d) root smoothing")
guess_rate(lambda u: glob, "global popularity")

# ---- (L) cross-fitted learner on persona labels (2 folds by user): logistic regression on
# per-(user, leaf) features; trained on one half of the users, scores the other half.
def feats(u, c):
    s = share[u].get(c, 0.0); n = cnt[u].get(c, 0)
    return [1.0, s, math.log1p(n), 1.0 if n else 0.0, math.log1p(nev[u]) * s,
            DEMO[u].get(c, 0.0) * 10, COOC[u].get(c, 0.0) * 10, KNN[100][u].get(c, 0.0) * 10,
            RS[u].get(c, 0.0), (0.0 if n else 1.0) * DEMO[u].get(c, 0.0) * 10]
def train(us, epochs=6, lr=0.05, l2reg=1e-4):
    rng = random.Random(7)
    data = [(feats(u, c), 1.0 if c in fav[u] else 0.0) for u in us for c in LEAVES]
    w = [0.0] * len(data[0][0])
    for ep in range(epochs):
        rng.shuffle(data)
        for x, y in data:
            z = sum(a * b for a, b in zip(w, x)); z = max(-30, min(30, z))
            g = 1 / (1 + math.exp(-z)) - y
            for i in range(len(w)):
                w[i] -= lr * (g * x[i] + l2reg * w[i])
    return w
fold = {u: (i % 2) for i, u in enumerate(UIDS)}
WL = {f: train([u for u in UIDS if fold[u] != f]) for f in (0, 1)}
def learned(u):
    w = WL[fold[u]]
    return {c: sum(a * b for a, b in zip(w, feats(u, c))) for c in LEAVES}
report("(L) 2-fold logistic on persona labels", learned, "cross-fitted")
guess_rate(learned, "(L) cross-fitted learner")

print("\nbest per method:", json.dumps({k: {"p3": round(v[0], 4), "lam": v[1]} for k, v in best.items()}))

# ---- where the gain comes from, and the bound on naming untouched categories
print()
print("method (best lam)                         P@3     untouched-slots  hits-from-untouched  P@3-<25")
cfgs = [("baseline", lambda u: share[u]),
        ("(a) cooc lam=0.3", lambda u: add(share[u], COOC[u], 0.3)),
        ("(b) kNN100 lam=0.5", lambda u: add(share[u], KNN[100][u], 0.5)),
        ("(c) demo lam=0.03", lambda u: add(share[u], DEMO[u], 0.03)),
        ("(d) root lam=0.2", lambda u: add(share[u], RS[u], 0.2)),
        ("(L) cross-fitted logistic", learned)]
for name, fn in cfgs:
    slots = hits = 0; tot = 0.0; s25 = 0.0; n25 = 0
    for u in UIDS:
        s = fn(u); top = sorted(s, key=lambda c: (-s[c], c))[:3]; f = set(fav[u])
        p = len(f & set(top)) / min(3, len(f)); tot += p
        if nev[u] < 25: s25 += p; n25 += 1
        for c in top:
            if c not in cnt[u]:
                slots += 1; hits += c in f
    print(f"{name:<40} {tot/len(UIDS):.4f}  {slots:>8}        {hits:>8}            {s25/n25:.4f}")
print("\nbaseline precision by rank, users <25 events:")
pr = collections.Counter(); npr = collections.Counter()
for u in UIDS:
    if nev[u] >= 25: continue
    s = share[u]; top = sorted(s, key=lambda c: (-s[c], c))[:3]
    for i, c in enumerate(top): npr[i] += 1; pr[i] += c in fav[u]
print("  " + "  ".join(f"rank{i+1}: {pr[i]/npr[i]:.3f} (n={npr[i]})" for i in range(3)))
print("\n'oracle own ranking + untouched guesses' bound (NOT a method: uses the user's own favourites to pick touched ones):")
for name, tab in [("none (=ceiling)", None), ("(a) cooc", COOC), ("(b) kNN100", KNN[100]), ("(c) demo", DEMO), ("(d) root", RS), ("(L) learner", None)]:
    tot = 0.0; s25 = 0.0; n25 = 0
    for u in UIDS:
        f = set(fav[u]); k = min(3, len(f)); touched = [c for c in f if c in cnt[u]][:3]
        pick = set(touched)
        if tab is not None or name.startswith("(L)"):
            sc = learned(u) if tab is None else tab[u]
            cand = sorted((c for c in sc if c not in cnt[u]), key=lambda c: (-sc[c], c))
            for c in cand:
                if len(pick) >= 3: break
                pick.add(c)
        p = len(f & pick) / k; tot += p
        if nev[u] < 25: s25 += p; n25 += 1
    print(f"  {name:<22} overall {tot/len(UIDS):.4f}   <25 {s25/n25:.4f}")

# ---- combinations of the behaviour-only methods
RESULTS.clear()
print("\ncombinations")
print(hdr)
cshare = {u: norm({c: float(n) for c, n in cnt[u].items()}) for u in UIDS}
for mu in (0.1, 0.2, 0.3):
    for lam in (0.0, 0.2, 0.5):
        report(f"count-share + root mu={mu} + kNN100 lam={lam}",
               lambda u, m=mu, l=lam: add(add(cshare[u], RS[u], m), KNN[100][u], l))
        report(f"decayed-share + root mu={mu} + kNN100 lam={lam}",
               lambda u, m=mu, l=lam: add(add(share[u], RS[u], m), KNN[100][u], l))
best = max(RESULTS, key=lambda r: r[1]); print("best:", best[0], round(best[1], 4))
