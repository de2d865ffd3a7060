import * as z from 'zod/mini';

const absoluteUrl = (protocols: readonly string[]) => {
  const message = `must be an absolute ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`;
  return z.string({ error: message }).check(
    z.refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, message),
  );
};

/** The request bodies the API accepts: they validate requests and generate /openapi.json. */
export const crawlBody = z
  .looseObject({ url: absoluteUrl(['http:', 'https:']) })
  .check(z.meta({ description: 'A page to crawl; other fields pass through to the crawling service' }));
export const pingBody = z.looseObject({}).check(z.meta({ description: 'Optional fields passed to the crawling service with type "ping"' }));
// Validation refuses or lets through, never transforms: a blank text is refused, any other reaches the worker as sent.
export const recipeBody = z.object({
  recipe_text: z
    .string({ error: 'must be a non-empty string' })
    .check(
      z.minLength(1, 'must be a non-empty string'),
      z.refine((text) => text.trim() !== '', 'must be a non-empty string'),
    ),
});
export const imageBody = z.object({
  s3_url: absoluteUrl(['http:', 'https:', 's3:']),
  description: z.optional(z.string({ error: 'must be a string when present' })),
});
