(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("activity-data").textContent);
  var C = {};
  data.columns.forEach(function (name, i) { C[name] = i; });
  var PAGE = data.page_size;
  var controls = {
    q: document.getElementById("f-q"), period: document.getElementById("f-period"),
    field: document.getElementById("f-field"), pledge: document.getElementById("f-pledge"),
    format: document.getElementById("f-format"), sort: document.getElementById("f-sort")
  };
  var body = document.getElementById("activity-rows");
  var more = document.getElementById("activity-more");
  var status = {
    matches: document.querySelector('#activity-status [data-n="matches"]'),
    total: document.querySelector('#activity-status [data-n="total"]'),
    attended: document.querySelector('#activity-status [data-n="attended"]'),
    withAttended: document.querySelector('#activity-status [data-n="with-attended"]'),
    shown: document.querySelector('#activity-status [data-n="shown"]')
  };
  var fmt = function (n) { return n.toLocaleString("en-US"); };
  var names = { field: {}, pledge: {}, format: {} };
  data.fields.forEach(function (f) { names.field[f[0]] = f[1]; });
  data.pledges.forEach(function (p) { names.pledge[p[0]] = p[1]; });  // key -> "code  name"
  data.formats.forEach(function (f) { names.format[f[0]] = f[1]; });


  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value; o.textContent = label; select.appendChild(o); return o;
  }
  data.periods.forEach(function (p, i) { option(controls.period, String(i), p[0] + " (" + fmt(p[1]) + ")"); });
  data.fields.forEach(function (f) { option(controls.field, f[0], f[1] + " (" + fmt(f[2]) + ")"); });
  data.formats.forEach(function (f) { option(controls.format, f[0], f[1] + " (" + fmt(f[2]) + ")"); });
  var groups = {};
  data.fields.forEach(function (f) {
    var g = document.createElement("optgroup"); g.label = f[1]; groups[f[0]] = g; controls.pledge.appendChild(g);
  });
  data.pledges.forEach(function (p) { option(groups[p[2]] || controls.pledge, p[0], p[1] + " (" + fmt(p[3]) + ")"); });

  var matches = [], shown = 0;

  // Search: the same ranking as `make search` and marts.search_tokens (pipeline/search/index.py), over
  // the index precomputed into the page. A query word is looked up as marts.search_query_tokens does:
  // the word if it is a known lemma, else the longest known lemmas inside it (particles and endings
  // fall away: 설명회를 -> 설명회; a compound gives its parts).
  var S = data.search || {};
  var vocabulary = new Set(S.vocabulary || []);
  function queryTokens(q) {
    var out = new Set();
    q.toLowerCase().split(new RegExp(S.word_split || "\\s+")).forEach(function (w) {
      if (!w) return;
      var found = [];
      if (vocabulary.has(w)) found.push(w);
      for (var i = 0; i < w.length; i++)
        for (var j = i + 2; j <= w.length; j++) {
          var t = w.slice(i, j);
          if (t !== w && vocabulary.has(t)) found.push(t);
        }
      found.forEach(function (t) {
        if (!found.some(function (u) { return u !== t && u.indexOf(t) >= 0; })) out.add(t);
      });
    });
    return Array.from(out);
  }
  function search(q) {
    var asked = queryTokens(q), parts = {}, tokens = [], same = {};
    function alsoMatches(t, whole) { (same[t] = same[t] || []).push(whole); }
    asked.forEach(function (t) {  // a join of two known lemmas is asked as its parts, as search_tokens does
      for (var i = 2; i <= t.length - 2; i++) {
        var head = t.slice(0, i), tail = t.slice(i);
        if (vocabulary.has(head) && vocabulary.has(tail)) {
          parts[t] = true; [head, tail].forEach(function (p) { tokens.push(p); alsoMatches(p, t); });
        }
      }
    });
    asked.forEach(function (t) { if (!parts[t]) tokens.push(t); });
    tokens = Array.from(new Set(tokens));
    tokens.forEach(function (a) {
      tokens.forEach(function (b) {
        if (a !== b && vocabulary.has(a + b)) { alsoMatches(a, a + b); alsoMatches(b, a + b); }
      });
    });
    var perDoc = {};
    tokens.forEach(function (qt) {
      var alts = {}; alts[qt] = 1.0;
      (same[qt] || []).forEach(function (t) { alts[t] = 1.0; });
      (S.synonyms[qt] || []).forEach(function (t) {  // a synonym's IDF capped at the word asked's
        var a = (S.idf || {})[qt], b = (S.idf || {})[t];
        if (!(t in alts)) alts[t] = S.synonym_factor * (a && b ? Math.min(1, a / b) : 1);
      });
      var best = {};  // row -> [score, in title, matched]
      Object.keys(alts).forEach(function (term) {
        var hits = {};
        (S.postings[term] || []).forEach(function (p) {
          var h = hits[p[0]] || (hits[p[0]] = [0, false, []]);
          h[0] += p[2]; if (S.fields[p[1]] === "title") h[1] = true; h[2].push(S.fields[p[1]]);
        });
        Object.keys(hits).forEach(function (row) {
          var h = hits[row], score = h[0] * alts[term], b = best[row] || (best[row] = [0, false, []]);
          b[0] = Math.max(b[0], score); b[1] = b[1] || h[1];
          b[2].push((term === qt ? term : qt + "→" + term) + " (" + h[2].sort().join(",") + ")");
        });
      });
      Object.keys(best).forEach(function (row) {
        var b = best[row], d = perDoc[row] || (perDoc[row] = { n: 0, title: 0, score: 0, why: [] });
        d.n++; d.title += b[1] ? 1 : 0; d.score += b[0]; d.why.push(b[2].join(", "));
      });
    });
    return perDoc;
  }
  var found = {};

  function filter() {
    var q = controls.q.value.trim(), period = controls.period.value, field = controls.field.value,
        pledge = controls.pledge.value, format = controls.format.value;
    found = q ? search(q) : {};
    var out = [];
    for (var i = 0; i < data.rows.length; i++) {
      var r = data.rows[i];
      if (field && r[C.field] !== field) continue;
      if (pledge && r[C.pledge] !== pledge) continue;
      if (format && r[C.format] !== format) continue;
      if (period && r[C.periods].indexOf(Number(period)) < 0) continue;
      if (q && !found[i]) continue;
      out.push(i);
    }
    if (q && controls.sort.value === "pledge") {  // a search lists the best matches first
      out.sort(function (a, b) {
        var x = found[a], y = found[b];
        return y.n - x.n || y.title - x.title || y.score - x.score ||
          (data.rows[a][C.key] < data.rows[b][C.key] ? -1 : 1);
      });
    }
    var sort = controls.sort.value;
    if (sort === "date-desc" || sort === "date-asc") {
      var dir = sort === "date-desc" ? -1 : 1;
      out.sort(function (a, b) {
        var x = data.rows[a][C.sort_date], y = data.rows[b][C.sort_date];
        if (!x || !y) return (!x) - (!y) || a - b;  // undated last, either way
        return x < y ? -dir : x > y ? dir : a - b;
      });
    } else if (sort === "people") {
      out.sort(function (a, b) {
        var x = data.rows[a][C.people], y = data.rows[b][C.people];
        return (y === null ? -1 : y) - (x === null ? -1 : x) || a - b;
      });
    }
    return out;
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (text !== undefined && text !== null) td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function small(td, text) {
    var s = document.createElement("small"); s.textContent = text; td.appendChild(s);
  }
  function tag(td, text) {
    var s = document.createElement("span"); s.className = "tag"; s.textContent = text; td.appendChild(s);
  }

  function row(i) {
    var r = data.rows[i], tr = document.createElement("tr");
    tr.dataset.key = r[C.key];
    var p = cell(tr, names.pledge[r[C.pledge]] || "", "pledge");
    small(p, names.field[r[C.field]] || "");
    var a = cell(tr, r[C.title], "title");
    if (r[C.online]) tag(a, "온라인 online");
    if (r[C.venue]) small(a, "장소 venue: " + r[C.venue]);
    if (found[i]) small(a, "검색 matched: " + found[i].why.join("; "));
    cell(tr, r[C.date] || "–", "date");
    cell(tr, names.format[r[C.format]] || r[C.format], "format");
    var n = cell(tr, r[C.people] === null ? "–" : (r[C.approx] ? "약 " : "") + fmt(r[C.people]), "n");
    if (r[C.people] !== null) small(n, data.kinds[r[C.kind]] || r[C.kind] || "");
    cell(tr, r[C.periods].map(function (k) { return data.periods[k][0]; }).join(", "), "date");
    return tr;
  }

  function draw(n) {
    var frag = document.createDocumentFragment();
    for (; shown < Math.min(n, matches.length); shown++) frag.appendChild(row(matches[shown]));
    body.appendChild(frag);
    status.shown.textContent = fmt(shown);
    more.hidden = shown >= matches.length;
  }

  function update(writeHash) {
    matches = filter();
    var attended = 0, withAttended = 0;
    matches.forEach(function (i) {
      var r = data.rows[i];
      if (r[C.kind] === "attended") { attended += r[C.people]; withAttended++; }
    });
    status.matches.textContent = fmt(matches.length);
    status.attended.textContent = fmt(attended);
    status.withAttended.textContent = fmt(withAttended);
    body.textContent = "";
    shown = 0;
    draw(PAGE);
    if (writeHash) {
      var params = new URLSearchParams();
      ["q", "period", "field", "pledge", "format", "sort"].forEach(function (k) {
        var v = k === "period" && controls.period.value ? data.periods[Number(controls.period.value)][0]
                                                        : controls[k].value.trim();
        if (v && !(k === "sort" && v === "pledge")) params.set(k, v);
      });
      var hash = params.toString();
      try { history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search); }
      catch (e) { /* a browser that refuses it keeps the filters, just not in the address */ }
    }
  }

  function readHash() {
    var raw = location.hash.replace(/^#/, "");
    if (raw.indexOf("=") < 0) return false;
    var params = new URLSearchParams(raw);
    Object.keys(controls).forEach(function (k) {
      var v = params.get(k) || (k === "sort" ? "pledge" : "");
      if (k === "period") {
        var i = data.periods.findIndex(function (p) { return p[0] === v; });
        v = i < 0 ? "" : String(i);
      }
      if (k === "q") { controls.q.value = v; return; }
      var select = controls[k];
      select.value = v;
      if (select.value !== v) select.value = k === "sort" ? "pledge" : "";  // unknown value: no filter
    });
    return true;
  }

  Object.keys(controls).forEach(function (k) {
    controls[k].addEventListener(k === "q" ? "input" : "change", function () { update(true); });
  });
  document.getElementById("f-reset").addEventListener("click", function () {
    controls.q.value = ""; ["period", "field", "pledge", "format"].forEach(function (k) { controls[k].value = ""; });
    controls.sort.value = "pledge";
    update(true);
  });
  more.addEventListener("click", function () { draw(shown + PAGE); });
  window.addEventListener("hashchange", function () {
    if (readHash()) { update(false); document.getElementById("__TABLE_ID__").scrollIntoView(); }
  });
  status.total.textContent = fmt(data.rows.length);
  var fromLink = readHash();
  update(false);
  if (fromLink) document.getElementById("__TABLE_ID__").scrollIntoView();
  document.getElementById("__TABLE_ID__").dataset.ready = "true";
})();
