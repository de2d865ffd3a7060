import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { createWebSocketReceiver } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';

/**
 * The other end of XSTATE_INSPECT=ws://…: @statelyai/inspect's own server. Relays send their
 * inspection events to it over a WebSocket; it passes them on to every other client (it keeps
 * the last 200 for late ones), and at http://localhost:<port> serves a page that embeds
 * https://stately.ai/inspect and feeds it (the browser needs that site, so internet access).
 *
 *   npx tsx scripts/inspector-server.ts [--port 8080] [--print | --json]
 *
 * --print also writes one line per inspection event to stdout (no browser needed); --json writes
 * each event as it arrived, one JSON document a line.
 */

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    print: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65_535) {
  console.error(`--port must be a port number (1-65535), got ${values.port}`);
  process.exit(2);
}

/** createInspectorServer throws from an 'error' event nobody can listen to when the port is taken: ask first. */
async function portIsFree(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

if (!(await portIsFree())) {
  console.error(`port ${port} is in use: choose another with --port`);
  process.exit(1);
}
const server = createInspectorServer({ port, autoOpen: false });

async function serving(): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

if (!(await serving())) {
  console.error(`the inspector server did not answer on port ${port} within 5 s`);
  process.exit(1);
}
console.log(`Stately inspector server on port ${port}.`);
console.log(`  relay:   XSTATE_INSPECT=ws://localhost:${port} npm start   (XSTATE_INSPECT_BODIES=true to include bodies)`);
console.log(`  browser: http://localhost:${port}   (shows https://stately.ai/inspect: needs internet)`);

interface Shown {
  type: string;
  sessionId: string;
  name?: string;
  event?: { type?: string };
  snapshot?: { status?: string; value?: unknown };
}

if (values.print || values.json) {
  const names = new Map<string, string>();
  createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` }).subscribe((raw) => {
    if (values.json) {
      console.log(JSON.stringify(raw));
      return;
    }
    const e = raw as unknown as Shown;
    if (e.type === '@xstate.actor' && e.name) names.set(e.sessionId, e.name);
    const actor = names.get(e.sessionId) ?? e.sessionId;
    const detail =
      e.type === '@xstate.snapshot'
        ? `${e.snapshot?.value === undefined ? '' : `${JSON.stringify(e.snapshot.value)} `}${e.snapshot?.status} after ${e.event?.type}`
        : e.type === '@xstate.event'
          ? (e.event?.type ?? '')
          : 'created';
    console.log(`${new Date().toISOString()} ${e.type.slice('@xstate.'.length).padEnd(8)} ${actor} ${detail}`);
  });
}

const stop = () => {
  server.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
