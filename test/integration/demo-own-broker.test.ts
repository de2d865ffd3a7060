import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_NODE, systemProbes, tcpAnswers } from '../../src/demo/broker.ts';
import { freePort } from '../support/ports.ts';
import { postJson, waitFor } from '../support/relay-harness.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const RABBIT_NODE = `${root}scripts/rabbit-node.sh`;
/** Nothing listens here: to the demo, it is a machine without a broker on its RABBITMQ_URL (the shared 5672 stays untouched). */
const UNUSED_URL = 'amqp://guest:guest@127.0.0.1:5698';

const demoNodeRuns = () => run(RABBIT_NODE, ['ctl', DEMO_NODE.name, '-q', 'status'], { timeout: 30_000 }).then(() => true, () => false);

describe.skipIf(!systemProbes([UNUSED_URL]).rabbitmqServerInstalled())('npm run demo where no broker answers', () => {
  it('starts a private RabbitMQ node, answers a request through it, and stops the node on Ctrl-C', { timeout: 180_000 }, async () => {
    expect(await tcpAnswers(UNUSED_URL)).toBe(false);
    expect(await demoNodeRuns()).toBe(false);
    const port = await freePort();
    const demo = spawn(process.execPath, ['--import', 'tsx', 'src/demo.ts'], {
      cwd: root,
      // A process group of its own, signalled as a whole below: what a terminal does on Ctrl-C.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, RABBITMQ_URL: UNUSED_URL, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    demo.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    try {
      const baseUrl = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${baseUrl}/readyz`).catch(() => undefined))?.status === 200, 120_000, `the demo to be ready (stderr: ${stderr})`);
      const res = await postJson(baseUrl, '/api/ai/recipe', { recipe_text: '2 eggs, 100 g flour. Whisk, then bake 20 min.' });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ type: 'recipe_analysis', analyzer: 'reference', totalMinutes: 20 });
      expect(await demoNodeRuns()).toBe(true);

      process.kill(-demo.pid!, 'SIGINT');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 90_000))]);
      expect(code).toBe(0);
      expect(await demoNodeRuns()).toBe(false);
    } finally {
      if (demo.exitCode === null && demo.signalCode === null) process.kill(-demo.pid!, 'SIGKILL');
      await run(RABBIT_NODE, ['stop', DEMO_NODE.name, String(DEMO_NODE.port)], { timeout: 90_000 }).catch(() => {});
    }
  });
});
