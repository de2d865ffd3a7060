// Marks the broker's current state on the statechart, flashes transitions, draws the timeline strip.
const TIMELINE_MS = 10 * 60 * 1000;
const STATE_COLORS = { connected: '#59a14f', connecting: '#edc948', reconnecting: '#f28e2b', blocked: '#e15759', closing: '#9c755f', closed: '#79706e' };
const STATE_PALETTE = ['#4e79a7', '#76b7b2', '#b07aa1', '#ff9da7', '#bab0ac'];

const chartEl = () => document.getElementById('statechart');
const within = (id, ancestor) => id === ancestor || id.startsWith(ancestor + '.');
const fullId = (path) => chartEl().dataset.machine + '.' + path;

/** The leaf states in the order the statechart draws them, each with its colour. */
function leafColors() {
  const leaves = [...chartEl().querySelectorAll('g.state.leaf')].map((g) => g.dataset.state);
  let other = 0;
  return new Map(leaves.map((key) => [key, STATE_COLORS[key] || STATE_PALETTE[other++ % STATE_PALETTE.length]]));
}

function markState(path) {
  const id = fullId(path);
  for (const g of chartEl().querySelectorAll('g.state')) {
    const stateId = g.dataset.stateId;
    g.classList.toggle('current', stateId === id);
    g.classList.toggle('active', stateId !== id && within(id, stateId));
  }
  chartEl().dataset.current = path;
}

/** The transitions that can take the machine from `from` to `to`: source contains `from`, target contains `to`. */
function flashTransition(fromPath, toPath) {
  const from = fullId(fromPath);
  const to = fullId(toPath);
  for (const edge of chartEl().querySelectorAll('g.edge')) {
    if (!within(from, edge.dataset.source) || !within(to, edge.dataset.target)) continue;
    edge.classList.remove('flash');
    void edge.getBoundingClientRect(); // restart the animation
    edge.classList.add('flash');
    setTimeout(() => edge.classList.remove('flash'), 1700);
  }
}

/** One band per state the broker was in over the last 10 minutes (transitions: oldest first). */
function drawTimeline(transitions, now) {
  const svg = document.getElementById('timeline');
  const colors = leafColors();
  const start = now - TIMELINE_MS;
  const W = 1000;
  const x = (at) => ((Math.max(at, start) - start) / TIMELINE_MS) * W;
  svg.setAttribute('viewBox', `0 0 ${W} 20`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const bands = [];
  transitions.forEach((t, i) => {
    const end = i + 1 < transitions.length ? transitions[i + 1].at : now;
    if (end < start) return;
    const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    rect.setAttribute('x', x(t.at).toFixed(2));
    rect.setAttribute('width', Math.max(1.5, x(end) - x(t.at)).toFixed(2));
    rect.setAttribute('y', '0');
    rect.setAttribute('height', '20');
    rect.setAttribute('fill', colors.get(t.state) || '#ccc');
    rect.dataset.state = t.state;
    const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    title.textContent = `${t.state} from ${new Date(t.at).toLocaleTimeString()}`;
    rect.append(title);
    bands.push(rect);
  });
  svg.replaceChildren(...bands);
  const legendEl = document.getElementById('legend-timeline');
  if (legendEl.childElementCount === 0) {
    legendEl.replaceChildren(...[...colors].map(([key, color]) => {
      const span = document.createElement('span');
      const swatch = document.createElement('i');
      swatch.style.background = color;
      span.append(swatch, key);
      return span;
    }));
  }
}
