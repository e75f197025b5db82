#include "service/web_page.h"

#include <openssl/evp.h>

#include <string_view>

#include "common/hash.h"

namespace kgp::service {

const char* const kWebPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kgprofile</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#222}
header{background:#243447;color:#fff;padding:10px 16px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0 12px 0 0}
input,button,textarea{font:inherit;padding:5px 8px;border:1px solid #bbb;border-radius:4px}
button{background:#3b6ea5;color:#fff;border:0;cursor:pointer}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:12px;padding:12px}
section{background:#fff;border-radius:6px;padding:12px;box-shadow:0 1px 2px #0002}
h2{font-size:15px;margin:0 0 8px}
.kv{display:grid;grid-template-columns:130px 1fr;gap:2px 8px}
.kv b{font-weight:600;color:#555}
.bar{display:flex;align-items:center;gap:6px;margin:2px 0}
.bar span.l{width:170px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar span.b{height:12px;background:#3b6ea5;border-radius:2px}
.rec{border-top:1px solid #eee;padding:6px 0}
.rec small{display:block;color:#666}
#status{margin-left:auto;font-size:12px}
.err{color:#b00}
</style></head>
<body>
<header><h1>kgprofile</h1>
<label>API key <input id="key" type="password" size="28"></label>
<label>user <input id="user" size="14"></label>
<button id="go">Show profile</button>
<span id="status"></span></header>
<main>
<section><h2>Profile</h2><div id="profile" class="kv"></div></section>
<section><h2>Interests</h2><div id="tags"></div></section>
<section><h2>Activity (hour of week, UTC)</h2><svg id="heatmap" width="380" height="130"></svg></section>
<section><h2>Funnel</h2><div id="funnel"></div></section>
<section><h2>Recommendations</h2><div id="recs"></div></section>
<section><h2>Graph neighbourhood</h2><svg id="graph" width="460" height="340"></svg></section>
<section><h2>Audience builder</h2>
<textarea id="rule" rows="3" style="width:95%">interest('electronics') > 0.2</textarea><br>
<button id="count">Count</button> <span id="audience-count"></span></section>
</main>
<script>
"use strict";
const $ = id => document.getElementById(id);
const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const NS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
async function api(path, opts = {}) {
  opts.headers = Object.assign({"X-API-Key": $("key").value}, opts.headers || {});
  const r = await fetch(path, opts);
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((j.error && j.error.message) || r.statusText);
  return j;
}
function status(msg, bad) { $("status").textContent = msg; $("status").className = bad ? "err" : ""; }
// Numbers with the decimals the profile JSON rounds them to (profile.h kShareDigits 4,
// kScoreDigits 3, kDaysMoneyDigits 2), so that one copied into an audience rule matches.
function fmt(x, d = 4) { return x === null || x === undefined || Number.isNaN(x) ? "-" : Number(x).toFixed(d); }

function showProfile(p) {
  const b = p.behaviour, pr = p.preferences, rfm = b.rfm, d = p.demographics;
  const rows = [["user", p.user_id], ["as of", p.as_of], ["gender / age", (d.gender || "-") + " / " + (d.age_group || "-")],
    ["city", d.city || "-"], ["price level", pr.price_level || "-"], ["price sensitivity", fmt(pr.price_sensitivity)],
    ["RFM", rfm.r + "" + rfm.f + "" + rfm.m + " " + (rfm.segment || "")], ["recency (days)", fmt(rfm.recency_days, 2)],
    ["monetary", fmt(rfm.monetary, 2)], ["lifecycle", b.lifecycle], ["churn risk", fmt(b.churn_risk, 3)],
    ["segment", (p.segments.cluster ?? "-") + " " + (p.segments.cluster_label || "")]];
  $("profile").innerHTML = rows.map(([k, v]) => `<b>${esc(k)}</b><span>${esc(v)}</span>`).join("");
  const tags = [];
  for (const kind of ["categories", "brands", "attributes", "entities"])
    for (const t of (p.interests[kind] || []).slice(0, kind === "categories" ? 8 : 4)) tags.push([kind, t]);
  const max = Math.max(0.0001, ...tags.map(([, t]) => t.weight));
  $("tags").innerHTML = tags.map(([kind, t]) =>
    `<div class="bar tag" data-tag="${esc(t.tag)}"><span class="l" title="${esc(kind)}">${esc(t.label || t.tag)}</span>` +
    `<span class="b" style="width:${Math.round(180 * t.weight / max)}px"></span><span>${fmt(t.weight)}</span></div>`).join("")
    || "<i>no interests yet</i>";
  const hm = $("heatmap"); hm.innerHTML = "";
  const how = b.hour_of_week || [], top = Math.max(1, ...how);
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  for (let day = 0; day < 7; ++day) {
    hm.appendChild(svgEl("text", {x: 0, y: 14 + day * 16, "font-size": 10}, days[day]));
    for (let h = 0; h < 24; ++h) {
      const v = how[day * 24 + h] || 0;
      hm.appendChild(svgEl("rect", {x: 28 + h * 14, y: 4 + day * 16, width: 13, height: 15,
        fill: v ? `rgba(59,110,165,${0.15 + 0.85 * v / top})` : "#eee"}));
    }
  }
  const steps = [["views", b.views], ["carts", b.carts], ["purchases", b.purchases]];
  const fmax = Math.max(1, ...steps.map(s => s[1]));
  $("funnel").innerHTML = steps.map(([k, v]) => `<div class="bar"><span class="l">${k}</span>` +
    `<span class="b" style="width:${Math.max(2, Math.round(220 * v / fmax))}px"></span><span>${v}</span></div>`).join("") +
    `<small>view→cart ${fmt(b.funnel.view_to_cart)} · cart→purchase ${fmt(b.funnel.cart_to_purchase)}</small>`;
}

function showRecs(r) {
  $("recs").innerHTML = r.recommendations.map(x => `<div class="rec" data-item="${esc(x.item)}"><b>${esc(x.title || x.item)}</b>` +
    ` <span>${fmt(x.score, 3)}</span>` + (x.explanations || []).map(e => `<small>${esc(e.en)}<br>${esc(e.path)}</small>`).join("") +
    `</div>`).join("") || "<i>none</i>";
}

function showGraph(n) {
  const g = $("graph"); g.innerHTML = "";
  const W = 460, H = 340, cx = W / 2, cy = H / 2, R = 105, nb = n.neighbors;
  nb.forEach((x, i) => {
    const a = 2 * Math.PI * i / Math.max(1, nb.length), px = cx + R * Math.cos(a), py = cy + R * Math.sin(a);
    g.appendChild(svgEl("line", {x1: cx, y1: cy, x2: px, y2: py, stroke: "#9ab", "stroke-width": 1 + Math.min(4, Math.log1p(x.weight))}));
    g.appendChild(svgEl("circle", {cx: px, cy: py, r: 6, fill: {product: "#e39b2d", category: "#4c9f70", brand: "#a05bb5", user: "#243447"}[String(x.type).toLowerCase()] || "#888"}));
    const t = svgEl("text", {x: px + (Math.cos(a) < 0 ? -8 : 8), y: py + 4, "font-size": 9,
      "text-anchor": Math.cos(a) < 0 ? "end" : "start", class: "node"}, (x.label || x.key).slice(0, 22));
    t.appendChild(svgEl("title", {}, `${x.edge} ${x.id}`));
    g.appendChild(t);
  });
  g.appendChild(svgEl("circle", {cx, cy, r: 10, fill: "#243447"}));
  g.appendChild(svgEl("text", {x: cx, y: cy - 14, "font-size": 11, "text-anchor": "middle"}, n.node.id));
}

async function load() {
  const user = $("user").value.trim();
  if (!user) return status("enter a user id", true);
  localStorage.setItem("kgprofile-key", $("key").value);
  status("loading " + user + " …");
  const u = encodeURIComponent(user);
  try {
    showProfile(await api(`/v1/users/${u}/profile?tags=10`));
    const [recs, nb] = await Promise.allSettled([api(`/v1/users/${u}/recommendations?k=5&explain=1`),
                                                 api(`/v1/graph/nodes/${encodeURIComponent("user:" + user)}/neighbors?limit=16`)]);
    if (recs.status === "fulfilled") showRecs(recs.value); else $("recs").textContent = recs.reason.message;
    if (nb.status === "fulfilled") showGraph(nb.value); else $("graph").innerHTML = "";
    status("user " + user);
    document.body.dataset.ready = "1";
  } catch (e) {
    // Nothing of the previous user stays on screen beside another user's id.
    for (const id of ["profile", "tags", "funnel", "recs", "heatmap", "graph"]) $(id).innerHTML = "";
    status(e.message, true); document.body.dataset.ready = "error";
  }
}

async function countAudience() {
  try {
    const r = await api("/v1/audiences", {method: "POST", headers: {"Content-Type": "application/json"},
                                          body: JSON.stringify({rule: $("rule").value, limit: 0})});
    $("audience-count").textContent = r.count + " users" + (r.dp ? " (differentially private)" : "");
  } catch (e) { $("audience-count").textContent = e.message; }
}

$("go").onclick = load;
$("user").onkeydown = e => { if (e.key === "Enter") load(); };
$("count").onclick = countAudience;
const hash = new URLSearchParams(location.hash.slice(1));
$("key").value = hash.get("key") || localStorage.getItem("kgprofile-key") || "";
if (hash.get("user")) { $("user").value = hash.get("user"); load(); }
</script></body></html>
)html";

const std::string& WebPageCsp() {
  static const std::string csp = [] {
    const std::string_view page(kWebPage);
    const size_t open = page.find("<script>") + 8, close = page.find("</script>");
    const std::string digest = Sha256(page.substr(open, close - open));
    unsigned char b64[64] = {0};
    EVP_EncodeBlock(b64, reinterpret_cast<const unsigned char*>(digest.data()), static_cast<int>(digest.size()));
    return "default-src 'self'; style-src 'unsafe-inline'; script-src 'sha256-" + std::string(reinterpret_cast<char*>(b64)) +
           "'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
  }();
  return csp;
}

}  // namespace kgp::service
