// Time-series charts drawn as plain SVG: the last 5 minutes, one point per second.
const SVG_NS = 'http://www.w3.org/2000/svg';
const WINDOW_MS = 5 * 60 * 1000;
const W = 400;
const H = 150;
const M = { left: 40, right: 6, top: 8, bottom: 16 };
const OUTCOME_COLORS = { ok: '#4c9f50', TIMEOUT: '#f28e2b', BROKER_UNAVAILABLE: '#e15759', WORKER_ERROR: '#b07aa1', BAD_REPLY: '#9c755f', NO_ROUTE: '#76b7b2' };
const PALETTE = ['#59a14f', '#edc948', '#ff9da7', '#bab0ac', '#4e79a7'];

function colorOfOutcome(name, index) {
  return OUTCOME_COLORS[name] || PALETTE[index % PALETTE.length];
}

/** 0, 1, 2, 5, 10, 20, 50 … : a round top for the y axis. */
function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function el(name, attrs, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(svg, now, top, unit) {
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const x = (at) => M.left + ((at - (now - WINDOW_MS)) / WINDOW_MS) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - (v / top) * (H - M.top - M.bottom);
  const nodes = [];
  for (const f of [0, 0.5, 1]) {
    nodes.push(el('line', { class: 'grid', x1: M.left, x2: W - M.right, y1: y(top * f), y2: y(top * f) }));
    nodes.push(el('text', { class: 'axis', x: M.left - 4, y: y(top * f) + 3, 'text-anchor': 'end' }, formatNumber(top * f)));
  }
  nodes.push(el('text', { class: 'axis', x: M.left, y: H - 3 }, '−5 min'));
  nodes.push(el('text', { class: 'axis', x: W - M.right, y: H - 3, 'text-anchor': 'end' }, 'now'));
  return { x, y, nodes };
}

function formatNumber(v) {
  return v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
}

function legend(container, items) {
  container.replaceChildren(...items.map(([label, color]) => {
    const span = document.createElement('span');
    const swatch = document.createElement('i');
    swatch.style.background = color;
    span.append(swatch, label);
    return span;
  }));
}

/** Requests per second, one stacked band per outcome (ok first). */
function drawOutcomes(svg, legendEl, seconds, now) {
  const names = [...new Set(seconds.flatMap((s) => Object.keys(s.outcomes)))].sort((a, b) => (a === 'ok' ? -1 : b === 'ok' ? 1 : a.localeCompare(b)));
  const totals = seconds.map((s) => names.reduce((sum, n) => sum + (s.outcomes[n] || 0), 0));
  const top = niceCeiling(Math.max(0, ...totals));
  const { x, y, nodes } = frame(svg, now, top, '');
  const base = seconds.map(() => 0);
  names.forEach((name, i) => {
    const upper = seconds.map((s, j) => base[j] + (s.outcomes[name] || 0));
    const line = seconds.map((s, j) => `${x(s.at).toFixed(1)},${y(upper[j]).toFixed(1)}`);
    const back = seconds.map((s, j) => `${x(s.at).toFixed(1)},${y(base[j]).toFixed(1)}`).reverse();
    nodes.push(el('polygon', { class: 'band', 'data-outcome': name, points: [...line, ...back].join(' '), fill: colorOfOutcome(name, i), opacity: 0.85 }));
    upper.forEach((v, j) => (base[j] = v));
  });
  svg.replaceChildren(...nodes);
  const last = seconds.at(-1);
  svg.dataset.latest = String(totals.at(-1) || 0);
  svg.dataset.peak = String(Math.max(0, ...totals));
  legend(legendEl, names.map((n, i) => [`${n} ${last ? last.outcomes[n] || 0 : 0}/s`, colorOfOutcome(n, i)]));
}

/** Lines: [{ name, color, value(second) → number | null }]; a null value breaks the line. */
function drawLines(svg, legendEl, seconds, now, lines, unit) {
  const values = lines.map((l) => seconds.map((s) => l.value(s)));
  const top = niceCeiling(Math.max(0, ...values.flat().filter((v) => v !== null)));
  const { x, y, nodes } = frame(svg, now, top, unit);
  lines.forEach((l, i) => {
    let d = '';
    let pen = 'M';
    seconds.forEach((s, j) => {
      const v = values[i][j];
      if (v === null) { pen = 'M'; return; }
      d += `${pen}${x(s.at).toFixed(1)},${y(v).toFixed(1)} `;
      pen = 'L';
    });
    nodes.push(el('path', { class: 'line', 'data-series': l.name, d: d.trim(), fill: 'none', stroke: l.color, 'stroke-width': 1.8, 'vector-effect': 'non-scaling-stroke' }));
  });
  svg.replaceChildren(...nodes);
  const latest = values.map((v) => v.at(-1));
  svg.dataset.latest = latest.map((v) => (v === null || v === undefined ? '' : v)).join(',');
  svg.dataset.peak = String(Math.max(0, ...values.flat().filter((v) => v !== null)));
  legend(legendEl, lines.map((l, i) => [`${l.name} ${latest[i] === null || latest[i] === undefined ? '–' : formatNumber(latest[i]) + unit}`, l.color]));
}

function drawCharts(seconds, now) {
  const $ = (id) => document.getElementById(id);
  const shown = seconds.filter((s) => s.at > now - WINDOW_MS);
  drawOutcomes($('chart-rate'), $('legend-rate'), shown, now);
  drawLines($('chart-latency'), $('legend-latency'), shown, now, [
    { name: 'p50', color: '#4e79a7', value: (s) => s.p50Ms },
    { name: 'p99', color: '#e15759', value: (s) => s.p99Ms },
  ], ' ms');
  drawLines($('chart-load'), $('legend-load'), shown, now, [
    { name: 'in flight', color: '#4e79a7', value: (s) => s.inFlight },
    { name: 'outbox', color: '#f28e2b', value: (s) => s.outbox },
  ], '');
}
