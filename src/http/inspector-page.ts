/**
 * The live actor page: self-contained HTML (no CDN, no build step), fed by the server-sent
 * events of /debug/inspector/events (see LiveMessage in src/actors/live-inspection.ts).
 */
export function inspectorPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>amqp-relay · live actors</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:1.2rem 1.5rem;color:#222;background:#fafafa}
h1{font-size:1.25rem;margin:0 0 .6rem} h2{font-size:1rem;margin:1.1rem 0 .3rem}
.state{font-weight:bold;padding:.15rem .6rem;border-radius:4px;background:#ddd}
.state.connected{background:#b9efb5}.state.reconnecting,.state.connecting{background:#ffe08a}
.state.closed,.state.blocked,.state.closing{background:#f5b5b5}
.grid{display:flex;gap:2rem;flex-wrap:wrap}
table{border-collapse:collapse;background:#fff} td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;font-variant-numeric:tabular-nums}
th{background:#f0f0f0} td.num{text-align:right} .muted{color:#777;font-size:.9em} code{font-size:.9em}
#conn.lost{color:#b00}
</style></head><body>
<h1>amqp-relay · live actors</h1>
<p>Broker: <span id="broker" class="state">?</span> · reconnects: <b id="reconnects">0</b>
 · requests in flight: <b id="inflight">0</b> · <span id="conn" class="muted">connecting to the event stream…</span></p>
<div class="grid">
<section><h2>Broker transitions</h2>
<table><thead><tr><th>time</th><th>state</th><th>reconnects</th><th>reason</th></tr></thead><tbody id="history"></tbody></table></section>
<section><h2>Outcomes <span class="muted" id="since"></span></h2>
<table><thead><tr><th>outcome</th><th>per second</th><th>total</th></tr></thead><tbody id="outcomes"></tbody></table></section>
</div>
<h2>Requests in flight <span class="muted">(oldest first, at most 20 shown)</span></h2>
<table><thead><tr><th>kind</th><th>correlation id</th><th>state</th><th>age</th></tr></thead><tbody id="requests"></tbody></table>
<p class="muted">updated <span id="updated">never</span></p>
<script>
const $ = (id) => document.getElementById(id);
const time = (ms) => new Date(ms).toISOString().slice(11, 23);
const MAX_HISTORY = 50;
function row(cells, cls) {
  const tr = document.createElement('tr');
  for (const [text, num] of cells) { const td = tr.insertCell(); td.textContent = String(text); if (num) td.className = 'num'; }
  if (cls) tr.className = cls;
  return tr;
}
function setBroker(state, reconnects) {
  $('broker').textContent = state; $('broker').className = 'state ' + state; $('broker').dataset.state = state;
  $('reconnects').textContent = reconnects;
}
function addTransition(t) {
  $('history').prepend(row([[time(t.at)], [t.state], [t.reconnects, true], [t.reason || '']], 'transition ' + t.state));
  while ($('history').rows.length > MAX_HISTORY) $('history').deleteRow(-1);
  setBroker(t.state, t.reconnects);
}
function showRequests(list, inFlight) {
  $('inflight').textContent = inFlight;
  $('requests').replaceChildren(...list.map((r) => {
    const tr = row([[r.kind], [r.correlationId], [r.state], [(r.ageMs / 1000).toFixed(1) + ' s', true]], 'request');
    tr.dataset.correlationId = r.correlationId;
    return tr;
  }));
}
function showOutcomes(s) {
  const names = Object.keys(s.totals).sort();
  $('outcomes').replaceChildren(...names.map((n) => {
    const tr = row([[n], [((s.outcomes[n] || 0) * 1000 / s.intervalMs).toFixed(1), true], [s.totals[n], true]], 'outcome');
    tr.dataset.outcome = n;
    return tr;
  }));
  $('since').textContent = 'since ' + time(s.countingSince);
}
const handlers = {
  hello: (m) => { setBroker(m.actors.broker.state, m.actors.broker.reconnects); showRequests(m.actors.requests, m.actors.requests.length); },
  history: (m) => { $('history').replaceChildren(); m.transitions.forEach(addTransition); },
  broker: addTransition,
  summary: (m) => { showRequests(m.sample, m.inFlight); showOutcomes(m); $('updated').textContent = time(m.at); },
};
const es = new EventSource('/debug/inspector/events');
es.onopen = () => { $('conn').textContent = 'live'; $('conn').className = 'muted'; };
es.onerror = () => { $('conn').textContent = 'event stream lost, retrying…'; $('conn').className = 'lost'; };
es.onmessage = (m) => { const e = JSON.parse(m.data); const h = handlers[e.kind]; if (h) h(e); };
</script></body></html>`;
}
