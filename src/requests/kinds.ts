import type * as z from 'zod/mini';
import type { Config } from '../config/load-config.ts';
import { crawlBody, imageBody, pingBody, recipeBody } from './body-schemas.ts';
import { type ClientBody, withLeadingField } from './client-body.ts';

/** Which back-end service a kind goes to: it decides the queue family, the reply path and the channel. */
export type Service = 'crawling' | 'ai';

/** How the route answers: with the reply, with 202 at once, or 202 only when the client sends `Prefer: respond-async`. */
type AnswerMode = 'reply' | 'accept' | 'replyUnlessPreferAsync';

export interface KindSpec {
  readonly route: string;
  readonly summary: string;
  readonly service: Service;
  readonly answer: AnswerMode;
  /** The body's schema; it validates and never transforms. */
  readonly schema: z.ZodMiniType<Record<string, unknown>>;
  /** No body at all is allowed (then it counts as `{}`). */
  readonly bodyOptional: boolean;
  /** The queue a request of this kind is published to. */
  readonly queue: (queues: Config['queues']) => string;
  /** This kind's deadline, from the configuration. */
  readonly deadlineMs: (timeouts: Config['timeouts']) => number;
  /** The AMQP body built from the client's validated body (the wire contract's "Bodies"), its fields as the client wrote them. */
  readonly wireBody: (body: ClientBody) => Buffer;
  /** A reply is optional: once the broker has confirmed the message, reaching the deadline is a success. */
  readonly replyOptional: boolean;
}

const crawlDeadline = (t: Config['timeouts']) => t.crawlMs;
const aiDeadline = (t: Config['timeouts']) => t.aiMs;

/**
 * Every kind of request the relay carries, in one table read by the routes, the relay, the
 * message builder, the OpenAPI document and the test fakes. A new kind is one entry here plus its
 * body schema.
 */
export const REQUEST_KINDS = {
  crawl: {
    route: '/api/crawl',
    summary: 'Crawl a page (synchronously, or asynchronously with Prefer: respond-async)',
    service: 'crawling',
    answer: 'replyUnlessPreferAsync',
    schema: crawlBody,
    bodyOptional: false,
    queue: (q) => q.crawlRequest,
    deadlineMs: crawlDeadline,
    wireBody: (body) => body.json,
    replyOptional: false,
  },
  ping: {
    route: '/api/crawl/ping',
    summary: 'Fire-and-forget ping to the crawling service',
    service: 'crawling',
    answer: 'accept',
    schema: pingBody,
    bodyOptional: true,
    queue: (q) => q.crawlRequest,
    deadlineMs: crawlDeadline,
    wireBody: (body) => withLeadingField('type', 'ping', body),
    replyOptional: true,
  },
  recipe_analysis: {
    route: '/api/ai/recipe',
    summary: 'Recipe analysis',
    service: 'ai',
    answer: 'reply',
    schema: recipeBody,
    bodyOptional: false,
    queue: (q) => q.recipe,
    deadlineMs: aiDeadline,
    // Only strings are taken from the client here: serialised again, a string is the same text.
    wireBody: ({ fields: { recipe_text } }) => Buffer.from(JSON.stringify({ type: 'recipe_analysis', recipe_text })),
    replyOptional: false,
  },
  image_analysis: {
    route: '/api/ai/image',
    summary: 'Image analysis',
    service: 'ai',
    answer: 'reply',
    schema: imageBody,
    bodyOptional: false,
    queue: (q) => q.image,
    deadlineMs: aiDeadline,
    wireBody: ({ fields: { s3_url, description } }) =>
      Buffer.from(JSON.stringify(description === undefined ? { type: 'image_analysis', s3_url } : { type: 'image_analysis', s3_url, description })),
    replyOptional: false,
  },
} as const satisfies Record<string, KindSpec>;

export type RequestKind = keyof typeof REQUEST_KINDS;

/**
 * Kinds the relay sends on its own, with no route, body schema or worker: `lookup` asks another
 * instance for an async result it owns (see lookup.ts). They are request actors like the others.
 */
type InternalKind = 'lookup';

/** Every kind a request actor can carry (what /debug/actors and the live page show). */
export type ActorKind = RequestKind | InternalKind;

export const KIND_NAMES = Object.keys(REQUEST_KINDS) as RequestKind[];
