/**
 * The Kubernetes manifests. Real: `kubectl kustomize` renders every overlay (offline), the npm
 * package kubernetes-models validates every object against the Kubernetes API schemas, and policy
 * checks run over the rendered objects. Not here: a cluster (no admission, no scheduling).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const K8S = join(ROOT, 'deploy', 'k8s');
const OVERLAYS = readdirSync(join(K8S, 'overlays'));

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

function render(dir: string): Obj[] {
  const yaml = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(yaml).map((d) => d.toJSON() as Obj);
}

function validate(objs: unknown[]): Array<{ kind: string; name: string; error: string | null }> {
  const out = execFileSync(process.execPath, [join(__dirname, 'validate-k8s.mjs')], { input: JSON.stringify(objs), encoding: 'utf8' });
  return JSON.parse(out) as Array<{ kind: string; name: string; error: string | null }>;
}

function podSpec(o: Obj): any {
  return o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'DaemonSet' ? o.spec.template.spec : o.kind === 'Pod' ? o.spec : undefined;
}

describe('deploy/k8s', () => {
  it('has a dev and a prod overlay', () => {
    expect(OVERLAYS.sort()).toEqual(['dev', 'prod']);
  });

  it('the schema validation catches a broken object (the check itself works)', () => {
    const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { selector: {}, template: { spec: { containers: [{ name: 42 }] } } } };
    const good = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' }, data: { A: 'b' } };
    const [b, g] = validate([bad, good]);
    expect(b.error).toMatch(/name/);
    expect(g.error).toBeNull();
  }, 30_000);

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    let objs: Obj[];
    beforeAll(() => {
      objs = render(join(K8S, 'overlays', overlay));
    });
    const of = (kind: string) => objs.filter((o) => o.kind === kind);

    it('renders and every object is valid against the Kubernetes schemas', () => {
      expect(objs.length).toBeGreaterThanOrEqual(10);
      for (const kind of ['Namespace', 'ConfigMap', 'Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'PersistentVolumeClaim']) {
        expect(of(kind).length).toBeGreaterThan(0);
      }
      const results = validate(objs);
      expect(results.filter((r) => r.error)).toEqual([]);
      expect(results).toHaveLength(objs.length);
    }, 30_000);

    it('everything lives in the overlay namespace', () => {
      const ns = of('Namespace')[0].metadata.name;
      for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect(`${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name} in ${ns}`);
    });

    it('pods: probes, resources, non-root, seccomp, no privilege escalation, pinned image tags, a preStop', () => {
      const pods = objs.filter((o) => podSpec(o));
      expect(pods.length).toBeGreaterThan(0);
      for (const o of pods) {
        const spec = podSpec(o);
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
        for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
          const where = `${o.kind}/${o.metadata.name} ${c.name}`;
          expect({ where, image: c.image }).toEqual({ where, image: expect.stringMatching(/^[^:@]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/) });
          expect({ where, latest: /:latest$/.test(c.image) }).toEqual({ where, latest: false });
          expect(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory).toBeTruthy();
          expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        }
        const main = spec.containers[0];
        expect(main.livenessProbe.httpGet.path).toBe('/health');
        expect(main.readinessProbe.httpGet.path).toBe('/ready');
        expect(main.startupProbe).toBeDefined();
        expect(main.lifecycle?.preStop).toBeDefined();
        expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
      }
    });

    it('secrets are referenced, never written inline', () => {
      for (const s of of('Secret')) expect({ name: s.metadata.name, data: s.data ?? s.stringData }).toEqual({ name: s.metadata.name, data: undefined });
      const cm = of('ConfigMap').flatMap((c) => Object.keys(c.data ?? {}));
      for (const key of cm) expect(key).not.toMatch(/SECRET|PASSWORD|ADMIN_KEY|API_KEY|DATABASE_URL|REDIS_URL/);
      const env = of('Deployment').flatMap((d) => d.spec.template.spec.containers.flatMap((c: any) => c.env ?? []));
      for (const name of ['GODEL_ADMIN_KEY', 'GODEL_JWT_SECRET', 'DATABASE_URL', 'REDIS_URL']) {
        const e = env.find((x: any) => x.name === name);
        expect({ name, value: e?.value, ref: e?.valueFrom?.secretKeyRef?.name }).toEqual({ name, value: undefined, ref: 'godel-secrets' });
      }
    });

    it('network: a default deny plus a policy for the server whose HTTPS egress excludes private ranges', () => {
      const policies = of('NetworkPolicy');
      const deny = policies.find((p) => Object.keys(p.spec.podSelector ?? {}).length === 0);
      expect(deny?.spec.policyTypes).toEqual(expect.arrayContaining(['Ingress', 'Egress']));
      expect(deny?.spec.ingress ?? []).toEqual([]);
      expect(deny?.spec.egress ?? []).toEqual([]);
      const server = policies.find((p) => p.spec.podSelector?.matchLabels?.['app.kubernetes.io/component'] === 'server');
      expect(server).toBeDefined();
      const https = server!.spec.egress.filter((r: any) => r.ports?.some((p: any) => p.port === 443));
      expect(https.length).toBeGreaterThan(0);
      for (const rule of https) {
        for (const to of rule.to) {
          expect(to.ipBlock).toBeDefined();
          if (to.ipBlock.cidr === '0.0.0.0/0') expect(to.ipBlock.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '169.254.0.0/16']));
        }
      }
    });

    it('the Service, Ingress (TLS), HPA and PDB point at the Deployment', () => {
      const dep = of('Deployment')[0];
      const labels = dep.spec.template.metadata.labels;
      const svc = of('Service')[0];
      for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k]).toBe(v);
      const ing = of('Ingress')[0];
      expect(ing.spec.tls[0].secretName).toBeTruthy();
      expect(ing.spec.tls[0].hosts).toContain(ing.spec.rules[0].host);
      expect(ing.spec.rules[0].http.paths[0].backend.service.name).toBe(svc.metadata.name);
      expect(of('HorizontalPodAutoscaler')[0].spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: dep.metadata.name });
      for (const [k, v] of Object.entries(of('PodDisruptionBudget')[0].spec.selector.matchLabels)) expect(labels[k]).toBe(v);
      const claim = dep.spec.template.spec.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName;
      expect(of('PersistentVolumeClaim').map((p) => p.metadata.name)).toContain(claim);
      const home = dep.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'home');
      expect(home.mountPath).toBe(of('ConfigMap')[0].data.GODEL_HOME);
      expect(of('ConfigMap')[0].data.GODEL_HOST).toBe('0.0.0.0');
    });
  });

  it('prod runs 3 replicas and exports traces; dev runs 1', () => {
    const prod = render(join(K8S, 'overlays', 'prod'));
    const dev = render(join(K8S, 'overlays', 'dev'));
    expect(prod.find((o) => o.kind === 'Deployment')!.spec.replicas).toBe(3);
    expect(prod.find((o) => o.kind === 'ConfigMap')!.data.OTEL_EXPORTER_OTLP_ENDPOINT).toMatch(/^http/);
    expect(dev.find((o) => o.kind === 'Deployment')!.spec.replicas).toBe(1);
  });
});
