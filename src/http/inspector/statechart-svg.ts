import type { StatechartDescription } from '../../actors/live-statechart.ts';
import { layoutStatechart, type PlacedState } from './statechart-layout.ts';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function stateMarkup(s: PlacedState, initialOf: ReadonlySet<string>): string {
  const { node } = s;
  const compound = node.children.length > 0;
  const classes = ['state', compound ? 'compound' : 'leaf', node.type === 'final' ? 'final' : ''].filter(Boolean).join(' ');
  const parts = [`<g class="${classes}" data-state-id="${escape(node.id)}" data-state="${escape(node.key)}">`];
  parts.push(`<rect x="${s.x}" y="${s.y}" width="${s.w}" height="${s.h}" rx="${compound ? 12 : 9}"/>`);
  if (node.type === 'final') parts.push(`<rect class="inner" x="${s.x + 3}" y="${s.y + 3}" width="${s.w - 6}" height="${s.h - 6}" rx="7"/>`);
  if (compound) parts.push(`<text class="name" x="${s.x + 10}" y="${s.y + 16}">${escape(node.key)}</text>`);
  else parts.push(`<text class="name" x="${s.x + s.w / 2}" y="${s.y + s.h / 2 + 4}" text-anchor="middle">${escape(node.key)}</text>`);
  if (initialOf.has(node.id)) {
    const cy = s.y + s.h / 2;
    parts.push(`<circle class="initial" cx="${s.x - 18}" cy="${cy}" r="4"/><path class="initial" d="M${s.x - 14},${cy} L${s.x - 2},${cy}" marker-end="url(#arrow)"/>`);
  }
  parts.push('</g>');
  return parts.join('');
}

/**
 * The statechart as SVG: states as rounded boxes (compound states around their children, the
 * machine itself as the frame), the initial state of each compound marked with a dot, and
 * transitions as arrows labelled with their events. Each state carries `data-state-id` and
 * each transition `data-source`/`data-target`, so the page can mark the current state and
 * flash a transition without knowing the machine.
 */
export function statechartSvg(chart: StatechartDescription): string {
  const layout = layoutStatechart(chart);
  const initialOf = new Set<string>();
  for (const s of layout.states) if (s.node.initial) initialOf.add(s.node.initial);
  const states = layout.states.map((s) => stateMarkup(s, initialOf)).join('\n');
  const edges = layout.edges
    .map(
      (e) =>
        `<g class="edge" data-source="${escape(e.source)}" data-target="${escape(e.target)}"><path d="${e.d}" marker-end="url(#arrow)"/>` +
        `<text x="${e.labelX}" y="${e.labelY}" text-anchor="${e.anchor}">${escape(e.label)}</text></g>`,
    )
    .join('\n');
  return (
    `<svg id="statechart" role="img" aria-label="statechart of the broker actor (${escape(chart.root.id)}), current state marked" ` +
    `data-machine="${escape(chart.root.id)}" viewBox="-30 0 ${layout.width + 32} ${layout.height}" width="${layout.width + 32}" height="${layout.height}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>\n` +
    `${states}\n${edges}</svg>`
  );
}
