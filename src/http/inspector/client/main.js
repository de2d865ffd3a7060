// The page's state and its handlers for the stream's messages.
const $ = (id) => document.getElementById(id);
const clock = (ms) => new Date(ms).toTimeString().slice(0, 8) + '.' + String(ms % 1000).padStart(3, '0');
const SECONDS_KEPT = 300;
const TRANSITIONS_SHOWN = 12;
const view = { transitions: [], seconds: [], requests: [], selected: null, selectedPath: null };

function cellRow(cells, cls) {
  const tr = document.createElement('tr');
  for (const [text, num] of cells) { const td = tr.insertCell(); td.textContent = String(text); if (num) td.className = 'num'; }
  if (cls) tr.className = cls;
  return tr;
}

function showBroker(t) {
  $('broker').textContent = t.state;
  $('broker').className = 'badge ' + t.state;
  $('broker').dataset.state = t.state;
  $('reconnects').textContent = t.reconnects;
  markState(t.path || t.state);
}

function showTransitions() {
  const recent = view.transitions.slice(-TRANSITIONS_SHOWN).reverse();
  $('history').replaceChildren(...recent.map((t) => cellRow([[clock(t.at)], [t.state], [t.reconnects, true], [t.reason || '']], 'transition ' + t.state)));
}

function showRequests(now) {
  const list = [...view.requests].sort((a, b) => b.ageMs - a.ageMs);
  $('requests').replaceChildren(...list.map((r) => {
    const tr = cellRow([[r.kind], [r.correlationId], [r.state], [(r.ageMs / 1000).toFixed(1) + ' s', true]], 'request');
    tr.dataset.correlationId = r.correlationId;
    if (r.correlationId === view.selected) tr.classList.add('selected');
    return tr;
  }));
  showDetail(now);
}

function showDetail() {
  const detail = $('detail');
  if (!view.selected || (!view.selectedPath && !view.requests.some((r) => r.correlationId === view.selected))) { detail.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'Click a request in flight to see its path.' })); return; }
  const live = view.requests.find((r) => r.correlationId === view.selected);
  if (live) view.selectedPath = live;
  const r = view.selectedPath;
  const heading = document.createElement('p');
  heading.innerHTML = '<b></b> <code></code> <span class="muted"></span>';
  heading.querySelector('b').textContent = r.kind;
  heading.querySelector('code').textContent = r.correlationId;
  heading.querySelector('span').textContent = live ? 'in flight' : 'no longer in flight';
  const list = document.createElement('ol');
  list.id = 'detail-path';
  const first = r.path[0]?.at ?? 0;
  for (const step of r.path) {
    const li = document.createElement('li');
    li.dataset.state = step.state;
    li.textContent = `${step.state} · ${clock(step.at)} (+${step.at - first} ms)`;
    list.append(li);
  }
  detail.replaceChildren(heading, list);
}

const handlers = {
  hello: (m) => { $('reconnects').textContent = m.broker.reconnects; },
  history: (m) => {
    view.transitions = [...m.transitions];
    view.seconds = [...m.seconds];
    const last = view.transitions.at(-1);
    if (last) showBroker(last);
    showTransitions();
    drawTimeline(view.transitions, Date.now());
    drawCharts(view.seconds, Date.now());
  },
  broker: (t) => {
    const previous = view.transitions.at(-1);
    view.transitions.push(t);
    if (view.transitions.length > 200) view.transitions.shift();
    if (previous) flashTransition(previous.path, t.path);
    showBroker(t);
    showTransitions();
    drawTimeline(view.transitions, t.at);
  },
  second: (s) => {
    view.seconds.push(s);
    if (view.seconds.length > SECONDS_KEPT) view.seconds.shift();
    view.requests = s.requests;
    $('inflight').textContent = s.inFlight ?? '–';
    $('outbox').textContent = s.outbox ?? '–';
    $('updated').textContent = clock(s.at);
    drawCharts(view.seconds, s.at);
    drawTimeline(view.transitions, s.at);
    showRequests(s.at);
  },
};

$('requests').addEventListener('click', (e) => {
  const tr = e.target.closest('tr[data-correlation-id]');
  if (!tr) return;
  view.selected = tr.dataset.correlationId;
  view.selectedPath = view.requests.find((r) => r.correlationId === view.selected) || null;
  showRequests(Date.now());
});

takeTokenFromFragment();
showDetail();
followStream(location.pathname.replace(/\/$/, '') + '/events', (m) => handlers[m.kind]?.(m), (status) => {
  const text = { connecting: 'connecting to the event stream…', live: 'live', lost: 'event stream lost, retrying…', unauthorized: 'the event stream needs a token' }[status];
  $('conn').textContent = text;
  $('conn').className = status === 'live' || status === 'connecting' ? 'muted' : status;
  $('conn').dataset.status = status;
});
