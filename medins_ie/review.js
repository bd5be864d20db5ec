/* medins_ie review page: one controller per document section. Data comes from the section's JSON
   script element; every string from it is inserted as text (textContent), never as markup. */
(function () {
  "use strict";
  var LABELS = JSON.parse(document.getElementById("labels").textContent);
  var HL = !!(window.CSS && CSS.highlights && typeof window.Highlight === "function");
  var ROLES = ["scheme", "account", "metric", "period", "region"];
  var PAGE = 200;
  var NUM = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });
  // a record row: [id, type, value, unit, text, start, end, scheme#, account, metric#, measure, status,
  //                period [text, start, end, from, to, kind] | null, region, qualifiers, evidence, related#]
  var COLS = [   // [header, sort key, display (default: the key), numeric]
    ["id", function (r) { return +r[0].replace(/\D/g, "") || r[0]; }, function (r) { return r[0]; }],
    ["text", function (r) { return r[4]; }],
    ["value", function (r) { return r[2]; }, function (r) { return NUM.format(r[2]) + " " + r[3]; }, true],
    ["metric", function (r) { return LABELS.metric[r[9]]; }],
    ["scheme", function (r) { return r[7] < 0 ? "" : LABELS.scheme[r[7]]; }],
    ["account", function (r) { return r[8] || ""; }],
    ["measure", function (r) { return r[10]; }],
    ["status", function (r) { return r[11]; }],
    ["period", function (r) { return r[12] ? (r[12][3] || "") + " – " + (r[12][4] || "") : ""; }],
    ["region", function (r) { return r[13] || ""; }],
    ["type", function (r) { return r[1]; }]
  ];
  var FILTERS = [["scheme", 4], ["metric", 3], ["status", 7], ["measure", 6], ["type", 10]];
  var active = null;   // the controller whose highlights are shown

  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  function money(v) {
    var a = Math.abs(v);
    if (a >= 1e8) return NUM.format(v / 1e8) + " 亿元";
    if (a >= 1e4) return NUM.format(v / 1e4) + " 万元";
    return NUM.format(v) + " 元";
  }

  function Review(sec) {
    var self = this;
    this.sec = sec;
    this.D = JSON.parse(document.getElementById(sec.getAttribute("data-json")).textContent);
    this.R = this.D.records;
    this.textEl = sec.querySelector(".text");
    this.blocks = Array.prototype.slice.call(this.textEl.querySelectorAll(".blk"));
    this.starts = this.blocks.map(function (b) { return +b.getAttribute("data-o"); });
    this.details = sec.querySelector(".details");
    this.pinned = -1;
    this.byRec = null; this.byCell = null; this.flagged = {}; this.visible = null;
    this.sortCol = 0; this.sortDir = 1; this.page = 0;
    this.filter = { scheme: "", metric: "", status: "", measure: "", type: "", q: "" };
    this.findingsOf = {};
    this.D.findings.forEach(function (f, k) {
      f[3].forEach(function (i) { (self.findingsOf[i] = self.findingsOf[i] || []).push(k); });
    });
    this.buildLegend();
    this.buildTable();
    this.wire();
  }

  Review.prototype.marksOf = function (i) {
    if (!this.byRec) {
      var by = this.byRec = {};
      this.textEl.querySelectorAll("mark.r").forEach(function (m) {
        var k = m.getAttribute("data-r");
        (by[k] = by[k] || []).push(m);
      });
    }
    return this.byRec[i] || [];
  };

  // ---------------------------------------------------------------- offsets to DOM ranges
  Review.prototype.point = function (o) {
    var lo = 0, hi = this.starts.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (this.starts[mid] <= o) lo = mid; else hi = mid - 1; }
    var blk = this.blocks[lo], rel = o - this.starts[lo], acc = 0, n, last = null;
    var w = document.createTreeWalker(blk, NodeFilter.SHOW_TEXT);
    while ((n = w.nextNode())) {
      if (rel <= acc + n.data.length) return [n, rel - acc];
      acc += n.data.length; last = n;
    }
    return last ? [last, last.data.length] : [blk, 0];
  };
  Review.prototype.range = function (s, e) {
    var r = document.createRange(), a = this.point(s), b = this.point(e);
    r.setStart(a[0], a[1]); r.setEnd(b[0], b[1]);
    return r;
  };
  Review.prototype.scrollToRange = function (r) {
    this.reveal(r.startContainer.nodeType === 1 ? r.startContainer : r.startContainer.parentElement);
  };
  // scroll the text pane (only it: the side panel and the page stay where they are) to centre an element
  Review.prototype.reveal = function (el) {
    var pane = this.textEl, top = el.getBoundingClientRect().top - pane.getBoundingClientRect().top;
    pane.scrollTop += top - pane.clientHeight / 2;
  };

  // ---------------------------------------------------------------- highlights
  Review.prototype.take = function () {
    if (active && active !== this) active.clearAll();
    active = this;
  };
  Review.prototype.clearAll = function () {
    if (HL) ["span", "ents", "ents-unused"].concat(ROLES.map(function (x) { return "ev-" + x; }), ["ev-other"])
      .forEach(function (k) { CSS.highlights.delete(k); });
  };
  Review.prototype.showEvidence = function (i) {
    if (!HL) return;
    var self = this, groups = {};
    ROLES.concat(["other"]).forEach(function (k) { CSS.highlights.delete("ev-" + k); });
    if (i < 0) return;
    this.R[i][15].forEach(function (ev) {
      var k = ROLES.indexOf(ev[0]) >= 0 ? ev[0] : "other";
      (groups[k] = groups[k] || []).push(self.range(ev[1], ev[2]));
    });
    Object.keys(groups).forEach(function (k) {
      var hl = new Highlight();
      groups[k].forEach(function (r) { hl.add(r); });
      CSS.highlights.set("ev-" + k, hl);
    });
  };
  Review.prototype.flashSpan = function (s, e) {
    var r = this.range(s, e);
    this.take();
    if (HL) CSS.highlights.set("span", new Highlight(r));
    this.scrollToRange(r);
  };
  Review.prototype.toggleEntities = function (on) {
    this.take();
    if (!HL) return;
    CSS.highlights.delete("ents"); CSS.highlights.delete("ents-unused");
    if (!on) return;
    var used = new Highlight(), unused = new Highlight(), self = this;
    for (var E = this.D.entities, k = 0; k < E.length; k += 3) (E[k + 2] ? used : unused).add(this.range(E[k], E[k + 1]));
    CSS.highlights.set("ents", used); CSS.highlights.set("ents-unused", unused);
  };

  // ---------------------------------------------------------------- selection and details
  Review.prototype.cellsOf = function (i) {
    if (!this.byCell) {
      var by = this.byCell = {};
      this.sec.querySelectorAll(".grid td.c").forEach(function (c) {
        var k = c.getAttribute("data-r");
        (by[k] = by[k] || []).push(c);
      });
    }
    return this.byCell[i] || [];
  };
  // mark elements with a class, and take it off the ones marked before (no search of the whole page)
  Review.prototype.flag = function (cls, els) {
    var was = this.flagged[cls] || [];
    was.forEach(function (e) { e.classList.remove(cls); });
    els.forEach(function (e) { e.classList.add(cls); });
    this.flagged[cls] = els;
  };

  Review.prototype.select = function (i, scroll) {
    this.take();
    this.pinned = i;
    var marks = this.marksOf(i);
    this.flag("sel", marks.concat(this.cellsOf(i)));
    this.show(i);
    this.revealRow(i);
    if (scroll && marks.length) this.reveal(marks[0]);
  };
  Review.prototype.show = function (i) {
    this.showEvidence(i);
    var d = this.details, self = this;
    d.replaceChildren();
    if (i < 0) { d.appendChild(h("p", { cls: "hint", text: "Hover or click a highlighted figure to see its record." })); return; }
    var r = this.R[i], p = r[12], ptext = p && (p[0] || (p[1] != null ? this.range(p[1], p[2]).toString() : ""));
    var value = NUM.format(r[2]) + " " + r[3] + (r[3] === "CNY" ? "  (" + money(r[2]) + ")" : "");
    d.appendChild(h("h3", null, [r[0] + " ", h("span", { cls: "t", text: r[4] }), h("span", { cls: "v", text: value })]));
    var rows = [
      ["value", value], ["type", r[1]], ["scheme", r[7] < 0 ? "—" : LABELS.scheme[r[7]]], ["account", r[8] || "—"],
      ["metric", LABELS.metric[r[9]]], ["measure", r[10]], ["status", r[11]],
      ["period", p ? (ptext ? "「" + ptext + "」 " : "") + (p[3] || "?") + " – " + (p[4] || "?") + (p[5] ? " (" + p[5] + ")" : "") : "—"],
      ["region", r[13] || "—"],
      ["qualifiers", Object.keys(r[14]).length ? Object.keys(r[14]).map(function (k) {
        var v = r[14][k]; return k + ": " + (Array.isArray(v) ? v.join(", ") : v); }).join("; ") : "—"],
      ["span", r[5] + " – " + r[6]]
    ];
    var t = h("table", { cls: "kv" });
    rows.forEach(function (kv) { t.appendChild(h("tr", null, [h("td", { text: kv[0] }), h("td", { text: String(kv[1]) })])); });
    if (r[16] != null) {
      var rel = this.R[r[16]];
      t.appendChild(h("tr", null, [h("td", { text: "related" }),
        h("td", null, [h("a", { href: "#", cls: "chip", "data-r": String(r[16]), text: rel[0] + " " + rel[4] })])]));
    }
    d.appendChild(t);
    d.appendChild(h("div", { cls: "hint", text: r[15].length ? "evidence (the words the binding came from):" : "no evidence span" }));
    var ul = h("ul");
    r[15].forEach(function (ev) {
      var k = ROLES.indexOf(ev[0]) >= 0 ? ev[0] : "other";
      var li = h("li", { cls: "ev", "data-s": String(ev[1]), "data-e": String(ev[2]) },
        [h("span", { cls: "sw swatch-" + k }), ev[0] + ": 「" + self.range(ev[1], ev[2]).toString() + "」"]);
      ul.appendChild(li);
    });
    d.appendChild(ul);
    (this.findingsOf[i] || []).forEach(function (k) {
      var f = self.D.findings[k];
      d.appendChild(h("p", { cls: "sev", text: f[1] + " " + f[0] + ": " + f[2] }));
    });
  };

  // ---------------------------------------------------------------- legend
  Review.prototype.buildLegend = function () {
    var by = this.sec.classList.contains("by-scheme") ? "scheme" : "metric";
    var col = by === "scheme" ? 7 : 9, counts = {}, self = this, lg = this.sec.querySelector(".legend");
    this.R.forEach(function (r) { counts[r[col]] = (counts[r[col]] || 0) + 1; });
    lg.replaceChildren();
    Object.keys(counts).map(Number).sort(function (a, b) { return a - b; }).forEach(function (k) {
      var name = k < 0 ? "(no scheme)" : LABELS[by][k];
      var sw = h("span", { cls: "sw " + (k < 0 ? "none" : (by === "scheme" ? "s" : "m") + k) });
      var item = h("span", { "data-k": name, title: "filter the records table by " + by }, [sw, name + " " + counts[k]]);
      if (self.filter[by] && self.filter[by] !== name) item.className = "off";
      lg.appendChild(item);
    });
    lg.appendChild(h("span", null, [h("mark", { cls: "u", text: "  " }), " quantity without a record " +
      this.textEl.querySelectorAll("mark.u").length]));
  };

  // ---------------------------------------------------------------- records table
  Review.prototype.buildTable = function () {
    var self = this, f = this.sec.querySelector(".filters");
    FILTERS.forEach(function (fl) {
      var seen = {};
      self.R.forEach(function (r) { var v = COLS[fl[1]][1](r); seen[v] = (seen[v] || 0) + 1; });
      var sel = h("select", { "data-f": fl[0], title: "filter by " + fl[0] }, [h("option", { value: "", text: "all " + fl[0] })]);
      Object.keys(seen).sort().forEach(function (v) {
        sel.appendChild(h("option", { value: v, text: (v || "(none)") + " (" + seen[v] + ")" }));
      });
      f.appendChild(sel);
    });
    f.appendChild(h("input", { type: "search", placeholder: "search text, id, region", "data-f": "q" }));
    var tr = h("tr");
    COLS.forEach(function (c, k) { tr.appendChild(h("th", { "data-c": String(k), text: c[0] })); });
    this.sec.querySelector("table.rt thead").appendChild(tr);
    this.renderTable();
  };
  Review.prototype.rows = function () {
    var F = this.filter, R = this.R, q = F.q.toLowerCase(), out = [];
    for (var i = 0; i < R.length; i++) {
      var r = R[i], ok = true;
      for (var k = 0; k < FILTERS.length && ok; k++) {
        var want = F[FILTERS[k][0]];
        if (want !== "" && COLS[FILTERS[k][1]][1](r) !== want) ok = false;
      }
      if (ok && q && (r[0] + " " + r[4] + " " + (r[13] || "") + " " + (r[12] ? r[12][3] : "")).toLowerCase().indexOf(q) < 0) ok = false;
      if (ok) out.push(i);
    }
    var key = COLS[this.sortCol][1], dir = this.sortDir;
    var keys = out.map(function (i) { return key(R[i]); });
    var order = out.map(function (_, n) { return n; });
    order.sort(function (a, b) { var x = keys[a], y = keys[b]; return x < y ? -dir : x > y ? dir : a - b; });
    return order.map(function (n) { return out[n]; });
  };
  Review.prototype.renderTable = function (refilter) {
    if (refilter || !this.visible) this.visible = this.rows();
    var self = this, rows = this.visible, n = rows.length;
    this.page = Math.max(0, Math.min(this.page, Math.ceil(n / PAGE) - 1));
    var body = this.sec.querySelector("table.rt tbody"), from = this.page * PAGE, to = Math.min(n, from + PAGE);
    var frag = document.createDocumentFragment();
    for (var k = from; k < to; k++) {
      var i = rows[k], r = this.R[i], tr = h("tr", { "data-r": String(i) });
      if (i === this.pinned) { tr.className = "sel"; (this.flagged.sel = this.flagged.sel || []).push(tr); }
      COLS.forEach(function (c) {
        tr.appendChild(h("td", { cls: c[3] ? "num" : "", text: String((c[2] || c[1])(r)) }));
      });
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
    this.sec.querySelectorAll("table.rt th").forEach(function (th) {
      th.className = +th.getAttribute("data-c") === self.sortCol ? (self.sortDir > 0 ? "asc" : "desc") : "";
    });
    var pg = this.sec.querySelector(".pager");
    pg.replaceChildren(n ? (from + 1) + "–" + to + " of " + n + " records " : "no record matches ");
    if (this.page > 0) pg.appendChild(h("button", { "data-p": "-1", text: "◀ previous" }));
    if (to < n) pg.appendChild(h("button", { "data-p": "1", text: "next ▶" }));
  };
  Review.prototype.revealRow = function (i) {
    var pos = this.visible ? this.visible.indexOf(i) : -1;
    if (pos < 0) return;
    var pg = Math.floor(pos / PAGE);
    if (pg !== this.page) { this.page = pg; this.renderTable(); }
    var tr = this.sec.querySelector('table.rt tr[data-r="' + i + '"]');
    if (tr) {
      if (!tr.classList.contains("sel")) { tr.classList.add("sel"); (this.flagged.sel = this.flagged.sel || []).push(tr); }
      var pane = tr.closest(".pane");
      if (pane.classList.contains("on")) pane.scrollTop = tr.offsetTop - pane.clientHeight / 2;
    }
  };

  // ---------------------------------------------------------------- events
  Review.prototype.wire = function () {
    var self = this, sec = this.sec;
    this.textEl.addEventListener("mouseover", function (e) {
      var m = e.target.closest && e.target.closest("mark.r");
      if (m) { self.take(); self.show(+m.getAttribute("data-r")); }
    });
    this.textEl.addEventListener("mouseleave", function () { if (active === self) self.show(self.pinned); });
    sec.addEventListener("click", function (e) {
      var t = e.target, x;
      if ((x = t.closest("[data-r]"))) {
        e.preventDefault();
        self.select(+x.getAttribute("data-r"), !x.closest(".text"));
      } else if ((x = t.closest("li.ev"))) {
        self.flashSpan(+x.getAttribute("data-s"), +x.getAttribute("data-e"));
      } else if ((x = t.closest("li.f"))) {
        self.showFinding(+x.getAttribute("data-f"), x);
      } else if ((x = t.closest("a.goto"))) {
        e.preventDefault();
        var g = x.closest(".grid");
        self.flashSpan(+g.getAttribute("data-s"), +g.getAttribute("data-e"));
      } else if ((x = t.closest(".tabs button"))) {
        sec.querySelectorAll(".tabs button, .pane").forEach(function (b) { b.classList.remove("on"); });
        x.classList.add("on");
        sec.querySelector(".pane." + x.getAttribute("data-tab")).classList.add("on");
      } else if ((x = t.closest("table.rt th"))) {
        var c = +x.getAttribute("data-c");
        self.sortDir = self.sortCol === c ? -self.sortDir : 1; self.sortCol = c; self.page = 0;
        self.renderTable(true); sec.querySelector(".pane.records").scrollTop = 0;
      } else if ((x = t.closest(".pager button"))) {
        self.page += +x.getAttribute("data-p"); self.renderTable(); sec.querySelector(".pane.records").scrollTop = 0;
      } else if ((x = t.closest(".legend span[data-k]"))) {
        var by = sec.classList.contains("by-scheme") ? "scheme" : "metric", k = x.getAttribute("data-k");
        self.filter[by] = self.filter[by] === k || k === "(no scheme)" ? "" : k;
        sec.querySelector('select[data-f="' + by + '"]').value = self.filter[by];
        self.page = 0; self.renderTable(true); self.buildLegend();
      }
    });
    sec.addEventListener("change", function (e) {
      var t = e.target;
      if (t.name && t.name.indexOf("by-") === 0) {
        sec.classList.toggle("by-scheme", t.value === "scheme");
        sec.classList.toggle("by-metric", t.value === "metric");
        self.buildLegend();
      } else if (t.classList.contains("ents")) {
        self.toggleEntities(t.checked);
      } else if (t.getAttribute("data-f")) {
        self.filter[t.getAttribute("data-f")] = t.value; self.page = 0; self.renderTable(true); self.buildLegend();
      }
    });
    sec.querySelector('input[data-f="q"]').addEventListener("input", function (e) {
      self.filter.q = e.target.value; self.page = 0; self.renderTable(true);
    });
  };
  Review.prototype.showFinding = function (k, li) {
    var self = this, marks = [];
    this.take();
    this.flag("fsel", [li]);
    this.D.findings[k][3].forEach(function (i) { marks = marks.concat(self.marksOf(i)); });
    this.flag("fnd", marks);
    if (marks.length) this.reveal(marks[0]);
  };

  window.medinsReview = Array.prototype.map.call(document.querySelectorAll("section.doc"), function (sec) {
    return new Review(sec);
  });
})();
