import { defineConfig } from 'vitest/config';

/**
 * Projects: unit (no network), integration (the real broker, files in parallel with their own
 * queues), chaos (disturbs a private broker node or the link: one file at a time, never beside
 * the others), e2e (a real headless browser), cluster (a private three-node RabbitMQ cluster).
 */
const brokerSetup = 'test/support/global-setup.ts';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: [brokerSetup] } },
      {
        extends: true,
        test: {
          name: 'chaos',
          globalSetup: [brokerSetup],
          include: ['test/chaos/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: { name: 'e2e', globalSetup: [brokerSetup], include: ['test/e2e/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000 },
      },
      {
        extends: true,
        test: { name: 'cluster', globalSetup: [brokerSetup], include: ['test/cluster/**/*.test.ts'], fileParallelism: false, testTimeout: 300_000, hookTimeout: 300_000 },
      },
    ],
  },
});
