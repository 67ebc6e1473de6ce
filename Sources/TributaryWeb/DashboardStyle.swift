/// The dashboard's style sheet (see ``DashboardPage``): a 12-column grid of
/// panels laid out for a 1280×800 screen, system fonts only.
enum DashboardStyle {
  /// The CSS, inlined into the page's `<style>` element.
  static let css = #"""
    :root {
      --bg: #f3f5f8; --panel: #ffffff; --ink: #1d2430; --muted: #5d6878; --line: #d9dee6;
      --accent: #2f6fce; --ok: #1f8a4c; --bad: #c9302c; --warn: #c77800; --source: #2f6fce;
      --sink: #e07b00;
    }
    * { box-sizing: border-box; }
    html, body { margin: 0; background: var(--bg); color: var(--ink); }
    body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
    header {
      display: flex; align-items: center; gap: 14px; padding: 8px 16px; background: #1d2430;
      color: #fff; position: sticky; top: 0; z-index: 2; flex-wrap: wrap;
    }
    header h1 { font-size: 16px; margin: 0; font-weight: 600; letter-spacing: 0.02em; }
    header .job-name { font-size: 15px; font-weight: 600; }
    header .meta { color: #c2cad6; }
    header .spacer { flex: 1; }
    .state {
      display: inline-block; padding: 2px 10px; border-radius: 11px; font-weight: 700;
      font-size: 13px; letter-spacing: 0.04em; background: #6b7585; color: #fff;
    }
    .state-RUNNING { background: var(--ok); }
    .state-RESTARTING { background: var(--warn); }
    .state-FINISHED { background: var(--accent); }
    .state-FAILED { background: var(--bad); }
    .state-CANCELED { background: #6b7585; }
    button {
      font: inherit; font-weight: 600; padding: 5px 12px; border-radius: 4px; cursor: pointer;
      border: 1px solid #8fb3ea; background: #2f6fce; color: #fff;
    }
    button.danger { background: #9e2a26; border-color: #d98a87; }
    button.armed { background: var(--bad); outline: 2px solid #fff; }
    button:disabled { opacity: 0.45; cursor: not-allowed; }
    #control-result { margin: 10px 16px 0; padding: 6px 12px; border-radius: 4px;
      overflow-wrap: anywhere; font-weight: 600; }
    #control-result:empty { display: none; }
    #control-result.ok { background: #e2f5e9; color: #145c33; border: 1px solid #9fd6b3; }
    #control-result.error { background: #fbe3e2; color: #8a1f1b; border: 1px solid #eba9a6; }
    #control-result.pending { background: #e8ebf0; color: #3b4452; border: 1px solid #c4cad4; }
    .banner { margin: 10px 16px 0; padding: 8px 12px; border-radius: 4px; font-weight: 600; }
    .banner.failed { background: #fbe3e2; color: #8a1f1b; border: 1px solid #eba9a6; }
    .banner.restarted { background: #fff2d9; color: #7a4b00; border: 1px solid #efc677; }
    .banner.offline { background: #e8ebf0; color: #3b4452; border: 1px solid #c4cad4; }
    .banner pre { margin: 4px 0 0; white-space: pre-wrap; font-weight: 400; }
    main {
      display: grid; grid-template-columns: repeat(12, minmax(0, 1fr)); gap: 10px;
      padding: 10px 16px 16px;
    }
    section {
      background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
      padding: 8px 12px 10px; min-width: 0;
    }
    section h2 {
      font-size: 13px; margin: 0 0 6px; text-transform: uppercase; letter-spacing: 0.06em;
      color: var(--muted);
    }
    .full { grid-column: 1 / -1; }
    .wide { grid-column: span 7; }
    .stack { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
    .narrow { grid-column: span 5; }
    .hint { color: var(--muted); }
    #graph { position: relative; overflow: auto; min-height: 150px; }
    #graph svg.edges { position: absolute; left: 0; top: 0; pointer-events: none; }
    .vertex {
      position: absolute; border-radius: 6px; padding: 6px 8px; cursor: pointer;
      border: 2px solid rgba(0, 0, 0, 0.25); overflow: hidden; font-size: 11.5px;
      white-space: nowrap;
      box-shadow: 0 1px 2px rgba(0, 0, 0, 0.15);
    }
    .vertex.selected { border-color: #111; box-shadow: 0 0 0 3px #f5c242; }
    .vertex .vname {
      font-weight: 700; font-size: 13px; white-space: normal; overflow: hidden; display: -webkit-box;
      -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow-wrap: anywhere;
    }
    .legend { display: flex; gap: 12px; align-items: center; color: var(--muted); font-size: 12px;
      flex-wrap: wrap; margin-top: 4px; }
    .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
      vertical-align: -2px; margin-right: 4px; border: 1px solid rgba(0, 0, 0, 0.2); }
    table { border-collapse: collapse; width: 100%; font-size: 12px; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eceff3;
      white-space: nowrap; }
    th { color: var(--muted); font-weight: 600; position: sticky; top: 0; background: #fff; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    tr.clickable { cursor: pointer; }
    tr.clickable:hover { background: #eef4fd; }
    tr.selected { background: #fff4cf; }
    tr.failed td { color: var(--bad); }
    td.wrap { white-space: normal; overflow-wrap: anywhere; }
    .table-wrap { overflow-x: auto; }
    td.reason { max-width: 240px; overflow: hidden; text-overflow: ellipsis; }
    td.name { white-space: normal; overflow-wrap: break-word; min-width: 9em; }
    .ratio { display: inline-flex; width: 64px; height: 10px; border-radius: 2px; overflow: hidden;
      vertical-align: -1px; background: #eceff3; margin-right: 6px; }
    .ratio span { display: block; height: 100%; }
    .busy { background: #d9534f; }
    .bp { background: #3b3f46; }
    .idle { background: #7fb0ea; }
    .badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px;
      font-weight: 700; background: #e1e6ee; color: #3b4452; }
    .badge.idle-badge { background: #dbe9fb; color: #1d4f91; }
    .badge.failed { background: #fbe3e2; color: #8a1f1b; }
    .badge.savepoint { background: #eadcf5; color: #5b2a86; }
    .counts { display: flex; gap: 18px; font-size: 14px; margin-bottom: 4px; }
    .counts b { font-size: 17px; }
    .counts .c-failed b { color: var(--bad); }
    #checkpoint-latest { color: var(--muted); margin-bottom: 6px; overflow-wrap: anywhere; }
    #checkpoint-interval { margin-bottom: 6px; }
    #checkpoint-interval:empty { display: none; }
    .badge.objective-met { background: #e2f5e9; color: #145c33; }
    .badge.objective-missed { background: #fbe3e2; color: #8a1f1b; }
    .scroll { max-height: 220px; overflow: auto; border: 1px solid #eceff3; border-radius: 4px; }
    svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
      fill: #5d6878; }
    svg .bar { cursor: pointer; }
    svg .bar:hover { opacity: 0.8; }
    #checkpoint-detail { margin-top: 8px; }
    #checkpoint-detail h3, #subtasks h3 { font-size: 13px; margin: 0 0 4px; }
    ul.exceptions { list-style: none; margin: 0; padding: 0; max-height: 330px; overflow: auto; }
    ul.exceptions li { border-left: 3px solid var(--bad); padding: 4px 8px; margin-bottom: 8px;
      background: #fdf5f5; }
    ul.exceptions .root { font-weight: 700; color: #8a1f1b; overflow-wrap: anywhere; }
    ul.exceptions .meta { color: var(--muted); font-size: 12px; }
    ul.exceptions pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0 0;
      font-size: 11px; }
    """#
}
