const field = (value: unknown, key: string): unknown => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined);

/** The two endpoints the benches load: the path, a body carrying a token, and the token read back from an echoed reply. */
export const ENDPOINTS = {
  recipe: { path: '/api/ai/recipe', body: (token: string) => ({ recipe_text: token }), tokenOf: (reply: unknown) => field(reply, 'recipe_text') },
  crawl: {
    path: '/api/crawl',
    body: (token: string) => ({ url: `https://example.com/${token}` }),
    tokenOf: (reply: unknown) => {
      const url = field(reply, 'url');
      return typeof url === 'string' ? url.slice(20) : undefined;
    },
  },
} as const;
export type EndpointName = keyof typeof ENDPOINTS;

/** A bench's request from its command-line endpoint name (`crawl`; anything else is recipe): the path and its JSON body. */
export function benchRequest(name: string, token: string): { readonly path: string; readonly body: string } {
  const endpoint = name === 'crawl' ? ENDPOINTS.crawl : ENDPOINTS.recipe;
  return { path: endpoint.path, body: JSON.stringify(endpoint.body(token)) };
}
