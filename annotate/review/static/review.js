// The review site's article list and article view (annotate/review/site.py writes the data files).
// Every text from the data reaches the page through textContent, never innerHTML.
// Offsets are Python code points; JavaScript strings are UTF-16, so texts are cut as arrays of code points.
(function () {
  "use strict";
  var META = window.REVIEW_META;
  var ROWS = window.REVIEW_INDEX;
  var PAGE = 50;
  var KIND_NAMES = { matched: "matched", label: "label", boundary: "boundary", label_and_boundary: "both", miss: "miss" };
  var SEVERITY = ["matched", "boundary", "label", "label_and_boundary", "miss"];
  var GOLD_NAMES = { complete: "complete", conflict: "in conflict", adjudicated: "adjudicated", none: "no gold yet" };
  var KINDS = META.kinds.length;
  // Row fields (site.py): id, title, strict F1, rank, annotators, label*kinds+kind codes, rounds, gold, chunk,
  // labels marked by anyone.
  var ID = 0, TITLE = 1, F1 = 2, RANK = 3, ANN = 4, LK = 5, ROUNDS = 6, GOLD = 7, CHUNK = 8, LABELS = 9;
  var state = { label: "", kind: "", annotator: "", round: "", gold: "", search: "", page: 0 };
  var order = ROWS.map(function (row, index) { return index; });
  order.sort(function (a, b) {
    var ra = ROWS[a][RANK], rb = ROWS[b][RANK];
    if (ra === null && rb !== null) return 1;
    if (rb === null && ra !== null) return -1;
    if (ra !== rb) return ra - rb;
    return ROWS[a][ID] < ROWS[b][ID] ? -1 : ROWS[a][ID] > ROWS[b][ID] ? 1 : 0;
  });
  var filtered = order;
  var position = {};  // article id -> row index
  ROWS.forEach(function (row, index) { position[row[ID]] = index; });
  var chunks = {}, waiting = {}, texts = {};
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  // -- data chunks, loaded with <script src> (fetch() of a local file fails under file://) ----------------
  window.REVIEW_CHUNK = function (number, articles) {
    chunks[number] = articles;
    Object.keys(articles).forEach(function (id) { texts[id] = (articles[id].text || "").toLowerCase(); });
    (waiting[number] || []).forEach(function (done) { done(articles); });
    delete waiting[number];
  };

  function loadChunk(number, done) {
    if (chunks[number]) { done(chunks[number]); return; }
    if (!waiting[number]) {
      waiting[number] = [];
      var script = document.createElement("script");
      script.src = "data/chunk-" + String(number).padStart(4, "0") + ".js";
      script.onerror = function () { $("article").replaceChildren(el("p", "Could not read " + script.src + ".")); };
      document.head.appendChild(script);
    }
    waiting[number].push(done);
  }

  // -- the list: filters, search, order, pages ------------------------------------------------------------
  function fill(select, names, shown) {
    names.forEach(function (name, index) {
      var option = el("option", shown ? shown(name) : name);
      option.value = String(index);
      select.appendChild(option);
    });
  }

  function matches(row) {
    var label = state.label === "" ? -1 : Number(state.label);
    var kind = state.kind === "" ? -1 : Number(state.kind);
    if (label >= 0 && kind < 0) {
      if (row[LABELS].indexOf(label) < 0) return false;
    } else if (label >= 0 || kind >= 0) {
      var found = row[LK].some(function (code) {
        return (label < 0 || Math.floor(code / KINDS) === label) && (kind < 0 || code % KINDS === kind);
      });
      if (!found) return false;
    }
    if (state.annotator !== "" && row[ANN].indexOf(Number(state.annotator)) < 0) return false;
    if (state.round !== "" && row[ROUNDS].indexOf(Number(state.round)) < 0) return false;
    if (state.gold !== "" && row[GOLD] !== Number(state.gold)) return false;
    if (state.search) {
      var query = state.search;
      var text = texts[row[ID]];
      if (row[TITLE].toLowerCase().indexOf(query) < 0 && !(text && text.indexOf(query) >= 0)) return false;
    }
    return true;
  }

  function applyFilters() {
    filtered = order.filter(function (index) { return matches(ROWS[index]); });
    var pages = Math.max(1, Math.ceil(filtered.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    drawList();
  }

  function drawList() {
    var body = $("list").tBodies[0];
    var rows = filtered.slice(state.page * PAGE, (state.page + 1) * PAGE).map(function (index, place) {
      var row = ROWS[index];
      var tr = document.createElement("tr");
      tr.dataset.id = row[ID];
      tr.appendChild(el("td", state.page * PAGE + place + 1));
      var cell = el("td");
      var link = el("a", row[TITLE] || row[ID]);
      link.href = "#article=" + encodeURIComponent(row[ID]);
      cell.appendChild(link);
      tr.appendChild(cell);
      tr.appendChild(el("td", row[F1] === null ? "n/a" : row[F1].toFixed(3), "num"));
      var gold = META.gold[row[GOLD]];
      var badge = el("span", GOLD_NAMES[gold], "badge " + gold);
      var goldCell = el("td");
      goldCell.appendChild(badge);
      tr.appendChild(goldCell);
      tr.appendChild(el("td", row[ANN].map(function (a) { return META.annotators[a]; }).join(", ")));
      return tr;
    });
    body.replaceChildren.apply(body, rows);
    var pages = Math.max(1, Math.ceil(filtered.length / PAGE));
    $("count").textContent = "(" + filtered.length + " of " + ROWS.length + ", lowest agreement first)";
    $("page").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev-page").disabled = state.page === 0;
    $("next-page").disabled = state.page >= pages - 1;
  }

  var searching = false;
  function searchText() {
    // The titles answer at once; the texts as their chunks arrive (each chunk once).
    applyFilters();
    if (!state.search || searching) return;
    var numbers = [];
    for (var n = 0; n * META.chunk_size < ROWS.length; n++) if (!chunks[n]) numbers.push(n);
    if (!numbers.length) { $("search-state").textContent = ""; return; }
    searching = true;
    var left = numbers.length;
    $("search-state").textContent = "searching the texts…";
    numbers.forEach(function (number) {
      loadChunk(number, function () {
        left -= 1;
        if (left === 0) {
          searching = false;
          $("search-state").textContent = "";
          applyFilters();
        }
      });
    });
  }

  // -- one article ------------------------------------------------------------------------------------------
  function worst(seen) {
    var kinds = Object.keys(seen).map(function (name) { return seen[name]; });
    if (!kinds.length) return null;
    return kinds.reduce(function (a, b) { return SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a; });
  }

  function spanMark(lane, span, index) {
    var mark = el("mark", null, "span");
    mark.dataset.span = String(index);
    mark.dataset.label = span[2];
    var colour = META.colours[span[2]] || "#ffd54f";
    mark.style.setProperty("--colour", "color-mix(in srgb, " + colour + " 35%, white)");
    var title = span[2];
    if (lane.kind === "annotator") {
      var kind = worst(span[3]);
      if (kind) {
        mark.classList.add("k-" + kind);
        mark.dataset.kind = kind;
      }
      title += Object.keys(span[3]).map(function (other) {
        return " · " + other + ": " + KIND_NAMES[span[3][other]];
      }).join("");
    } else if (span[3]) {
      title += " · " + span[3];
    }
    mark.title = title;
    return mark;
  }

  function laneText(lane, points, from, to) {
    // Cut [from, to) at every span boundary inside it; nest a mark for each span covering a piece.
    var box = el("div", null, "lane-text");
    var inside = [];
    var cuts = [from, to];
    lane.spans.forEach(function (span, index) {
      if (span[0] < to && span[1] > from) {
        inside.push(index);
        cuts.push(Math.max(span[0], from), Math.min(span[1], to));
      }
    });
    cuts = Array.from(new Set(cuts)).sort(function (a, b) { return a - b; });
    for (var i = 0; i + 1 < cuts.length; i++) {
      var a = cuts[i], b = cuts[i + 1];
      var covering = inside.filter(function (index) { return lane.spans[index][0] <= a && lane.spans[index][1] >= b; });
      covering.sort(function (x, y) {
        return lane.spans[x][0] - lane.spans[y][0] || lane.spans[y][1] - lane.spans[x][1];
      });
      var node = document.createTextNode(points.slice(a, b).join(""));
      for (var c = covering.length - 1; c >= 0; c--) {
        var mark = spanMark(lane, lane.spans[covering[c]], covering[c]);
        mark.appendChild(node);
        node = mark;
      }
      box.appendChild(node);
    }
    return box;
  }

  function drawArticle(article, rowIndex) {
    var view = $("article");
    var place = filtered.indexOf(rowIndex);
    var nav = el("nav");
    var back = el("a", "◀ all articles");
    back.href = "#";
    nav.appendChild(back);
    nav.appendChild(el("span", place >= 0 ? "  ·  " + (place + 1) + " of " + filtered.length + " (j / k)" : "  ·  not in the filtered list"));
    var parts = [nav, el("h2", article.title || article.id)];
    var figures = article.figures || {};
    var about = "article " + article.id + " · strict F1 " + text(figures.strict_f1) + " · overlap F1 " +
      text(figures.overlap_f1) + " · alpha_U " + text(figures.unitizing_alpha) + " · gold: " + GOLD_NAMES[article.gold];
    if (article.rounds.length) about += " · rounds: " + article.rounds.join(", ");
    if (article.left_out.length) about += " · not compared (text changed or offsets outside it): " + article.left_out.join(", ");
    parts.push(el("p", about, "meta"));
    if (article.link) {
      var open = el("a", "open the task in Label Studio");
      open.href = article.link;
      open.id = "studio-link";
      open.target = "_blank";
      open.rel = "noopener";
      var holder = el("p");
      holder.appendChild(open);
      parts.push(holder);
    }
    var legend = el("p", null, "legend");
    legend.appendChild(el("span", "Underline: how the other annotators saw a span (the worst of them; hover for each):"));
    SEVERITY.forEach(function (kind) {
      var sample = el("mark", KIND_NAMES[kind], "span k-" + kind);
      legend.appendChild(sample);
      legend.appendChild(document.createTextNode(" "));
    });
    parts.push(legend);
    var labels = el("p", null, "legend");
    labels.appendChild(el("span", "Labels:"));
    META.labels.forEach(function (label) {
      var sample = el("mark", label, "span");
      sample.style.setProperty("--colour", "color-mix(in srgb, " + (META.colours[label] || "#ffd54f") + " 35%, white)");
      labels.appendChild(sample);
      labels.appendChild(document.createTextNode(" "));
    });
    parts.push(labels);
    var points = Array.from(article.text);
    var start = 0;
    var lanes = el("div", null, "lanes");
    for (var i = 0; i <= points.length; i++) {
      if (i === points.length || points[i] === "\n") {
        if (i > start) {
          var para = el("div", null, "para");
          article.lanes.forEach(function (lane) {
            var row = el("div", null, "lane");
            row.dataset.lane = lane.name;
            row.dataset.kind = lane.kind;
            row.appendChild(el("div", lane.name, "lane-name"));
            row.appendChild(laneText(lane, points, start, i));
            para.appendChild(row);
          });
          lanes.appendChild(para);
        }
        start = i + 1;
      }
    }
    parts.push(lanes);
    var choiceLanes = article.lanes.filter(function (lane) { return lane.choices; });
    if (META.controls.length && choiceLanes.length) {
      parts.push(el("h3", "Document-level choices"));
      var table = el("table", null, "choices");
      var head = el("tr");
      head.appendChild(el("th", ""));
      META.controls.forEach(function (name) { head.appendChild(el("th", name)); });
      table.appendChild(head);
      choiceLanes.forEach(function (lane) {
        var tr = el("tr");
        tr.appendChild(el("th", lane.name));
        META.controls.forEach(function (name) { tr.appendChild(el("td", (lane.choices[name] || []).join("; "))); });
        table.appendChild(tr);
      });
      parts.push(table);
    }
    if (article.conflicts.length) {
      parts.push(el("h3", "Conflicts annotate gold left open"));
      var list = el("ul", null, "conflicts");
      article.conflicts.forEach(function (conflict) {
        var item = el("li", (conflict.control ? conflict.control + ": " : "") + conflict.kind + " — " + conflict.reason);
        var candidates = el("ul");
        conflict.candidates.forEach(function (c) {
          var what = c.option !== undefined ? c.option : "“" + c.text + "” " + c.label + " [" + c.start + ", " + c.end + ")";
          candidates.appendChild(el("li", what + " — " + (c.support.join(", ") || "nobody")));
        });
        item.appendChild(candidates);
        list.appendChild(item);
      });
      parts.push(list);
    }
    if (article.decision) {
      parts.push(el("h3", "Adjudication"));
      parts.push(el("p", "Decided by " + (article.decision.adjudicator || "an adjudicator") +
        (article.decision.updated_at ? " on " + article.decision.updated_at : "") + ": the lane “adjudication” shows it; gold follows it."));
    }
    view.replaceChildren.apply(view, parts);
    view.dataset.id = article.id;
  }

  function text(value) {
    return value === null || value === undefined ? "n/a" : Number(value).toFixed(3);
  }

  // -- routes and keys ----------------------------------------------------------------------------------------
  function current() {
    var match = /^#article=(.*)$/.exec(location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function route() {
    var id = current();
    var showArticle = id !== null && position[id] !== undefined;
    $("overview").hidden = showArticle;
    $("articles").hidden = showArticle;
    $("article").hidden = !showArticle;
    if (!showArticle) return;
    var rowIndex = position[id];
    $("article").replaceChildren(el("p", "Opening " + id + "…"));
    loadChunk(ROWS[rowIndex][CHUNK], function (articles) {
      if (current() === id) {
        drawArticle(articles[id], rowIndex);
        window.scrollTo(0, 0);
      }
    });
  }

  function move(step) {
    var id = current();
    var place = id === null ? -1 : filtered.indexOf(position[id]);
    var next = place < 0 ? (step > 0 ? 0 : -1) : place + step;
    if (next >= 0 && next < filtered.length) location.hash = "#article=" + encodeURIComponent(ROWS[filtered[next]][ID]);
  }

  document.addEventListener("keydown", function (event) {
    var tag = event.target && event.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
  });

  fill($("f-label"), META.labels);
  fill($("f-kind"), META.kinds, function (kind) { return KIND_NAMES[kind]; });
  fill($("f-annotator"), META.annotators);
  fill($("f-round"), META.rounds);
  fill($("f-gold"), META.gold, function (gold) { return GOLD_NAMES[gold]; });
  ["label", "kind", "annotator", "round", "gold"].forEach(function (name) {
    $("f-" + name).addEventListener("change", function (event) {
      state[name] = event.target.value;
      state.page = 0;
      applyFilters();
    });
  });
  $("f-search").addEventListener("input", function (event) {
    state.search = event.target.value.trim().toLowerCase();
    state.page = 0;
    searchText();
  });
  $("prev-page").addEventListener("click", function () { state.page -= 1; drawList(); });
  $("next-page").addEventListener("click", function () { state.page += 1; drawList(); });
  window.addEventListener("hashchange", route);
  applyFilters();
  route();
  window.REVIEW_READY_MS = performance.now();  // benchmarks/review_speed.py reads it
  document.body.dataset.ready = "true";
})();
