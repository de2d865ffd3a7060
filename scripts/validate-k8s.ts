import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

/**
 * Validates the resources that deploy/kubernetes/kustomization.yaml lists against the
 * Kubernetes API schemas (kubernetes-models: types, required fields, formats; unknown fields are
 * not rejected, so test/unit/kubernetes-manifests.test.ts also checks the fields that matter).
 *
 *   npx tsx scripts/validate-k8s.ts [dir]
 */

export interface Resource {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
  /** undefined when valid. */
  readonly error: string | undefined;
}

const models: Record<string, new (body: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

export const defaultDir = join(dirname(fileURLToPath(import.meta.url)), '../deploy/kubernetes');

function parseYaml(path: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as Record<string, unknown>;
  });
}

export function validateManifests(dir: string = defaultDir): Resource[] {
  const kustomization = parseYaml(join(dir, 'kustomization.yaml'))[0] as { resources?: string[] };
  return (kustomization.resources ?? []).flatMap((file) =>
    parseYaml(join(dir, file)).map((body): Resource => {
      const apiVersion = String(body.apiVersion);
      const kind = String(body.kind);
      const name = String((body.metadata as { name?: unknown } | undefined)?.name);
      const Model = models[`${apiVersion}/${kind}`];
      let error: string | undefined;
      if (!Model) error = `no schema here for ${apiVersion} ${kind}`;
      else {
        try {
          new Model(body as never).validate();
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
        }
      }
      return { file, apiVersion, kind, name, body, error };
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? defaultDir;
  const resources = validateManifests(dir);
  for (const r of resources) process.stdout.write(`${r.error ? 'INVALID' : 'valid  '} ${relative(process.cwd(), join(dir, r.file))}: ${r.apiVersion} ${r.kind} ${r.name}${r.error ? ` — ${r.error}` : ''}\n`);
  const invalid = resources.filter((r) => r.error).length;
  process.stdout.write(`${resources.length} resources, ${invalid} invalid\n`);
  process.exitCode = invalid > 0 ? 1 : 0;
}
