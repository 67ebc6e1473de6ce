/// The drawing parts of the dashboard's script: the job graph and the SVG
/// charts (see ``DashboardScript``).
extension DashboardScript {
  /// The job graph: vertices as coloured boxes in columns by depth, edges as
  /// SVG arrows labelled with their partitioning.
  static let graph = #"""
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
  static let charts = #"""
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
}
