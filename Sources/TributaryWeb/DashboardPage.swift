import NIOCore

/// The web dashboard served at `GET /`: one self-contained HTML page (its
/// style in ``DashboardStyle``, its script in ``DashboardScript``) that reads
/// only the REST API under `/api/v1` and refreshes itself. No CDN, fonts or
/// external scripts, so it works offline and behind a firewall.
enum DashboardPage {
  /// The whole page, encoded once.
  static let bytes = ByteBuffer(string: html)

  /// The whole page: markup with the style and script inlined.
  static let html =
    head + "<style>\n" + DashboardStyle.css + "</style>\n</head>\n" + body + "<script>\n"
    + DashboardScript.javascript + "</script>\n</body>\n</html>\n"

  private static let head = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Tributary dashboard</title>

    """#

  /// The panels; the script fills them in.
  private static let body = #"""
    <body>
    <header>
      <h1>Tributary</h1>
      <span class="job-name" id="job-name">…</span>
      <span class="state" id="job-state">LOADING</span>
      <span class="meta" id="job-meta"></span>
      <span class="spacer"></span>
      <button id="savepoint-button" type="button">Savepoint</button>
      <button id="stop-button" type="button" class="danger">Stop with savepoint</button>
    </header>
    <div id="control-result" role="status"></div>
    <div id="banner"></div>
    <main>
      <section class="full" id="graph-panel">
        <h2>Job graph</h2>
        <div id="graph"><p class="hint">Loading…</p></div>
        <div class="legend">
          <span><span class="swatch" style="background:hsl(210,70%,86%)"></span>idle</span>
          <span><span class="swatch" style="background:hsl(105,70%,71%)"></span>half busy</span>
          <span><span class="swatch" style="background:hsl(0,70%,56%)"></span>busy</span>
          <span><span class="swatch" style="background:hsl(0,0%,30%)"></span>backpressured</span>
          <span>(each vertex as its most loaded subtask) · Click a vertex for its subtasks.</span>
        </div>
      </section>
      <section class="wide" id="subtasks-panel">
        <h2 id="subtasks-title">Vertices</h2>
        <div id="subtasks"></div>
      </section>
      <section class="narrow" id="throughput-panel">
        <h2>Throughput (records per second, last 5 minutes)</h2>
        <div class="legend" id="throughput-legend"></div>
        <div id="throughput"></div>
      </section>
      <section class="wide" id="checkpoints-panel">
        <h2>Checkpoints</h2>
        <div class="counts" id="checkpoint-counts">
          <span class="c-completed">Completed <b id="checkpoints-completed">0</b></span>
          <span class="c-failed">Failed <b id="checkpoints-failed">0</b></span>
          <span class="c-in-progress">In progress <b id="checkpoints-in-progress">0</b></span>
        </div>
        <div id="checkpoint-interval"></div>
        <div id="checkpoint-latest"></div>
        <div id="checkpoint-chart"></div>
        <div class="scroll" id="checkpoint-history-wrap">
          <table>
            <thead><tr><th class="num">ID</th><th>Type</th><th>Status</th><th>Triggered</th>
              <th class="num">Duration</th><th class="num">Size</th><th class="num">Alignment</th>
              <th class="num">Sync</th><th class="num">Async</th><th>Failure / path</th></tr></thead>
            <tbody id="checkpoint-history"></tbody>
          </table>
        </div>
        <div id="checkpoint-detail"><p class="hint">Click a checkpoint (a bar or a row) to see
          every subtask's alignment, sync and async times.</p></div>
      </section>
      <div class="narrow stack">
        <section id="watermarks-panel">
          <h2>Watermarks</h2>
          <div id="watermarks"></div>
        </section>
        <section id="exceptions-panel">
          <h2>Exceptions</h2>
          <div id="exceptions"></div>
        </section>
      </div>
    </main>

    """#
}
