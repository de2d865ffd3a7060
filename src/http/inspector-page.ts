/** The live actor page: self-contained HTML, fed by /debug/inspector/events. */
export function inspectorPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>amqp-relay · actors</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.2rem} .state{font-weight:bold;padding:.1rem .5rem;border-radius:4px;background:#eee}
.state.connected{background:#c8f7c5}.state.reconnecting,.state.connecting{background:#ffe6a6}.state.closed,.state.blocked{background:#f7c5c5}
table{border-collapse:collapse;margin-top:.5rem} td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
</style></head><body>
<h1>amqp-relay · live actors</h1>
<p>Broker: <span id="broker" class="state">?</span> · reconnects: <span id="reconnects">0</span></p>
<h2>Broker transitions</h2><table id="history"><tr><th>time</th><th>state</th></tr></table>
<h2>Requests in flight</h2><table id="requests"><tr><th>kind</th><th>correlation id</th><th>state</th></tr></table>
<script>
const brokerEl = document.getElementById('broker');
const history = document.getElementById('history');
const requests = document.getElementById('requests');
function leaf(v){ if (typeof v === 'string') return v; const k = Object.keys(v||{})[0]; return k ? leaf(v[k]) : '?'; }
function showBroker(state){ brokerEl.textContent = state; brokerEl.className = 'state ' + state;
  const tr = history.insertRow(1); tr.insertCell().textContent = new Date().toISOString(); tr.insertCell().textContent = state; }
const rows = new Map();
const es = new EventSource('events');
es.onmessage = (m) => {
  const e = JSON.parse(m.data);
  if (e.kind === 'hello') { showBroker(e.actors.broker.state); document.getElementById('reconnects').textContent = e.actors.broker.reconnects; return; }
  if (e.kind !== 'snapshot') return;
  if (e.machine === 'broker') { const s = leaf(e.value); if (s !== brokerEl.textContent) showBroker(s); return; }
  if (e.machine === 'request') {
    let tr = rows.get(e.actor);
    if (e.status !== 'active') { if (tr) tr.remove(); rows.delete(e.actor); return; }
    if (!tr) { tr = requests.insertRow(); tr.insertCell(); tr.insertCell(); tr.insertCell(); rows.set(e.actor, tr); }
    tr.cells[2].textContent = leaf(e.value);
  }
};
</script></body></html>`;
}
