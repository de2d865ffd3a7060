import { readFileSync } from 'node:fs';
import type { StatechartDescription } from '../../actors/live-statechart.ts';
import { statechartSvg } from './statechart-svg.ts';

const clientFile = (name: string) => readFileSync(new URL(`./client/${name}`, import.meta.url), 'utf8');

/** The page's script and style, read once: plain files next to this module, inlined so the page is one self-contained response. */
let assets: { style: string; script: string } | undefined;
function pageAssets() {
  assets ??= {
    style: clientFile('style.css'),
    script: ['stream.js', 'charts.js', 'statechart.js', 'main.js'].map(clientFile).join('\n'),
  };
  return assets;
}

const pages = new WeakMap<StatechartDescription, string>();
let pageWithoutChart: string | undefined;

function chart(id: string, name: string): string {
  return `<figure class="panel"><figcaption id="${id}-caption">${name}</figcaption>` +
    `<svg id="chart-${id}" role="img" aria-label="${name}"></svg><div class="legend" id="legend-${id}"></div></figure>`;
}

function render(statechart: StatechartDescription | undefined): string {
  const { style, script } = pageAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>amqp-relay · live</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${style}</style></head><body>
<header><h1>amqp-relay · live</h1>
<p>Broker: <span id="broker" class="badge">?</span> · reconnects <b id="reconnects">0</b>
 · in flight <b id="inflight">–</b> · outbox <b id="outbox">–</b>
 · <span id="conn" class="muted">connecting to the event stream…</span>
<form id="token-form" hidden><input id="token" type="password" autocomplete="off" placeholder="API token" aria-label="API token"><button>Use token</button></form></p></header>
<section class="panel"><h2>BrokerActor</h2>
${statechart ? statechartSvg(statechart) : '<svg id="statechart" data-machine="broker" role="img" aria-label="no statechart"></svg>'}
<h2>Broker states, last 10 minutes</h2>
<svg id="timeline" role="img" aria-label="broker states over the last 10 minutes"></svg>
<div class="ends"><span>−10 min</span><span>now</span></div>
<div class="legend" id="legend-timeline"></div></section>
<div class="charts">
${chart('rate', 'requests per second by outcome')}
${chart('latency', 'latency p50/p99')}
${chart('load', 'requests in flight and outbox')}
</div>
<div class="lower">
<section class="panel"><h2>Requests in flight <span class="muted">(followed: at most 20)</span></h2>
<table><thead><tr><th>kind</th><th>correlation id</th><th>state</th><th>age</th></tr></thead><tbody id="requests"></tbody></table></section>
<section class="panel" aria-live="polite"><h2>Request detail</h2><div id="detail"></div></section>
<section class="panel"><h2>Broker transitions</h2>
<table><thead><tr><th>time</th><th>state</th><th>#</th><th>reason</th></tr></thead><tbody id="history"></tbody></table></section>
</div>
<p class="muted">updated <span id="updated">never</span></p>
<script>
${script}
</script></body></html>`;
}

/**
 * The live page: one self-contained HTML response (no CDN, no build step, works offline). It
 * holds no data: the statechart is the machine's structure; everything live comes from the
 * event stream, which the page reads with a bearer token when one is needed.
 */
export function inspectorPage(statechart: StatechartDescription | undefined): string {
  if (statechart === undefined) return (pageWithoutChart ??= render(undefined));
  let page = pages.get(statechart);
  if (page === undefined) {
    page = render(statechart);
    pages.set(statechart, page);
  }
  return page;
}
