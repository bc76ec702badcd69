/* Agency lookup in the browser. fold() applies the steps of clean.agencies.name_key (the build's
   own folding of agency names) with the rules it reads from AGENCY_FOLD, so a query is folded as
   the names were; tests/test_site_browser.py checks fold() against name_key on every name. */
(function () {
  "use strict";
  var F = window.AGENCY_FOLD, A = window.AGENCIES || [];
  function fold(text) {
    var s = String(text).normalize("NFKC");
    s = Array.from(s).map(function (c) { return F.casefold[c] !== undefined ? F.casefold[c] : c.toLowerCase(); }).join("");
    s = s.replace(/[\u2019\u2018]/g, "'").replace(/&/g, " and ");
    s = s.replace(/'s(?![\p{L}\p{N}_])/gu, "s").replace(/'/g, "");
    s = Array.from(s.normalize("NFKD")).filter(function (c) { return !/\p{Mn}/u.test(c); }).join("");
    s = Array.from(s).map(function (c) { return F.letters[c] !== undefined ? F.letters[c] : c; }).join("");
    var words = s.split(/[^a-z0-9]+/).filter(Boolean).map(function (w) { return F.abbreviations[w] || w; });
    return words.join(" ").split(" ").filter(Boolean);
  }
  window.agencyFold = fold;
  function matches(q, words) {
    return q.length > 0 && q.every(function (x) { return words.some(function (w) { return w.indexOf(x) === 0; }); });
  }
  function search(text) {
    var q = fold(text), key = q.join(" ");
    var hits = A.filter(function (a) { return matches(q, a.w.split(" ")); });
    hits.sort(function (x, y) {
      var ex = fold(x.n).join(" ") !== key, ey = fold(y.n).join(" ") !== key;
      return (ex - ey) || (x.s < y.s ? -1 : x.s > y.s ? 1 : 0) || (x.n < y.n ? -1 : x.n > y.n ? 1 : 0);
    });
    return hits;
  }
  window.agencySearch = search;
  function el(tag, text, cls) { var e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; }
  function render(text) {
    var out = document.getElementById("results");
    out.textContent = "";
    if (!fold(text).length) return;
    var hits = search(text), shown = hits.slice(0, 50);
    out.appendChild(el("p", hits.length + (hits.length === 1 ? " agency matches" : " agencies match") + (hits.length > shown.length ? "; the first " + shown.length + " are shown" : "") + ".", "meta"));
    shown.forEach(function (a) {
      var box = el("section", "", "result");
      var h = el("h3"); var link = el("a", a.n + " (" + a.s + ")"); link.href = "states/" + a.s + ".html#" + encodeURIComponent(a.i); h.appendChild(link); box.appendChild(h);
      box.appendChild(el("p", "Status: " + a.st + ". On the " + a.k + " list from the sheet of " + a.f + " to the sheet of " + a.l + ".", "status"));
      if (a.p.length) box.appendChild(el("p", "Also printed as: " + a.p.join("; "), "meta"));
      if (a.a.length) {
        var wrap = el("div", "", "scroll"), t = el("table"), head = el("tr");
        ["list", "model", "signed", "status", "first listed", "last listed", "gone from"].forEach(function (c) { var th = el("th", c); th.scope = "col"; head.appendChild(th); });
        var thead = el("thead"); thead.appendChild(head); t.appendChild(thead);
        var body = el("tbody");
        a.a.forEach(function (g) { var tr = el("tr"); g.forEach(function (v) { tr.appendChild(el("td", v || "—")); }); body.appendChild(tr); });
        t.appendChild(body); wrap.appendChild(t); box.appendChild(wrap);
      }
      out.appendChild(box);
    });
  }
  var input = document.getElementById("q");
  if (!input) return;
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; render(q); }
  input.addEventListener("input", function () { render(input.value); });
})();
