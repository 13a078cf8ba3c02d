/**
 * The dashboard's one page: HTML with its CSS and script inline (no build
 * step, no framework, nothing fetched from elsewhere). The script renders what
 * `/api/tables` and `/api/failed` answer with `textContent` only, never as
 * HTML, so a payload or a failure reason cannot inject markup.
 */

/** What the page is rendered with. */
export interface PageConfig {
  /** The per-process token the page sends with each change. */
  readonly token: string;
  /** The Content-Security-Policy nonce of this response's script and style. */
  readonly nonce: string;
  /** How often the page asks for fresh counts. */
  readonly pollIntervalMs: number;
}

/** JSON safe inside a `<script>` element (no `</script>`, no `<!--`). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The page, for one response (the nonce is per response). */
export function renderPage(config: PageConfig): string {
  if (!/^[A-Za-z0-9+/=]+$/.test(config.nonce)) throw new Error('nonce must be base64');
  const data = scriptJson({ token: config.token, pollIntervalMs: config.pollIntervalMs });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vitess-messages dashboard</title>
<link rel="icon" href="data:,">
<style nonce="${config.nonce}">${STYLE}</style>
</head>
<body>
<header><h1>vitess-messages</h1><span id="status" role="status">loading…</span></header>
<main>
<section>
<table id="tables">
<thead><tr><th>Table</th><th>Due</th><th>Scheduled</th><th>In flight</th><th>Failed</th><th>Acked</th><th>Oldest due</th><th>Acks/s</th><th></th></tr></thead>
<tbody></tbody>
</table>
<p class="hint">Counts by state, read from the table every few seconds (the database's clock is “now”). In flight: sent and not yet acked, or nacked and backing off. Acked rows stay until the table's purgeAfter. The sparkline shows acks per second over the last polls.</p>
</section>
<section id="failed" hidden>
<h2>Failed messages of <span id="failed-table"></span></h2>
<div class="toolbar">
<label>Purge failed older than <input id="older-than" value="7d" size="6" aria-label="older than"></label>
<label><input type="checkbox" id="include-unknown"> and those of unknown age</label>
<button type="button" id="purge">Purge</button>
<button type="button" id="close-failed">Close</button>
</div>
<table id="failed-list">
<thead><tr><th>Id</th><th>Attempts</th><th>Failed</th><th>Reason</th><th>Payload</th><th></th></tr></thead>
<tbody></tbody>
</table>
<p id="failed-empty" hidden>No failed messages.</p>
<button type="button" id="more" hidden>More</button>
<pre id="explain" hidden></pre>
</section>
</main>
<script type="application/json" id="config">${data}</script>
<script nonce="${config.nonce}">${SCRIPT}</script>
</body>
</html>
`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { display: flex; align-items: baseline; gap: 1.5em; padding: .8em 1.5em; background: #1d2330; color: #fff; }
header h1 { font-size: 1.15em; margin: 0; }
#status { font-size: .9em; opacity: .85; }
#status.error { color: #ffb4a8; opacity: 1; }
main { padding: 1em 1.5em; }
table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
th, td { padding: .35em .8em; border-bottom: 1px solid #e3e6ea; text-align: left; vertical-align: top; }
th { font-weight: 600; background: #eef0f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.shard-row td { color: #5b6474; font-size: .9em; border-bottom-style: dashed; }
tr.shard-row td:first-child { padding-left: 2em; }
td.failed-count.some { color: #b3261e; font-weight: 600; }
td.error { color: #b3261e; }
svg.spark polyline { fill: none; stroke: #2a6fdb; stroke-width: 1.5; }
.hint { color: #5b6474; font-size: .85em; max-width: 60em; }
section#failed { margin-top: 1.5em; }
.toolbar { display: flex; gap: 1em; align-items: center; margin: .5em 0; }
td.reason { max-width: 28em; white-space: pre-wrap; word-break: break-word; }
td.payload code { font-size: .85em; word-break: break-all; }
pre#explain { background: #fff; padding: .8em; border: 1px solid #e3e6ea; max-width: 70em; white-space: pre-wrap; }
button { cursor: pointer; }
`;

// Plain ES2020 for the browser: no backticks or template placeholders (this is a template literal).
const SCRIPT = `
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('config').textContent);
  var state = { failedTable: null, next: null, timer: null };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function api(method, path, body) {
    var init = { method: method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.headers['x-dashboard-token'] = config.token;
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (!res.ok) throw new Error(json.error || ('HTTP ' + res.status));
        return json;
      });
    });
  }

  function status(text, isError) {
    var s = $('status');
    s.textContent = text;
    s.className = isError ? 'error' : '';
  }

  function num(n) { return Number(n).toLocaleString('en-US'); }

  function age(ms) {
    if (ms === null || ms === undefined) return '–';
    var s = Math.floor(ms / 1000);
    var pad = function (v) { return (v < 10 ? '0' : '') + v; };
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + pad(s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + pad(Math.floor(s / 60) % 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + pad(Math.floor(s / 3600) % 24) + 'h';
  }

  function when(ns) {
    if (ns === null || ns === undefined) return 'unknown';
    return new Date(Number(BigInt(ns) / 1000000n)).toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, 'Z');
  }

  var STATES = ['due', 'scheduled', 'inFlight', 'failed', 'acked'];

  function countCells(c, key) {
    var cells = STATES.map(function (s) {
      var td = el('td', { 'class': 'n' + (s === 'failed' ? ' failed-count' + (c[s] > 0 ? ' some' : '') : ''), 'data-count': s, 'data-value': String(c[s]), text: num(c[s]) });
      return td;
    });
    cells.push(el('td', { 'class': 'n', 'data-count': 'oldestDueAge', 'data-value': c.oldestDueAgeMs === null ? '' : String(c.oldestDueAgeMs), text: age(c.oldestDueAgeMs) }));
    return cells;
  }

  function sparkline(points) {
    var w = 120, h = 24;
    var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('width', String(w));
    svg.setAttribute('height', String(h));
    var rates = points.map(function (p) { return p.ackedPerSec === null ? 0 : p.ackedPerSec; });
    if (rates.length > 1) {
      var max = Math.max.apply(null, rates.concat([1e-9]));
      var line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
      line.setAttribute('points', rates.map(function (r, i) {
        return (i * (w - 2) / (rates.length - 1) + 1).toFixed(1) + ',' + (h - 2 - (r / max) * (h - 4)).toFixed(1);
      }).join(' '));
      svg.appendChild(line);
    }
    return svg;
  }

  function renderTables(data) {
    var body = document.querySelector('#tables tbody');
    var rows = [];
    data.tables.forEach(function (t) {
      var name = el('td', {}, [el('strong', { text: t.table })]);
      if (t.keyspace) name.appendChild(el('span', { 'class': 'hint', text: ' ' + t.keyspace }));
      var tr = el('tr', { 'class': 'table-row', 'data-table': t.key }, [name]);
      if (t.counts) {
        countCells(t.counts, t.key).forEach(function (td) { tr.appendChild(td); });
        var last = t.throughput.length ? t.throughput[t.throughput.length - 1].ackedPerSec : null;
        tr.appendChild(el('td', { 'class': 'n', 'data-count': 'ackRate', text: last === null ? '–' : last.toFixed(1) }));
        tr.appendChild(el('td', {}, [sparkline(t.throughput)]));
      } else {
        tr.appendChild(el('td', { 'class': 'error', colspan: '8', text: t.error || 'not read yet' }));
      }
      var show = el('button', { type: 'button', 'class': 'show-failed', text: 'Failed…' });
      show.addEventListener('click', function () { openFailed(t.key); });
      name.appendChild(document.createTextNode(' '));
      name.appendChild(show);
      rows.push(tr);
      if (t.counts && t.counts.shards) {
        Object.keys(t.counts.shards).sort().forEach(function (shard) {
          var sr = el('tr', { 'class': 'shard-row', 'data-table': t.key, 'data-shard': shard }, [el('td', { text: 'shard ' + shard })]);
          countCells(t.counts.shards[shard], t.key).forEach(function (td) { sr.appendChild(td); });
          sr.appendChild(el('td')); sr.appendChild(el('td'));
          rows.push(sr);
        });
      }
    });
    if (rows.length === 0) rows.push(el('tr', {}, [el('td', { colspan: '9', text: 'No message tables to show.' })]));
    body.replaceChildren.apply(body, rows);
  }

  function refresh() {
    clearTimeout(state.timer);
    return api('GET', '/api/tables').then(function (data) {
      renderTables(data);
      document.body.setAttribute('data-loaded', String(Date.now()));
      status('updated ' + new Date().toLocaleTimeString('en-GB'));
    }).catch(function (err) {
      status('refresh failed: ' + err.message, true);
    }).then(function () {
      state.timer = setTimeout(refresh, config.pollIntervalMs);
    });
  }

  function failedRow(m) {
    var tr = el('tr', { 'class': 'failed-row', 'data-id': m.id }, [
      el('td', { 'class': 'id', text: m.id }),
      el('td', { 'class': 'n', text: String(m.epoch) }),
      el('td', { text: when(m.failedAtNs) }),
      el('td', { 'class': 'reason', text: m.reason === null ? '' : m.reason }),
    ]);
    var payload = JSON.stringify(m.payload);
    tr.appendChild(el('td', { 'class': 'payload' }, [el('code', { text: payload.length > 160 ? payload.slice(0, 160) + '…' : payload })]));
    var explain = el('button', { type: 'button', 'class': 'explain', text: 'Explain' });
    explain.addEventListener('click', function () { showExplain(m.id); });
    var again = el('button', { type: 'button', 'class': 'retry', text: 'Retry' });
    again.addEventListener('click', function () { retryOne(m.id, again); });
    tr.appendChild(el('td', {}, [explain, document.createTextNode(' '), again]));
    return tr;
  }

  function loadFailed(append) {
    var key = state.failedTable;
    var q = '/api/failed?limit=50&table=' + encodeURIComponent(key) + (append && state.next ? '&after=' + encodeURIComponent(state.next) : '');
    return api('GET', q).then(function (page) {
      if (key !== state.failedTable) return;
      var body = document.querySelector('#failed-list tbody');
      var rows = page.messages.map(failedRow);
      if (append) rows.forEach(function (r) { body.appendChild(r); });
      else body.replaceChildren.apply(body, rows);
      state.next = page.next || null;
      $('more').hidden = !state.next;
      $('failed-empty').hidden = body.children.length > 0;
      $('failed').setAttribute('data-loaded', String(Date.now()));
    }).catch(function (err) { status('failed messages: ' + err.message, true); });
  }

  function openFailed(key) {
    state.failedTable = key;
    state.next = null;
    $('failed-table').textContent = key;
    $('failed').hidden = false;
    $('explain').hidden = true;
    return loadFailed(false);
  }

  function showExplain(id) {
    api('GET', '/api/explain?table=' + encodeURIComponent(state.failedTable) + '&id=' + encodeURIComponent(id)).then(function (e) {
      var pre = $('explain');
      pre.textContent = e.text;
      pre.setAttribute('data-state', e.state);
      pre.setAttribute('data-id', id);
      pre.hidden = false;
    }).catch(function (err) { status('explain ' + id + ': ' + err.message, true); });
  }

  function retryOne(id, button) {
    button.disabled = true;
    api('POST', '/api/retry', { table: state.failedTable, ids: [id] }).then(function (r) {
      status('retried ' + r.retried + ' message' + (r.retried === 1 ? '' : 's') + ' (' + id + ')');
      return Promise.all([refresh(), loadFailed(false)]);
    }).catch(function (err) {
      button.disabled = false;
      status('retry ' + id + ': ' + err.message, true);
    });
  }

  $('purge').addEventListener('click', function () {
    var olderThan = $('older-than').value.trim();
    var unknown = $('include-unknown').checked;
    if (!confirm('Delete the failed messages of ' + state.failedTable + ' that failed more than ' + olderThan + ' ago' + (unknown ? ', and those of unknown age' : '') + '?')) return;
    api('POST', '/api/purge-failed', { table: state.failedTable, olderThan: olderThan, includeUnknownAge: unknown }).then(function (r) {
      status('purged ' + r.deleted + ' failed message' + (r.deleted === 1 ? '' : 's'));
      return Promise.all([refresh(), loadFailed(false)]);
    }).catch(function (err) { status('purge: ' + err.message, true); });
  });
  $('more').addEventListener('click', function () { loadFailed(true); });
  $('close-failed').addEventListener('click', function () { state.failedTable = null; $('failed').hidden = true; });

  refresh();
})();
`;
