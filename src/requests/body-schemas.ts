import { z } from 'zod';

const absoluteUrl = (protocols: readonly string[]) =>
  z.string({ error: `must be an absolute ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL` }).refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be an absolute ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`);

/** The request bodies the API accepts: they validate requests and generate /openapi.json. */
export const crawlBody = z.looseObject({ url: absoluteUrl(['http:', 'https:']) }).meta({
  description: 'A page to crawl; other fields pass through to the crawling service',
});
export const pingBody = z.looseObject({}).meta({ description: 'Optional fields passed to the crawling service with type "ping"' });
// Validation refuses or lets through, never transforms: a blank text is refused, any other reaches the worker as sent.
export const recipeBody = z.object({
  recipe_text: z
    .string({ error: 'must be a non-empty string' })
    .min(1, 'must be a non-empty string')
    .refine((text) => text.trim() !== '', 'must be a non-empty string'),
});
export const imageBody = z.object({ s3_url: absoluteUrl(['http:', 'https:', 's3:']), description: z.string({ error: 'must be a string when present' }).optional() });
