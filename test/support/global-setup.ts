import 'vitest';
import type { TestProject } from 'vitest/node';
import { acquireBroker } from './broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    amqpUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const broker = await acquireBroker();
  project.provide('amqpUrl', broker.url);
  return () => broker.stop();
}
