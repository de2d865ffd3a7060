import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultDir, type Resource, validateManifests } from '../../scripts/validate-k8s.ts';

/** deploy/kubernetes: what `kubectl apply -k deploy/kubernetes` creates. */
describe('the Kubernetes manifests', () => {
  const resources = validateManifests();
  const find = (kind: string) => {
    const found = resources.find((r) => r.kind === kind);
    if (!found) throw new Error(`no ${kind} in deploy/kubernetes`);
    return found.body as any;
  };
  const deployment = find('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const config = find('ConfigMap').data as Record<string, string>;

  it('are valid against the Kubernetes API schemas', () => {
    expect(resources.map((r: Resource) => `${r.kind} ${r.error ?? 'valid'}`)).toEqual([
      'ConfigMap valid',
      'Secret valid',
      'Deployment valid',
      'Service valid',
      'PodDisruptionBudget valid',
    ]);
  });

  it('give the pod more grace than the shutdown delay and drain timeout together', () => {
    const drainMs = Number(config.SHUTDOWN_DELAY_MS) + Number(config.SHUTDOWN_TIMEOUT_MS);
    expect(drainMs).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs);
  });

  it('route traffic by /readyz and restart on /healthz, on the port the relay listens on', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 3000 }]);
    expect(find('Service').spec.ports[0].targetPort).toBe('http');
  });

  it('select the Deployment\'s pods from the Service and the PodDisruptionBudget', () => {
    const labels = deployment.spec.template.metadata.labels;
    for (const selector of [deployment.spec.selector.matchLabels, find('Service').spec.selector, find('PodDisruptionBudget').spec.selector.matchLabels]) {
      expect(labels).toMatchObject(selector);
    }
  });

  it('run the relay as a non-root user on a read-only root filesystem', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('take the broker URL from the Secret and quorum queues from the ConfigMap', () => {
    const url = container.env.find((e: { name: string }) => e.name === 'RABBITMQ_URL');
    expect(url.valueFrom.secretKeyRef).toEqual({ name: find('Secret').metadata.name, key: 'RABBITMQ_URL' });
    expect(container.envFrom).toEqual([{ configMapRef: { name: find('ConfigMap').metadata.name } }]);
    expect(config.RABBITMQ_QUEUE_TYPE).toBe('quorum');
  });

  describe('a broken copy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-manifests-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('is reported, not passed', () => {
      cpSync(defaultDir, dir, { recursive: true });
      const path = join(dir, 'deployment.yaml');
      writeFileSync(path, readFileSync(path, 'utf8').replace('replicas: 2', 'replicas: two'));
      const broken = validateManifests(dir).find((r) => r.kind === 'Deployment');
      expect(broken?.error).toContain('replicas must be integer');
    });
  });
});
