/**
 * The dashboard as a person uses it: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against a real server process (GodelCluster, compiled `dist/`; `npm run build`
 * first) on the real Redis and PostgreSQL, playing the sample playbook with the offline scripted model
 * and real `pi` agents on a fresh copy of examples/calc. It logs in with the admin key, starts the
 * sample intent through the page's form and watches it go live to `succeeded`. Mocked: nothing.
 * A screenshot is kept under test-artifacts/ (also when the test fails).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { adminToken, bearer, createKey, createTestEnv, GodelCluster, type TestEnv } from '@godel/testing';
import { copySampleRepo } from '../../apps/cli/src/sample-repo';

// Runs inside the page (page.evaluate); the test's tsconfig has no DOM lib.
declare const sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };

const ROOT = join(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const PLAYBOOK = join(ROOT, 'examples', 'calc.playbook.yaml');
const ARTIFACTS = join(ROOT, 'test-artifacts');
// STACK.md: without the background-networking flags Chromium floods the closed network.
const CHROMIUM_ARGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('the dashboard in headless Chromium (real server process, real pi, scripted model, real git)', () => {
  let env: TestEnv;
  let cluster: GodelCluster;
  let dir: string;
  let url: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
    env = await createTestEnv();
    dir = await mkdtemp(join(tmpdir(), 'godel-dashboard-'));
    cluster = new GodelCluster({
      redisUrl: env.redisUrl,
      databaseUrl: env.databaseUrl,
      keyPrefix: env.keyPrefix,
      schema: env.schema,
      env: { GODEL_PLAYBOOK: PLAYBOOK, GODEL_HOME: join(dir, 'home'), GODEL_SHARDS: '4' },
    });
    url = (await cluster.start('m0', 60_000)).url!.replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    // close() ends the browser process playwright started (and only that one)
    await browser?.close();
    await cluster?.stopAll();
    await env?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function screenshot(page: Page, name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
    console.log(`dashboard screenshot: ${file}`);
    return file;
  }

  it('logs in with the admin key, starts the sample intent from the form, and follows it live to succeeded', async () => {
    const book = parseYaml(readFileSync(PLAYBOOK, 'utf8')) as { intent: string; verify: string };
    const repo = await copySampleRepo(dir, join(ROOT, 'examples', 'calc'));
    const context = await browser!.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await page.goto(`${url}/dashboard`);
      await page.locator('#login-view').waitFor({ state: 'visible' });

      // a wrong key is refused on the page
      await page.fill('#api-key', 'gdk_not-a-key');
      await page.click('#login-form button[type=submit]');
      await page.locator('#login-error', { hasText: 'refused' }).waitFor();

      await page.fill('#api-key', cluster.adminKey);
      await page.click('#login-form button[type=submit]');
      await page.locator('#app-view').waitFor({ state: 'visible' });
      await page.locator('#live[data-state="live"]').waitFor();
      expect(await page.textContent('#who')).toContain('bootstrap-admin (admin)');
      // the key is not kept, only tokens (in this tab's session storage)
      const stored = await page.evaluate(() => JSON.stringify(sessionStorage));
      expect(stored).not.toContain(cluster.adminKey);
      expect(stored).toContain('accessToken');
      // workflows came from the API
      await page.locator('#intent-form select[name=workflow] option[value=feature]').waitFor({ state: 'attached' });

      await page.fill('#intent-form textarea[name=intent]', book.intent);
      await page.fill('#intent-form input[name=repo]', repo);
      await page.fill('#intent-form input[name=verify]', book.verify);
      await page.click('#intent-form button[type=submit]');
      await page.locator('#intent-result', { hasText: 'started' }).waitFor();
      const team = /Team (\S+) started/.exec((await page.textContent('#intent-result')) ?? '')?.[1];
      expect(team).toBeDefined();

      // progress shows up live: the team's row, its tasks, agents, a growing event feed
      const row = page.locator(`#teams tbody tr[data-team="${team}"]`);
      await row.waitFor();
      await page.locator('#tasks tbody tr[data-task="index"]').waitFor();
      expect(await page.locator('#tasks tbody tr').count()).toBe(3);
      await page.locator('#agents tbody tr').first().waitFor();
      await page.locator('#events li').first().waitFor();
      const early = await page.locator('#events li').count();
      await page.locator('#events li[data-type="task.running"]').first().waitFor({ timeout: 60_000 });
      await page.locator('#tasks tbody tr[data-status="running"], #tasks tbody tr[data-status="in_review"], #tasks tbody tr[data-status="merging"], #tasks tbody tr[data-status="done"]').first().waitFor({ timeout: 60_000 });

      await page.locator(`#teams tbody tr[data-team="${team}"][data-status="succeeded"]`).waitFor({ timeout: 120_000 });
      await page.locator('#events li[data-type="team.succeeded"]').waitFor();
      await page.locator('#tasks tbody tr[data-status="done"]').nth(2).waitFor();
      const late = await page.locator('#events li').count();
      expect(late).toBeGreaterThan(early);
      for (const type of ['team.planned', 'review.changes_requested', 'merge.verify_finished']) {
        expect([type, (await page.locator(`#events li[data-type="${type}"]`).count()) > 0]).toEqual([type, true]);
      }
      // merged commits and cost on the team's row; every agent with a status and a cost
      const cells = await row.locator('td').allTextContents();
      expect(cells[1]).toBe('succeeded');
      expect(cells[4]).toBe('3');
      expect(cells[5]).toMatch(/^\$\d+\.\d{4}$/);
      const agents = await page.locator('#agents tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-status'), r.children[4]?.textContent]));
      expect(agents.length).toBeGreaterThanOrEqual(3);
      for (const [status, cost] of agents) {
        expect(status).toMatch(/^[a-z_]+$/);
        expect(cost).toMatch(/^\$\d+\.\d{4}$/);
      }
      expect(await page.getAttribute('#live', 'data-state')).toBe('live');
      await screenshot(page, 'dashboard');

      // the work is really on main of the sample repository, and green there
      expect(execFileSync('node', ['check.js'], { cwd: repo, encoding: 'utf8' })).toContain('3 checks passed');

      // an expired access token is refreshed on the next load (the refresh token rotates)
      const before = await page.evaluate(() => JSON.parse(sessionStorage.getItem('godel.dashboard.tokens')!) as { refreshToken: string });
      await page.evaluate(() => {
        const t = JSON.parse(sessionStorage.getItem('godel.dashboard.tokens')!) as { expiresAt: number };
        sessionStorage.setItem('godel.dashboard.tokens', JSON.stringify({ ...t, expiresAt: 0 }));
      });
      await page.reload();
      await page.locator(`#teams tbody tr[data-team="${team}"][data-status="succeeded"]`).waitFor();
      const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem('godel.dashboard.tokens')!) as { refreshToken: string; expiresAt: number });
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(after.expiresAt).toBeGreaterThan(Date.now());
      // the feed starts from the latest events after a reload
      await page.locator('#events li[data-type="team.succeeded"]').waitFor();
      expect(pageErrors).toEqual([]);
    } catch (err) {
      await screenshot(page, 'dashboard-failed').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  }, 240_000);

  it('fails closed: a revoked key ends the live stream and the page returns to the login form', async () => {
    const admin = await adminToken(url, cluster.adminKey);
    const key = await createKey(url, admin, 'dashboard-watcher', 'viewer');
    const context = await browser!.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    try {
      await page.goto(`${url}/dashboard`);
      await page.fill('#api-key', key.key);
      await page.click('#login-form button[type=submit]');
      await page.locator('#live[data-state="live"]').waitFor();
      expect(await page.textContent('#who')).toBe('dashboard-watcher (viewer)');
      const res = await fetch(`${url}/api/v1/auth/keys/${key.id}`, { method: 'DELETE', headers: bearer(admin) });
      expect(res.status).toBe(200);
      // the server ends the stream; the page finds out why (401 auth.invalid) and logs out
      await page.locator('#login-view').waitFor({ state: 'visible' });
      expect(await page.textContent('#login-error')).toContain('auth.invalid');
      expect(await page.isHidden('#app-view')).toBe(true);
      expect(await page.evaluate(() => sessionStorage.getItem('godel.dashboard.tokens'))).toBeNull();
    } catch (err) {
      await screenshot(page, 'dashboard-revoked-failed').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  }, 60_000);
});
