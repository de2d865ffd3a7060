import { createHash } from 'node:crypto';

/**
 * Deterministic stand-ins for the real AI model service: same input, same output, no model.
 * They exist so the relay can be run and tested end to end; replace them with the real service.
 */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const UNITS = 'kg|g|mg|ml|l|cl|dl|tbsp|tsp|cups?|pinch(?:es)?|cloves?|slices?|pieces?';
const INGREDIENT = new RegExp(`(\\d+(?:[.,]\\d+)?|½|¼|¾)\\s*(${UNITS})?\\s+(?:of\\s+)?([a-zA-Z][a-zA-Z-]*(?:\\s+[a-zA-Z][a-zA-Z-]*)?)`, 'g');
const DURATION = /(\d+(?:[.,]\d+)?)\s*(h|hours?|hrs?|min(?:ute)?s?|m)\b/gi;

export interface RecipeAnalysis {
  readonly type: 'recipe_analysis';
  readonly ingredients: ReadonlyArray<{ readonly quantity: number; readonly unit: string | null; readonly name: string }>;
  readonly steps: number;
  readonly totalMinutes: number;
  readonly difficulty: 'easy' | 'medium' | 'hard';
  readonly characters: number;
  readonly inputSha256: string;
  readonly analyzer: 'reference';
}

function quantity(raw: string): number {
  return raw === '½' ? 0.5 : raw === '¼' ? 0.25 : raw === '¾' ? 0.75 : Number(raw.replace(',', '.'));
}

export function analyzeRecipe(text: string): RecipeAnalysis {
  const ingredients = [...text.matchAll(INGREDIENT)]
    .filter((m) => !/^(min|minutes?|hours?|h)$/i.test(m[3]!.split(/\s+/)[0]!))
    .map((m) => ({ quantity: quantity(m[1]!), unit: m[2]?.toLowerCase() ?? null, name: m[3]!.toLowerCase() }));
  const totalMinutes = [...text.matchAll(DURATION)].reduce(
    (sum, m) => sum + quantity(m[1]!) * (/^h/i.test(m[2]!) ? 60 : 1),
    0,
  );
  const steps = text.split(/[.!?\n]+/).filter((sentence) => sentence.trim().length > 0).length;
  const difficulty = steps <= 3 && totalMinutes <= 30 ? 'easy' : steps <= 8 && totalMinutes <= 120 ? 'medium' : 'hard';
  return { type: 'recipe_analysis', ingredients, steps, totalMinutes, difficulty, characters: text.length, inputSha256: sha256(text), analyzer: 'reference' };
}

export interface ImageAnalysis {
  readonly type: 'image_analysis';
  readonly s3Url: string;
  readonly format: string | null;
  readonly labels: readonly string[];
  readonly inputSha256: string;
  readonly analyzer: 'reference';
}

const STOP_WORDS = new Set(['a', 'an', 'the', 'of', 'with', 'and', 'on', 'in', 'for', 'to', 'is', 'at', 'my']);

export function analyzeImage(s3Url: string, description: string | undefined): ImageAnalysis {
  const path = (() => {
    try {
      return new URL(s3Url).pathname;
    } catch {
      return s3Url;
    }
  })();
  const format = /\.([a-z0-9]{2,5})$/i.exec(path)?.[1]?.toLowerCase() ?? null;
  const words = `${description ?? ''} ${path.replace(/[/_.-]+/g, ' ')}`.toLowerCase().match(/[a-z]{3,}/g) ?? [];
  const labels = [...new Set(words.filter((w) => !STOP_WORDS.has(w) && w !== format))].slice(0, 10);
  return { type: 'image_analysis', s3Url, format, labels, inputSha256: sha256(`${s3Url}\n${description ?? ''}`), analyzer: 'reference' };
}
