/**
 * terraform/: the module (Godel on an existing cluster) and the AWS root that wires it. Real:
 * `terraform fmt -check` when a terraform binary is on PATH (it is not a Debian package: CI
 * machines without it skip only that step and say so), and every file parsed by @cdktf/hcl2json
 * for structural checks. Not here: `terraform init/validate/plan` (providers come from a registry
 * this network cannot reach) and any cloud.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

const TF = join(__dirname, '..', '..', 'terraform');
const STACKS = { module: join(TF, 'modules', 'godel'), aws: join(TF, 'aws') };
const SECRETISH = /(key|secret|password|token|url|providers)/i;

type Block = Record<string, Array<Record<string, unknown>>>;
interface Hcl {
  variable?: Block;
  output?: Block;
  module?: Block;
  resource?: Record<string, Block>;
  locals?: Array<Record<string, unknown>>;
  terraform?: Array<Record<string, unknown>>;
}

/** Every .tf file of a folder parsed and merged by top-level block type. */
async function load(dir: string): Promise<Hcl> {
  const out: Record<string, any> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.tf'))) {
    const doc = (await parse(f, readFileSync(join(dir, f), 'utf8'))) as Record<string, any>;
    for (const [k, v] of Object.entries(doc)) {
      if (Array.isArray(v)) out[k] = [...(out[k] ?? []), ...v];
      else out[k] = { ...(out[k] ?? {}), ...v };
    }
  }
  return out as Hcl;
}

function terraformBinary(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

describe('terraform/', () => {
  let stacks: Record<keyof typeof STACKS, Hcl>;
  beforeAll(async () => {
    stacks = { module: await load(STACKS.module), aws: await load(STACKS.aws) };
  });

  it('terraform fmt -check passes (where the binary exists)', () => {
    const bin = terraformBinary();
    if (!bin) {
      process.stdout.write('terraform: no terraform binary on PATH; fmt -check not run (parsed with hcl2json only)\n');
      return;
    }
    expect(execFileSync(bin, ['fmt', '-check', '-recursive', TF], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: '/tmp' } })).toBe('');
  });

  it.each(Object.keys(STACKS))('%s: every variable is typed and described; secrets have no default and are sensitive', (name) => {
    const vars = stacks[name as keyof typeof STACKS].variable ?? {};
    expect(Object.keys(vars).length).toBeGreaterThan(3);
    for (const [v, [body]] of Object.entries(vars)) {
      expect({ v, type: typeof body.type, description: typeof body.description }).toEqual({ v, type: 'string', description: 'string' });
      expect(String(body.description).length).toBeGreaterThan(10);
      if (body.sensitive === true || /(admin_key|jwt_secret|password|token)/.test(v)) {
        // A secret is passed in, never defaulted (an empty default = "feature off" is allowed).
        expect({ v, default: body.default ?? '' }).toEqual({ v, default: '' });
      }
      if (SECRETISH.test(v) && !/(_path|endpoint)$/.test(v)) expect({ v, sensitive: body.sensitive }).toEqual({ v, sensitive: true });
    }
  });

  it.each(Object.keys(STACKS))('%s: every output is described', (name) => {
    const outs = stacks[name as keyof typeof STACKS].output ?? {};
    expect(Object.keys(outs).length).toBeGreaterThan(2);
    for (const [o, [body]] of Object.entries(outs)) expect({ o, description: typeof body.description }).toEqual({ o, description: 'string' });
  });

  it('the AWS root wires the module: every required input passed, nothing passed that the module lacks', () => {
    const mod = stacks.aws.module?.godel?.[0] as Record<string, unknown>;
    expect(mod.source).toBe('../modules/godel');
    const declared = stacks.module.variable ?? {};
    const passed = Object.keys(mod).filter((k) => !['source', 'version', 'depends_on', 'providers', 'count', 'for_each'].includes(k));
    expect(passed.filter((k) => !(k in declared))).toEqual([]);
    const required = Object.entries(declared).filter(([, [b]]) => !('default' in b)).map(([k]) => k);
    expect(required.filter((k) => !passed.includes(k))).toEqual([]);
    // Secrets come from generated values, never literals in the root.
    for (const k of ['admin_key', 'jwt_secret', 'redis_url', 'database_url']) expect(String(mod[k])).toMatch(/^\$\{(random_password|local)\./);
  });

  it('the AWS root provisions EKS, ElastiCache Redis, RDS PostgreSQL and a Secrets Manager secret, all encrypted', () => {
    const r = stacks.aws.resource ?? {};
    expect(Object.keys(stacks.aws.module ?? {}).sort()).toEqual(['eks', 'godel', 'vpc']);
    const redis = r.aws_elasticache_replication_group?.redis?.[0] as Record<string, unknown>;
    expect(redis).toMatchObject({ transit_encryption_enabled: true, at_rest_encryption_enabled: true });
    const pg = r.aws_db_instance?.pg?.[0] as Record<string, unknown>;
    expect(pg).toMatchObject({ engine: 'postgres', storage_encrypted: true });
    expect(r.aws_secretsmanager_secret?.godel).toBeDefined();
    expect(r.random_password && Object.keys(r.random_password).sort()).toEqual(['admin_key', 'db', 'jwt_secret', 'redis']);
  });

  it('the module creates the namespace, the ConfigMap and the Secret, and applies the rendered overlay with its image', () => {
    const r = stacks.module.resource ?? {};
    expect(r.kubernetes_namespace_v1?.godel).toBeDefined();
    expect(r.kubernetes_config_map_v1?.godel).toBeDefined();
    const data = (r.kubernetes_secret_v1?.godel?.[0] as { data: Record<string, string> }).data;
    expect(Object.keys(data).sort()).toEqual(['DATABASE_URL', 'GODEL_ADMIN_KEY', 'GODEL_JWT_SECRET', 'GODEL_PROVIDERS', 'REDIS_URL']);
    for (const v of Object.values(data)) expect(v).toMatch(/^\$\{var\./);
    expect(JSON.stringify(r.kubernetes_manifest?.deployment)).toContain('var.image');
    // The module reads the overlay the k8s test validates: the Secret it creates is the one the Deployment references.
    expect(readFileSync(join(__dirname, '..', '..', 'deploy', 'k8s', 'base', 'deployment.yaml'), 'utf8')).toContain('name: godel-secrets');
  });
});
