/// The dashboard's script (see ``DashboardPage``): standard JavaScript only.
///
/// Every 1.5 s it reads `GET /api/v1/job`, `/checkpoints`, `/throughput` and
/// `/exceptions` and redraws the panels; the job graph, charts and tables are
/// drawn by this code (SVG and HTML), no library. The selected vertex and
/// checkpoint live in the URL's fragment (`#vertex=1&checkpoint=12`), so a
/// reload keeps them. `window.tributary` exposes the refresh and the
/// savepoint call for tests.
enum DashboardScript {
  /// The JavaScript, inlined into the page's `<script>` element.
  static let javascript = formatting + graph + charts + panels + controls

  /// Helpers: escaping, number, time and size formats, fetching.
  private static let formatting = #"""
    "use strict";
    const REFRESH_MS = 1500;
    const WINDOW_MS = 5 * 60 * 1000;
    const ui = {
      job: null, checkpoints: null, throughput: [], exceptions: [], connected: false,
      lastContact: null, selectedVertex: null, selectedCheckpoint: null, detail: null,
      detailError: null, stopArmed: null, controlBusy: false,
    };
    const $ = (id) => document.getElementById(id);
    const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
    function esc(value) { return String(value ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]); }
    function fmtCount(n) {
      if (n == null || !isFinite(n)) return "–";
      const a = Math.abs(n);
      if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + "G";
      if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
      if (a >= 1e3) return (n / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
      return a >= 10 || n === Math.round(n) ? String(Math.round(n)) : n.toFixed(1);
    }
    const fmtRate = (n) => fmtCount(n) + "/s";
    const fmtPct = (r) => (r == null ? "–" : Math.round(r * 100) + "%");
    function fmtMs(ms) {
      if (ms == null) return "–";
      const a = Math.abs(ms);
      if (a < 1000) return Math.round(ms) + " ms";
      if (a < 60000) return (ms / 1000).toFixed(a < 10000 ? 2 : 1) + " s";
      const s = Math.floor(a / 1000), sign = ms < 0 ? "-" : "";
      if (s < 3600) return sign + Math.floor(s / 60) + " min " + (s % 60) + " s";
      if (s < 86400) return sign + Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
      return sign + Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
    }
    function fmtBytes(b) {
      if (b == null) return "–";
      if (b < 1024) return b + " B";
      const units = ["KiB", "MiB", "GiB", "TiB"];
      let v = b / 1024, i = 0;
      while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
      return v.toFixed(v >= 100 ? 0 : 1) + " " + units[i];
    }
    function fmtClock(t) {
      if (t == null) return "–";
      const d = new Date(t);
      return isNaN(d) ? String(t) : d.toLocaleTimeString([], { hour12: false });
    }
    function fmtDateTime(t) {
      if (t == null) return "–";
      const d = new Date(t);
      return isNaN(d) ? String(t) : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
    }
    // A GET of the API; one that takes over 5 s counts as failed (a process
    // that hangs or vanished behind a kept-alive connection).
    // Replaces an element's content only when it changed, so that what the
    // user opened or scrolled (a "Full error", a table) stays as it is.
    const shownHTML = new WeakMap();
    function setHTML(el, html) {
      if (shownHTML.get(el) === html) return;
      el.innerHTML = html;
      shownHTML.set(el, html);
    }
    async function getJSON(path) {
      const abort = new AbortController(), timer = setTimeout(() => abort.abort(), 5000);
      try {
        const response = await fetch(path, { cache: "no-store", signal: abort.signal });
        if (!response.ok) throw new Error(path + ": HTTP " + response.status);
        return await response.json();
      } finally {
        clearTimeout(timer);
      }
    }
    function readFragment() {
      const params = new URLSearchParams(location.hash.slice(1));
      const vertex = params.get("vertex"), checkpoint = params.get("checkpoint");
      ui.selectedVertex = vertex == null || vertex === "" ? null : Number(vertex);
      ui.selectedCheckpoint = checkpoint == null || checkpoint === "" ? null : Number(checkpoint);
    }
    function writeFragment() {
      const params = new URLSearchParams();
      if (ui.selectedVertex != null) params.set("vertex", ui.selectedVertex);
      if (ui.selectedCheckpoint != null) params.set("checkpoint", ui.selectedCheckpoint);
      const text = params.toString();
      history.replaceState(null, "", text ? "#" + text : location.pathname);
    }

    """#

  /// The job graph: vertices as coloured boxes in columns by depth, edges as
  /// SVG arrows labelled with their partitioning.
  private static let graph = #"""
    const BOX_H = 100, ROW_GAP = 18, PAD = 8;
    let BOX_W = 200, COL_GAP = 84;
    // Flink's colours: blue when idle, to red when busy; grey to black when backpressured.
    function vertexColour(v) {
      const busy = v.busy_ratio || 0, bp = v.backpressure_ratio || 0;
      if (bp > busy && bp >= 0.25) {
        const l = Math.round(82 - 52 * bp);
        return { fill: "hsl(0,0%," + l + "%)", ink: l < 58 ? "#fff" : "#111" };
      }
      const l = Math.round(86 - 30 * busy);
      return { fill: "hsl(" + Math.round(210 - 210 * busy) + ",70%," + l + "%)", ink: "#111" };
    }
    function layoutGraph(vertices, edges) {
      const depth = new Map(vertices.map((v) => [v.id, 0]));
      for (let pass = 0; pass < vertices.length; pass++) {
        let changed = false;
        for (const e of edges) {
          if (!depth.has(e.from) || !depth.has(e.to)) continue;
          if (depth.get(e.from) + 1 > depth.get(e.to)) {
            depth.set(e.to, depth.get(e.from) + 1);
            changed = true;
          }
        }
        if (!changed) break;
      }
      const columns = [];
      for (const v of vertices) (columns[depth.get(v.id)] ||= []).push(v);
      // As wide as fits the panel, between 150 and 220 pixels, centred.
      const panel = $("graph").clientWidth || 1200;
      const gaps = Math.max(1, columns.length - 1);
      COL_GAP = 84;
      const room = panel - 2 * PAD - (columns.length - 1) * COL_GAP;
      BOX_W = Math.max(150, Math.min(220, Math.floor(room / columns.length)));
      // Wider gaps (room for edge labels) when the boxes leave space.
      COL_GAP = Math.max(84, Math.min(130, Math.floor((panel - 2 * PAD -
        columns.length * BOX_W) / gaps)));
      const width = columns.length * BOX_W + (columns.length - 1) * COL_GAP;
      const left = Math.max(PAD, Math.floor((panel - width) / 2));
      // Each box near the mean height of its inputs (fewer edges cross boxes),
      // in that order down its column, without overlapping.
      const inputs = new Map(vertices.map((v) => [v.id, []]));
      for (const e of edges) if (inputs.has(e.to)) inputs.get(e.to).push(e.from);
      const boxes = new Map();
      let height = 0;
      columns.forEach((column, c) => {
        if (!column) return;
        const wanted = column.map((v, r) => {
          const ys = inputs.get(v.id).filter((id) => boxes.has(id)).map((id) => boxes.get(id).y);
          return { v, y: ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length
            : PAD + r * (BOX_H + ROW_GAP) };
        }).sort((a, b) => a.y - b.y);
        let next = PAD;
        for (const { v, y } of wanted) {
          const top = Math.max(next, y);
          boxes.set(v.id, { x: left + c * (BOX_W + COL_GAP), y: top });
          next = top + BOX_H + ROW_GAP;
          height = Math.max(height, top + BOX_H + PAD);
        }
      });
      return { boxes, width: left + width + PAD, height };
    }
    function renderGraph() {
      const job = ui.job, el = $("graph");
      if (!job) return;
      if (!job.vertices.length) {
        setHTML(el, '<p class="hint">The job has not started yet: no vertices.</p>');
        el.style.height = "";
        return;
      }
      const { boxes, width, height } = layoutGraph(job.vertices, job.edges);
      let svg = '<svg class="edges" width="' + width + '" height="' + height + '">' +
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" ' +
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" ' +
        'fill="#5d6878"/></marker></defs>';
      for (const e of job.edges) {
        const a = boxes.get(e.from), b = boxes.get(e.to);
        if (!a || !b) continue;
        const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x - 2, y2 = b.y + BOX_H / 2;
        const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
        svg += '<path d="M' + x1 + "," + y1 + " C" + mx + "," + y1 + " " + mx + "," + y2 + " " +
          x2 + "," + y2 + '" fill="none" stroke="#5d6878" stroke-width="1.6" ' +
          'marker-end="url(#arrow)"/>';
        // The partitioning, and a side output's tag on a second line.
        const lines = [e.partitioning];
        if (e.side_output) {
          const tag = e.side_output;
          lines.push(tag.length > 18 ? tag.slice(0, 17) + "…" : tag);
        }
        const w = 8 + Math.max(...lines.map((l) => l.length)) * 6.2, h = 4 + 12 * lines.length;
        svg += '<g><title>' + esc(e.partitioning + (e.side_output ? ", side output " +
          e.side_output : "")) + '</title><rect x="' + (mx - w / 2) + '" y="' + (my - h / 2) +
          '" width="' + w + '" height="' + h + '" rx="3" fill="#fff" stroke="#c4cad4"/>';
        lines.forEach((line, i) => {
          svg += '<text class="edge-label" x="' + mx + '" y="' + (my - h / 2 + 12 + 12 * i) +
            '" text-anchor="middle" style="font-size:10px">' + esc(line) + "</text>";
        });
        svg += "</g>";
      }
      svg += "</svg>";
      let html = svg;
      for (const v of job.vertices) {
        const box = boxes.get(v.id), colour = vertexColour(v);
        const selected = v.id === ui.selectedVertex ? " selected" : "";
        html += '<div class="vertex' + selected + '" data-vertex="' + v.id + '" style="left:' +
          box.x + "px;top:" + box.y + "px;width:" + BOX_W + "px;height:" + BOX_H +
          "px;background:" + colour.fill + ";color:" + colour.ink + '" title="' + esc(v.name) +
          '"><div class="vname">' + esc(v.name) + "</div><div>Parallelism " + v.parallelism +
          "</div><div>in " + fmtRate(v.records_in_per_second) + " · out " +
          fmtRate(v.records_out_per_second) + "</div><div>busy " + fmtPct(v.busy_ratio) +
          " · backpressure " + fmtPct(v.backpressure_ratio) + "</div></div>";
      }
      setHTML(el, html);
      el.style.height = height + 4 + "px";
    }

    """#

  /// Charts: the throughput lines and the checkpoint bars, in SVG.
  private static let charts = #"""
    // The smallest "round" number at least `value`, in steps that divide by 4.
    function niceMax(value) {
      if (!(value > 0)) return 1;
      const quarter = value / 4, unit = Math.pow(10, Math.floor(Math.log10(quarter)));
      for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (quarter <= m * unit) return 4 * m * unit;
      return 40 * unit;
    }
    function renderThroughput() {
      const samples = ui.throughput || [], el = $("throughput");
      const last = samples.length ? samples[samples.length - 1] : null;
      $("throughput-legend").innerHTML =
        '<span><span class="swatch" style="background:var(--source)"></span>Sources out ' +
        (last ? fmtRate(last.source_records_per_second) : "–") + '</span><span>' +
        '<span class="swatch" style="background:var(--sink)"></span>Sinks in ' +
        (last ? fmtRate(last.sink_records_per_second) : "–") + "</span>";
      const W = Math.max(300, el.clientWidth || 480), H = 190;
      const L = 50, R = 8, T = 8, B = 22, w = W - L - R, h = H - T - B;
      const end = last ? Math.max(last.time_ms, Date.now() - 2000) : Date.now(), start = end - WINDOW_MS;
      const shown = samples.filter((s) => s.time_ms >= start);
      const top = niceMax(Math.max(0, ...shown.map((s) =>
        Math.max(s.source_records_per_second, s.sink_records_per_second))));
      const x = (t) => L + ((t - start) / WINDOW_MS) * w, y = (v) => T + h - (v / top) * h;
      let svg = '<svg width="' + W + '" height="' + H + '" role="img" aria-label="throughput">';
      for (let i = 0; i <= 4; i++) {
        const v = (top * i) / 4, yy = y(v);
        svg += '<line x1="' + L + '" x2="' + (L + w) + '" y1="' + yy + '" y2="' + yy +
          '" stroke="#eceff3"/><text x="' + (L - 6) + '" y="' + (yy + 4) +
          '" text-anchor="end">' + fmtCount(v) + "</text>";
      }
      for (let m = 0; m <= 5; m++) {
        const xx = x(start + m * 60000);
        svg += '<text x="' + xx + '" y="' + (H - 6) + '" text-anchor="' +
          (m === 0 ? "start" : m === 5 ? "end" : "middle") + '">' +
          (m === 5 ? "now" : "-" + (5 - m) + " min") + "</text>";
      }
      const line = (key, colour) => {
        if (shown.length < 2) return "";
        const points = shown.map((s) => x(s.time_ms).toFixed(1) + "," + y(s[key]).toFixed(1));
        return '<polyline fill="none" stroke="' + colour + '" stroke-width="1.8" points="' +
          points.join(" ") + '"/>';
      };
      svg += line("source_records_per_second", "var(--source)");
      svg += line("sink_records_per_second", "var(--sink)");
      if (shown.length < 2) {
        svg += '<text x="' + (L + w / 2) + '" y="' + (T + h / 2) +
          '" text-anchor="middle">Waiting for samples (one a second)…</text>';
      }
      setHTML(el, svg + "</svg>");
    }
    function checkpointColour(c) {
      if (c.status === "FAILED") return "#d9534f";
      if (c.status === "IN_PROGRESS") return "#aab3c0";
      return c.is_savepoint ? "#8e5bc0" : "#2f6fce";
    }
    function renderCheckpointChart(history) {
      const el = $("checkpoint-chart"), shown = history.slice(-60);
      if (!shown.length) { setHTML(el, ""); return; }
      const W = Math.max(300, el.clientWidth || 600), rowH = 62, L = 64, T = 4;
      const slot = (W - L - 4) / 60, barW = Math.max(2, slot - 2);
      let svg = '<svg width="' + W + '" height="' + (T + rowH * 2 + 18) + '">';
      const rows = [
        ["Duration", (c) => c.duration_ms, fmtMs],
        ["Size", (c) => c.size_bytes, fmtBytes],
      ];
      rows.forEach(([title, value, format], r) => {
        const peak = Math.max(0, ...shown.map((c) => value(c) || 0)), top = niceMax(peak);
        const y0 = T + r * rowH, h = rowH - 14;
        svg += '<text x="0" y="' + (y0 + 12) + '">' + title + '</text><text x="0" y="' +
          (y0 + 26) + '">max ' + (peak ? format(peak) : "–") + '</text><line x1="' + L +
          '" x2="' + (W - 4) +
          '" y1="' + (y0 + h) + '" y2="' + (y0 + h) + '" stroke="#c4cad4"/>';
        shown.forEach((c, i) => {
          const failed = c.status === "FAILED";
          const v = value(c), bh = failed ? h : Math.max(v ? 2 : 1, ((v || 0) / top) * h);
          const selected = c.id === ui.selectedCheckpoint;
          svg += '<rect class="bar" data-checkpoint="' + c.id + '" x="' + (L + i * slot) +
            '" y="' + (y0 + h - bh) + '" width="' + barW + '" height="' + bh + '" fill="' +
            checkpointColour(c) + '"' + (failed ? ' fill-opacity="0.55"' : "") +
            (selected ? ' stroke="#111" stroke-width="2"' : "") + "><title>#" + c.id + " " +
            c.status + (failed ? ": " + esc(c.failure) : " " + title.toLowerCase() + " " +
            format(v)) + "</title></rect>";
        });
      });
      const legendY = T + rowH * 2 + 12;
      svg += '<text x="' + L + '" y="' + legendY + '">oldest</text><text x="' + (W - 4) + '" y="' +
        legendY + '" text-anchor="end">newest · blue completed · purple savepoint · ' +
        'red failed · grey in progress</text>';
      setHTML(el, svg + "</svg>");
    }

    """#

  /// The header, banners and the tables.
  private static let panels = #"""
    function renderHeader() {
      const job = ui.job;
      if (!job) return;
      $("job-name").textContent = job.name;
      const state = $("job-state");
      state.textContent = job.state;
      state.className = "state state-" + job.state;
      const parts = [];
      if (job.started_at) parts.push("started " + fmtDateTime(job.started_at));
      parts.push("running " + fmtMs(job.duration_ms));
      parts.push(job.restarts + (job.restarts === 1 ? " restart" : " restarts"));
      parts.push(job.checkpointing ? "checkpointing on" : "checkpointing off");
      $("job-meta").textContent = parts.join(" · ");
      document.title = job.name + " · " + job.state + " · Tributary";
      let banner = "";
      if (!ui.connected && ui.lastContact) {
        banner += '<div class="banner offline">The job process does not answer (it may have ' +
          "exited); showing what it reported at " + esc(fmtClock(ui.lastContact)) + ".</div>";
      }
      if (job.state === "FAILED") {
        banner += '<div class="banner failed" id="job-error">The job failed:<pre>' +
          esc(job.error || "no error recorded") + "</pre></div>";
      } else if (job.error) {
        banner += '<div class="banner restarted" id="job-error">' + (job.state === "RESTARTING"
          ? "Restarting after a failure:" : "Last failure (the job restarted after it):") +
          "<pre>" + esc(job.error) + "</pre></div>";
      }
      setHTML($("banner"), banner);
      const ended = ["FINISHED", "FAILED", "CANCELED"].includes(job.state);
      const why = ended ? "the job has ended" : !job.checkpointing
        ? "savepoints need checkpointing (--checkpoint-dir)" : "";
      for (const id of ["savepoint-button", "stop-button"]) {
        const button = $(id);
        button.disabled = ui.controlBusy || !!why || job.state !== "RUNNING" || !ui.connected;
        button.title = why || (!ui.connected ? "the job process does not answer"
          : job.state !== "RUNNING" ? "the job is " + job.state : "");
      }
    }
    function ratioBar(s) {
      return '<span class="ratio"><span class="busy" style="width:' + s.busy_ratio * 100 +
        '%"></span><span class="bp" style="width:' + s.backpressure_ratio * 100 +
        '%"></span><span class="idle" style="width:' + s.idle_ratio * 100 + '%"></span></span>';
    }
    // A watermark as its UTC date and time (`short`: the time only), "idle"
    // for idle subtasks, "none yet" before the first.
    function watermarkText(ms, idle, short) {
      if (idle) return '<span class="badge idle-badge">idle</span>';
      if (ms == null) return '<span class="hint">none yet</span>';
      const text = fmtDateTime(ms).replace(" UTC", "");
      return '<span title="' + esc(text) + " UTC (" + ms + ' ms)">' +
        esc(short ? text.slice(11) : text) + "</span>";
    }
    // Without a selection, every vertex (its most loaded subtask's ratios);
    // with one, that vertex's subtasks, so skew shows.
    function renderSubtasks() {
      const job = ui.job, el = $("subtasks");
      if (!job) return;
      const v = job.vertices.find((x) => x.id === ui.selectedVertex);
      const rows = v ? v.subtasks : job.vertices;
      $("subtasks-title").textContent = v ? "Subtasks of " + v.name : "Vertices";
      let html = v ? '<p><a href="#" id="all-vertices">← all vertices</a> · parallelism ' +
        v.parallelism + "</p>" : '<p class="hint">Click a vertex (here or in the graph) for its ' +
        "subtasks.</p>";
      html += '<div class="table-wrap"><table><thead><tr>' + (v ? '<th class="num">Subtask</th>'
        : '<th>Vertex</th><th class="num">Parallelism</th>') +
        '<th class="num">In/s (total)</th><th class="num">Out/s (total)</th>' +
        "<th>Busy · backpressure · idle</th><th>Watermark</th></tr></thead><tbody>";
      for (const r of rows) {
        const idle = v ? r.idle : r.subtasks.length > 0 && r.subtasks.every((s) => s.idle);
        html += (v ? '<tr class="subtask"><td class="num">' + r.index + "</td>"
          : '<tr class="clickable" data-vertex="' + r.id + '"><td class="name">' + esc(r.name) +
            '</td><td class="num">' + r.parallelism + "</td>") + '<td class="num">' +
          fmtRate(r.records_in_per_second) + ' <span class="hint">(' + fmtCount(r.records_in) +
          ')</span></td><td class="num">' + fmtRate(r.records_out_per_second) +
          ' <span class="hint">(' + fmtCount(r.records_out) + ")</span></td><td>" + ratioBar(r) +
          fmtPct(r.busy_ratio) +
          " · " + fmtPct(r.backpressure_ratio) + " · " + fmtPct(r.idle_ratio) + "</td><td>" +
          (v ? watermarkText(r.watermark_ms, idle, true) : vertexWatermarkText(r, idle, true)) +
          "</td></tr>";
      }
      setHTML(el, html + "</tbody></table></div>" + '<div class="legend"><span><span class="swatch ' +
        'busy"></span>busy</span><span><span class="swatch bp"></span>backpressured</span>' +
        '<span><span class="swatch idle"></span>idle (waiting for input)</span></div>');
    }
    // The watermark of a vertex: the API's (its input's), else the last one an
    // operator of its chain reports (a source chain: what it emits).
    function vertexWatermark(v) {
      if (v.watermark_ms != null) return { mark: v.watermark_ms, from: "" };
      const emitting = (v.operators || []).filter((o) => o.watermark_ms != null).pop();
      return emitting ? { mark: emitting.watermark_ms, from: emitting.name } : { mark: null, from: "" };
    }
    function isSource(v) { return !ui.job.edges.some((e) => e.to === v.id); }
    function vertexWatermarkText(v, allIdle, short) {
      const { mark, from } = vertexWatermark(v);
      const downstreamHas = ui.job.vertices.some((x) => x.watermark_ms != null);
      if (mark == null && !allIdle && isSource(v) && downstreamHas) {
        return '<span class="hint" title="The REST API reports no watermark for this source ' +
          'chain; the vertices downstream show the watermarks it emits.">not reported</span>';
      }
      return watermarkText(mark, allIdle, short) + (from && !allIdle ? ' <span class="hint" ' +
        'title="the watermark this operator of the chain emits">(' + esc(from) + ")</span>" : "");
    }
    function renderWatermarks() {
      const job = ui.job;
      if (!job) return;
      const now = Date.now();
      let html = "<table><thead><tr><th>Vertex</th><th>Watermark</th>" +
        '<th class="num" title="wall clock minus watermark">Lag</th><th>Idle subtasks</th>' +
        "</tr></thead><tbody>";
      for (const v of job.vertices) {
        const idle = v.subtasks.filter((s) => s.idle).length, all = v.subtasks.length;
        const allIdle = all > 0 && idle === all;
        const { mark } = vertexWatermark(v);
        let lag = "–";
        if (mark != null && !allIdle) {
          // Event time that is not wall-clock time (before 2000) has no meaningful lag.
          lag = mark < 946684800000
            ? '<span class="hint" title="event time is not wall-clock time">n/a</span>'
            : fmtMs(now - mark);
        }
        html += '<tr data-vertex="' + v.id + '"><td class="name">' + esc(v.name) + "</td><td>" +
          vertexWatermarkText(v, allIdle, false) + '</td><td class="num">' + lag + "</td><td>" +
          (idle ? '<span class="badge idle-badge">' + idle + " of " + all + " idle</span>"
            : "none") + "</td></tr>";
      }
      setHTML($("watermarks"), html + "</tbody></table>");
    }
    function renderCheckpoints() {
      const cp = ui.checkpoints;
      if (!cp) return;
      $("checkpoints-completed").textContent = cp.counts.completed;
      $("checkpoints-failed").textContent = cp.counts.failed;
      $("checkpoints-in-progress").textContent = cp.counts.in_progress;
      const latest = cp.latest_completed;
      setHTML($("checkpoint-latest"), latest
        ? "Latest completed: <b>#" + latest.id + "</b>" + (latest.is_savepoint ? " (savepoint)" : "") +
          " at " + esc(fmtClock(latest.trigger_time)) + " · " + fmtMs(latest.duration_ms) + " · " +
          fmtBytes(latest.size_bytes) + (latest.path ? " · " + esc(latest.path) : "")
        : "No completed checkpoint yet.");
      renderCheckpointChart(cp.history);
      let rows = "";
      for (const c of cp.history.slice().reverse()) {
        const classes = ["clickable"];
        if (c.status === "FAILED") classes.push("failed");
        if (c.id === ui.selectedCheckpoint) classes.push("selected");
        rows += '<tr class="' + classes.join(" ") + '" data-checkpoint="' + c.id +
          '"><td class="num">' + c.id + "</td><td>" + (c.is_savepoint
            ? '<span class="badge savepoint">savepoint</span>' : "checkpoint") + "</td><td>" +
          c.status + "</td><td>" + esc(fmtClock(c.trigger_time)) + '</td><td class="num">' +
          fmtMs(c.duration_ms) + '</td><td class="num">' + fmtBytes(c.size_bytes) +
          '</td><td class="num">' + fmtMs(c.alignment_ms_max) + '</td><td class="num">' +
          fmtMs(c.sync_ms_max) + '</td><td class="num">' + fmtMs(c.async_ms_max) +
          '</td><td class="reason" title="' + esc(c.failure || c.path || "") + '">' +
          esc(c.failure || c.path || "") + "</td></tr>";
      }
      setHTML($("checkpoint-history"), rows ||
        '<tr><td colspan="10" class="hint">No checkpoints yet.</td></tr>');
    }
    function renderCheckpointDetail() {
      const el = $("checkpoint-detail");
      if (ui.selectedCheckpoint == null) return;
      if (ui.detailError) { setHTML(el, '<p class="hint">' + esc(ui.detailError) + "</p>"); return; }
      const d = ui.detail;
      if (!d || d.checkpoint.id !== ui.selectedCheckpoint) {
        setHTML(el, '<p class="hint">Loading checkpoint ' + ui.selectedCheckpoint + "…</p>");
        return;
      }
      const c = d.checkpoint;
      let html = "<h3>Checkpoint #" + c.id + (c.is_savepoint ? " (savepoint)" : "") + " · " +
        c.status + " · " + fmtMs(c.duration_ms) + " · " + fmtBytes(c.size_bytes) + "</h3>";
      if (c.failure) html += '<p class="banner failed">' + esc(c.failure) + "</p>";
      if (!d.subtasks.length) {
        html += '<p class="hint">' + (c.status === "IN_PROGRESS"
          ? "In progress: subtask timings show once every subtask has acknowledged."
          : "No subtask timings: it ended before every subtask acknowledged.") + "</p>";
      } else {
        const max = (k) => Math.max(...d.subtasks.map((s) => s[k]));
        const cell = (s, k, f) => '<td class="num">' + (s[k] === max(k) && s[k] > 0
          ? "<b>" + f(s[k]) + "</b>" : f(s[k])) + "</td>";
        html += '<div class="scroll"><table><thead><tr><th>Vertex</th><th class="num">Subtask</th>' +
          '<th class="num">Alignment</th><th class="num">Sync</th><th class="num">Async</th>' +
          '<th class="num">Size</th></tr></thead><tbody>';
        for (const s of d.subtasks) {
          html += '<tr class="checkpoint-subtask"><td class="wrap">' + esc(s.name) +
            '</td><td class="num">' + s.subtask + "</td>" + cell(s, "alignment_ms", fmtMs) +
            cell(s, "sync_ms", fmtMs) + cell(s, "async_ms", fmtMs) +
            cell(s, "size_bytes", fmtBytes) + "</tr>";
        }
        html += "</tbody></table></div>";
      }
      setHTML(el, html);
    }
    function renderExceptions() {
      const list = ui.exceptions || [], el = $("exceptions");
      if (!list.length) {
        setHTML(el, '<p class="hint">No failures since the job started.</p>');
        return;
      }
      let html = '<ul class="exceptions">';
      for (const e of list) {
        const where = e.operator ? "in " + esc(e.operator) + (e.subtask != null ? " (subtask " +
          e.subtask + ")" : "") + " · " : "";
        html += '<li class="exception"><div class="root">' + esc(e.root_cause) +
          '</div><div class="meta">' + esc(fmtDateTime(e.time)) + " · " + where +
          (e.restarted ? "the job restarted" : "this ended the job") + "</div>" +
          (e.message !== e.root_cause ? "<details><summary>Full error</summary><pre>" +
            esc(e.message) + "</pre></details>" : "") + "</li>";
      }
      setHTML(el, html + "</ul>");
    }
    function render() {
      renderHeader();
      renderGraph();
      renderSubtasks();
      renderWatermarks();
      renderThroughput();
      renderCheckpoints();
      renderCheckpointDetail();
      renderExceptions();
    }

    """#

  /// Refreshing, clicks, and the savepoint and stop buttons.
  private static let controls = #"""
    async function loadDetail() {
      const id = ui.selectedCheckpoint;
      if (id == null) return;
      const d = ui.detail;
      const settled = d && d.checkpoint.id === id && d.checkpoint.status !== "IN_PROGRESS" &&
        (d.subtasks.length || d.checkpoint.status === "FAILED");
      if (settled) return;
      try {
        const detail = await getJSON("api/v1/checkpoints/" + id);
        if (ui.selectedCheckpoint === id) { ui.detail = detail; ui.detailError = null; }
      } catch (error) {
        if (ui.selectedCheckpoint === id) {
          ui.detailError = "Checkpoint " + id + " is not available (" + error.message + ").";
        }
      }
    }
    async function refresh() {
      const [job, checkpoints, throughput, exceptions] = await Promise.allSettled([
        getJSON("api/v1/job"), getJSON("api/v1/checkpoints"), getJSON("api/v1/throughput"),
        getJSON("api/v1/exceptions"), loadDetail(),
      ]);
      ui.connected = job.status === "fulfilled";
      if (ui.connected) { ui.job = job.value; ui.lastContact = Date.now(); }
      if (checkpoints.status === "fulfilled") ui.checkpoints = checkpoints.value;
      if (throughput.status === "fulfilled") ui.throughput = throughput.value;
      if (exceptions.status === "fulfilled") ui.exceptions = exceptions.value.exceptions;
      if (!ui.job && !ui.connected) {
        setHTML($("banner"), '<div class="banner offline">Cannot reach the job\'s REST API: ' +
          esc(job.reason && job.reason.message) + "</div>");
        return;
      }
      render();
    }
    function loop() { refresh().catch(() => {}).finally(() => setTimeout(loop, REFRESH_MS)); }
    function selectCheckpoint(id) {
      ui.selectedCheckpoint = ui.selectedCheckpoint === id ? null : id;
      ui.detail = null;
      ui.detailError = null;
      writeFragment();
      if (ui.selectedCheckpoint == null) {
        setHTML($("checkpoint-detail"), '<p class="hint">Click a checkpoint to see its subtasks.</p>');
      }
      renderCheckpoints();
      renderCheckpointDetail();
      loadDetail().then(renderCheckpointDetail);
    }
    async function takeSavepoint(stop) {
      const out = $("control-result");
      ui.controlBusy = true;
      renderHeader();
      out.className = "pending";
      out.textContent = stop ? "Stopping with a savepoint…" : "Taking a savepoint…";
      delete out.dataset.path;
      try {
        const response = await fetch(stop ? "api/v1/stop" : "api/v1/savepoints", { method: "POST" });
        const body = await response.json().catch(() => ({}));
        if (response.ok) {
          out.className = "ok";
          out.textContent = (stop ? "Stopped with savepoint " : "Savepoint ") + body.id +
            " written to " + body.path;
          out.dataset.path = body.path;
        } else {
          out.className = "error";
          out.textContent = "HTTP " + response.status + ": " + (body.error || response.statusText) +
            (body.hint ? " (" + body.hint + ")" : "");
        }
        return body;
      } catch (error) {
        out.className = "error";
        out.textContent = "The request failed: " + error.message;
        return null;
      } finally {
        ui.controlBusy = false;
        refresh().catch(() => {});
      }
    }
    function armStop() {
      const button = $("stop-button");
      if (ui.stopArmed) {
        clearTimeout(ui.stopArmed);
        ui.stopArmed = null;
        button.textContent = "Stop with savepoint";
        button.classList.remove("armed");
        takeSavepoint(true);
        return;
      }
      button.textContent = "Click again to stop the job";
      button.classList.add("armed");
      ui.stopArmed = setTimeout(() => {
        ui.stopArmed = null;
        button.textContent = "Stop with savepoint";
        button.classList.remove("armed");
      }, 5000);
    }
    $("savepoint-button").addEventListener("click", () => takeSavepoint(false));
    $("stop-button").addEventListener("click", armStop);
    function selectVertex(id) {
      ui.selectedVertex = id;
      writeFragment();
      renderGraph();
      renderSubtasks();
    }
    $("graph").addEventListener("click", (event) => {
      const box = event.target.closest("[data-vertex]");
      if (!box) return;
      const id = Number(box.dataset.vertex);
      selectVertex(ui.selectedVertex === id ? null : id);
    });
    $("subtasks").addEventListener("click", (event) => {
      if (event.target.id === "all-vertices") {
        event.preventDefault();
        selectVertex(null);
        return;
      }
      const row = event.target.closest("[data-vertex]");
      if (row) selectVertex(Number(row.dataset.vertex));
    });
    for (const id of ["checkpoint-chart", "checkpoint-history"]) {
      $(id).addEventListener("click", (event) => {
        const target = event.target.closest("[data-checkpoint]");
        if (target) selectCheckpoint(Number(target.dataset.checkpoint));
      });
    }
    window.addEventListener("hashchange", () => { readFragment(); ui.detail = null; render(); });
    window.addEventListener("resize", () => { renderThroughput(); renderCheckpoints(); });
    window.tributary = { refresh, takeSavepoint, ui };
    readFragment();
    loop();

    """#
}
