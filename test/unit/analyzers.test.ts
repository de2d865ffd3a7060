import { describe, expect, it } from 'vitest';
import { aiHandler } from '../../src/workers/ai.ts';
import { analyzeImage, analyzeRecipe } from '../../src/workers/analyzers.ts';

describe('reference recipe analyzer', () => {
  it('finds ingredients with quantities and units, steps and cooking time', () => {
    const analysis = analyzeRecipe('2 eggs, 100 g flour, 250 ml milk. Whisk for 2 min, then bake 1 h 20 min.');
    expect(analysis.ingredients).toEqual([
      { quantity: 2, unit: null, name: 'eggs' },
      { quantity: 100, unit: 'g', name: 'flour' },
      { quantity: 250, unit: 'ml', name: 'milk' },
    ]);
    expect(analysis.totalMinutes).toBe(82);
    expect(analysis.steps).toBe(2);
    expect(analysis.analyzer).toBe('reference');
  });

  it('is deterministic and tells inputs apart', () => {
    expect(analyzeRecipe('1 egg')).toEqual(analyzeRecipe('1 egg'));
    expect(analyzeRecipe('1 egg').inputSha256).not.toBe(analyzeRecipe('2 eggs').inputSha256);
  });
});

describe('reference image analyzer', () => {
  it('labels an image from its description and path', () => {
    const analysis = analyzeImage('s3://photos/desserts/chocolate-cake.JPG', 'A slice of cake on a plate');
    expect(analysis.format).toBe('jpg');
    expect(analysis.labels).toEqual(expect.arrayContaining(['slice', 'cake', 'plate', 'chocolate', 'desserts']));
    expect(analysis.labels).not.toContain('a');
  });
});

describe('AI worker handler', () => {
  it('answers both request types and reports bad requests as errors', async () => {
    await expect(aiHandler({ body: { type: 'recipe_analysis', recipe_text: '1 egg' }, type: 'recipe_analysis', correlationId: 'x', headers: {} })).resolves.toMatchObject({ reply: { type: 'recipe_analysis' } });
    await expect(aiHandler({ body: { type: 'image_analysis', s3_url: 's3://b/k.png' }, type: 'image_analysis', correlationId: 'x', headers: {} })).resolves.toMatchObject({ reply: { type: 'image_analysis', format: 'png' } });
    await expect(aiHandler({ body: { type: 'recipe_analysis', recipe_text: '' }, type: 'recipe_analysis', correlationId: 'x', headers: {} })).resolves.toEqual({ error: 'recipe_text must be a non-empty string' });
    await expect(aiHandler({ body: { type: 'dance' }, type: 'dance', correlationId: 'x', headers: {} })).resolves.toMatchObject({ error: expect.stringContaining('unknown request type') });
  });
});
