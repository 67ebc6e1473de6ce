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
    // The interval the job chose from its recovery objective (--checkpoint-interval
    // auto): the interval in force, the objective, the predicted recovery time and
    // whether the objective is met. Nothing with a fixed interval (no `interval`).
    function intervalHTML(iv) {
      if (!iv) return "";
      const predicted = iv.predicted_recovery_ms;
      const status = predicted == null
        ? '<span class="badge" id="objective-status" title="the prediction needs two completed ' +
          'checkpoints">no prediction yet</span>'
        : iv.objective_met
        ? '<span class="badge objective-met" id="objective-status">objective met</span>'
        : '<span class="badge objective-missed" id="objective-status" title="the predicted ' +
          'recovery exceeds the objective even at the minimum interval">objective not met: ' +
          "running at the minimum interval</span>";
      return '<span title="chosen by the job from its recovery objective">Interval <b ' +
        'id="interval-in-force">' + fmtMs(iv.interval_ms) + "</b> (auto)</span> · " +
        'Recovery objective <b id="recovery-objective">' + fmtMs(iv.recovery_objective_ms) +
        "</b> · " + 'Predicted recovery <b id="predicted-recovery">' +
        (predicted == null ? "–" : fmtMs(predicted)) + "</b> " + status;
    }
    function renderCheckpoints() {
      const cp = ui.checkpoints;
      if (!cp) return;
      $("checkpoints-completed").textContent = cp.counts.completed;
      $("checkpoints-failed").textContent = cp.counts.failed;
      $("checkpoints-in-progress").textContent = cp.counts.in_progress;
      setHTML($("checkpoint-interval"), intervalHTML(cp.interval));
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
