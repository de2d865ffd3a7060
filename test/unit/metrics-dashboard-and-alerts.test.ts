import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RelayMetrics } from '../../src/metrics.ts';

const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/amqp-relay.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const rules = parse(readFileSync(new URL('../../deploy/prometheus/amqp-relay.rules.yml', import.meta.url), 'utf8')) as {
  groups: { name: string; rules: { alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
};

/** The series names a scrape of the relay shows (histograms as their _bucket, _count and _sum series). */
async function exportedNames(): Promise<Set<string>> {
  const text = await new RelayMetrics().registry.metrics();
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** The relay's and Node's metric names a PromQL expression reads. */
function namesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:relay|process|nodejs)_[A-Za-z0-9_]+/g)].map((m) => m[0]);
}

/** Every PromQL expression of the dashboard: panel targets and template variable queries. */
function dashboardExpressions(): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (typeof record.expr === 'string') found.push(record.expr);
      if (record.type === 'query' && typeof record.definition === 'string') found.push(record.definition);
      Object.values(record).forEach(walk);
    }
  };
  walk(dashboard);
  return found;
}

/** Every `datasource` reference in the dashboard. */
function datasources(): { type?: string; uid?: string }[] {
  const found: { type?: string; uid?: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (typeof record.datasource === 'object' && record.datasource !== null) found.push(record.datasource);
      Object.values(record).forEach(walk);
    }
  };
  walk(dashboard.panels);
  walk(dashboard.templating);
  return found;
}

/** The series docs/contract.md requires of GET /metrics. */
const CONTRACT_SERIES = [
  'relay_requests_total',
  'relay_request_duration_seconds_bucket',
  'relay_requests_in_flight',
  'relay_outbox_size',
  'relay_broker_connected',
  'relay_broker_reconnects_total',
  'relay_replies_dropped_total',
];

describe('the Grafana dashboard', () => {
  const expressions = dashboardExpressions();

  it('reads only series the relay exports', async () => {
    const exported = await exportedNames();
    expect(expressions.length).toBeGreaterThan(10);
    for (const expr of expressions) {
      expect(namesIn(expr), expr).not.toEqual([]);
      for (const name of namesIn(expr)) expect(exported, `${name} in ${expr}`).toContain(name);
    }
  });

  it("plots every series of the contract's GET /metrics", () => {
    const used = new Set(expressions.flatMap(namesIn));
    for (const name of CONTRACT_SERIES) expect(used, name).toContain(name);
  });

  it('takes its Prometheus data source from a variable, never a fixed uid', () => {
    const templating = (dashboard.templating as { list: { type: string; name: string; query: unknown }[] }).list;
    expect(templating).toContainEqual(expect.objectContaining({ type: 'datasource', name: 'datasource', query: 'prometheus' }));
    const references = datasources();
    expect(references.length).toBeGreaterThan(0);
    for (const ref of references) expect(ref).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(dashboard.schemaVersion).toBe(39);
  });
});

describe('the Prometheus alert rules', () => {
  const alerts = rules.groups.flatMap((group) => group.rules);

  it('read only series the relay exports', async () => {
    const exported = await exportedNames();
    for (const { alert, expr } of alerts) {
      expect(namesIn(expr), alert).not.toEqual([]);
      for (const name of namesIn(expr)) expect(exported, `${name} in ${alert}`).toContain(name);
    }
  });

  it('give every alert a severity, a summary and a description', () => {
    expect(alerts.map((rule) => rule.alert)).toEqual(['RelayBrokerDown', 'RelayReconnectStorm', 'RelayTimeoutsRising', 'RelayOverloaded', 'RelayRepliesDropped']);
    for (const rule of alerts) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toEqual(expect.any(String));
      expect(rule.annotations?.description, rule.alert).toEqual(expect.any(String));
    }
  });
});

describe('docs/observability.md', () => {
  it('lists every relay metric the relay exports', async () => {
    const doc = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');
    const relayMetrics = [...(await exportedNames())].filter((name) => name.startsWith('relay_') && !/_(bucket|count|sum)$/.test(name));
    expect(relayMetrics.length).toBeGreaterThan(10);
    for (const name of relayMetrics) expect(doc, name).toContain(`| \`${name}\` |`);
  });
});
