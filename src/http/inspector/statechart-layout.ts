import type { StatechartDescription, StatechartNode } from '../../actors/live-statechart.ts';

/** A state placed on the page (absolute coordinates). */
export interface PlacedState {
  readonly node: StatechartNode;
  readonly depth: number;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** A transition drawn as a cubic curve, its label at the curve's middle. */
interface PlacedEdge {
  readonly source: string;
  readonly target: string;
  readonly label: string;
  readonly d: string;
  readonly labelX: number;
  readonly labelY: number;
  readonly anchor: 'middle' | 'end';
}

export interface StatechartLayout {
  readonly width: number;
  readonly height: number;
  readonly states: readonly PlacedState[];
  readonly edges: readonly PlacedEdge[];
}

const LEAF_H = 34;
const CHAR_W = 7.2;
const GAP = 56;
const HEADER = 22;
const PAD = 16;
/** Room inside a compound state, above and below its children, for the transitions between them. */
const ARC_ROOM = 44;
const LABEL_ROW = 16;

interface Box {
  node: StatechartNode;
  w: number;
  h: number;
  children: { box: Box; dx: number; dy: number }[];
}

/** Children side by side, centred on one line: transitions then run as arcs above (forward) and below (backward). */
function measure(node: StatechartNode): Box {
  if (node.children.length === 0) return { node, w: Math.max(96, node.key.length * CHAR_W + 28), h: LEAF_H, children: [] };
  const boxes = node.children.map(measure);
  const innerH = Math.max(...boxes.map((b) => b.h));
  const top = HEADER + ARC_ROOM;
  let x = PAD + 10; // the initial-state dot sits left of the first child
  const children = boxes.map((box) => {
    const placed = { box, dx: x, dy: top + (innerH - box.h) / 2 };
    x += box.w + GAP;
    return placed;
  });
  return { node, w: x - GAP + PAD, h: top + innerH + ARC_ROOM, children };
}

function place(box: Box, x: number, y: number, depth: number, out: PlacedState[]): void {
  out.push({ node: box.node, depth, x, y, w: box.w, h: box.h });
  for (const c of box.children) place(c.box, x + c.dx, y + c.dy, depth + 1, out);
}

const isWithin = (id: string, ancestor: string) => id === ancestor || id.startsWith(`${ancestor}.`);

interface Arc {
  source: string;
  target: string;
  label: string;
  sx: number;
  sy: number;
  tx: number;
  ty: number;
  apex: number;
  above: boolean;
}

/** How high (above) or low (below) an arc must run to clear every state between its ends that does not contain both. */
function clearance(states: readonly PlacedState[], source: string, target: string, x0: number, x1: number, above: boolean): number {
  let edge = above ? Infinity : -Infinity;
  for (const s of states) {
    if (isWithin(source, s.node.id) && isWithin(target, s.node.id)) continue;
    if (s.x > x1 || s.x + s.w < x0) continue;
    edge = above ? Math.min(edge, s.y) : Math.max(edge, s.y + s.h);
  }
  return above ? edge - 14 : edge + 14;
}

function route(states: readonly PlacedState[], edges: StatechartDescription['edges']): Arc[] {
  const byId = new Map(states.map((s) => [s.node.id, s]));
  const arcs: Arc[] = [];
  const sorted = edges
    .flatMap((e) => {
      const s = byId.get(e.source);
      const t = byId.get(e.target);
      return s && t ? [{ e, s, t }] : [];
    })
    .sort((a, b) => Math.abs(a.s.x - a.t.x) - Math.abs(b.s.x - b.t.x));
  for (const { e, s, t } of sorted) {
    const label = e.events.join(' | ');
    if (isWithin(t.node.id, s.node.id) || isWithin(s.node.id, t.node.id)) {
      // Into a child from its container (or out to it): a short drop from the container's top edge.
      const inner = isWithin(t.node.id, s.node.id) ? t : s;
      const outer = inner === t ? s : t;
      const x = inner.x + 16;
      arcs.push({ source: e.source, target: e.target, label, sx: x, sy: outer.y, tx: x, ty: inner.y, apex: NaN, above: true });
      continue;
    }
    const above = s.x < t.x;
    const sx = s.x + s.w * (above ? 0.7 : 0.3);
    const tx = t.x + t.w * (above ? 0.3 : 0.7);
    const sy = above ? s.y : s.y + s.h;
    const ty = above ? t.y : t.y + t.h;
    const x0 = Math.min(sx, tx);
    const x1 = Math.max(sx, tx);
    let apex = clearance(states, e.source, e.target, x0, x1, above);
    const halfLabel = (label.length * 6.2) / 2 + 6;
    // Above any arc already drawn whose label would collide with this one's.
    for (let moved = true; moved; ) {
      moved = false;
      for (const a of arcs) {
        if (Number.isNaN(a.apex) || a.above !== above) continue;
        const mid = (a.sx + a.tx) / 2;
        const otherHalf = (a.label.length * 6.2) / 2 + 6;
        const overlapX = Math.abs(mid - (x0 + x1) / 2) < halfLabel + otherHalf || (a.sx < x1 && a.tx > x0);
        if (overlapX && Math.abs(a.apex - apex) < LABEL_ROW) {
          apex = above ? a.apex - LABEL_ROW - 2 : a.apex + LABEL_ROW + 2;
          moved = true;
        }
      }
    }
    arcs.push({ source: e.source, target: e.target, label, sx, sy, tx, ty, apex, above });
  }
  return arcs;
}

const r = (n: number) => Math.round(n * 10) / 10;

/** Lays a statechart out once: nested boxes, transitions as labelled arcs. */
export function layoutStatechart(chart: StatechartDescription): StatechartLayout {
  const placed: PlacedState[] = [];
  // The root box is the machine itself; it is drawn as the frame of the picture.
  place(measure(chart.root), 0, 0, 0, placed);
  const arcs = route(placed, chart.edges);
  const top = Math.min(0, ...arcs.filter((a) => a.above && !Number.isNaN(a.apex)).map((a) => a.apex - LABEL_ROW));
  const bottom = Math.max(placed[0]!.h, ...arcs.filter((a) => !a.above).map((a) => a.apex + LABEL_ROW));
  const dy = -top + 4;
  const states = placed.map((s) => ({ ...s, y: s.y + dy }));
  const edges = arcs.map((a): PlacedEdge => {
    const [sy, ty] = [a.sy + dy, a.ty + dy];
    if (Number.isNaN(a.apex)) {
      return { source: a.source, target: a.target, label: a.label, d: `M${r(a.sx)},${r(sy)} L${r(a.tx)},${r(ty)}`, labelX: r(a.sx - 6), labelY: r((sy + ty) / 2 + 4), anchor: 'end' };
    }
    const apex = a.apex + dy;
    const cy = (8 * apex - sy - ty) / 6;
    return {
      source: a.source,
      target: a.target,
      label: a.label,
      d: `M${r(a.sx)},${r(sy)} C${r(a.sx)},${r(cy)} ${r(a.tx)},${r(cy)} ${r(a.tx)},${r(ty)}`,
      labelX: r((a.sx + a.tx) / 2),
      labelY: r(a.above ? apex - 4 : apex + 12),
      anchor: 'middle',
    };
  });
  return { width: Math.ceil(placed[0]!.w + 2), height: Math.ceil(bottom + dy + 4), states, edges };
}
