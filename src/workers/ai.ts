import { analyzeImage, analyzeRecipe } from './analyzers.ts';
import type { Handler, WorkRequest, WorkResult } from './runtime.ts';

/** The AI service: recipe and image analysis by the deterministic reference analyzers. */
export const aiHandler: Handler = (request) => Promise.resolve(analyze(request));

function analyze({ body, type }: WorkRequest): WorkResult {
  const request = (body ?? {}) as { type?: unknown; recipe_text?: unknown; s3_url?: unknown; description?: unknown };
  const kind = request.type ?? type;
  if (kind === 'recipe_analysis') {
    if (typeof request.recipe_text !== 'string' || request.recipe_text.trim() === '') return { error: 'recipe_text must be a non-empty string' };
    return { reply: analyzeRecipe(request.recipe_text) };
  }
  if (kind === 'image_analysis') {
    if (typeof request.s3_url !== 'string') return { error: 's3_url must be a string' };
    return { reply: analyzeImage(request.s3_url, typeof request.description === 'string' ? request.description : undefined) };
  }
  return { error: `unknown request type ${JSON.stringify(kind)}` };
}
