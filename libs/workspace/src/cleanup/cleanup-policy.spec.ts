import fc from 'fast-check';
import { decideCleanup, type CleanupFacts, type CleanupPolicy } from './cleanup-policy';

const policy: CleanupPolicy = { onMerged: true, ttlMs: 1000, keepFailed: true };
const NOW = 10_000;
const base: CleanupFacts = { live: false, locked: false, folderMissing: false, orphaned: false, status: 'active', createdAtMs: NOW, merged: false };

describe('decideCleanup', () => {
  it.each<[string, Partial<CleanupFacts>, Partial<CleanupPolicy>, string, string]>([
    ['fresh', {}, {}, 'keep', 'fresh'],
    ['live beats everything', { live: true, locked: true, merged: true, createdAtMs: 0, folderMissing: true, status: 'done' }, { ttlMs: 0 }, 'keep', 'live'],
    ['locked', { locked: true, merged: true, createdAtMs: 0 }, {}, 'keep', 'locked'],
    ['locked, folder gone', { locked: true, folderMissing: true }, {}, 'keep', 'locked'],
    ['merged', { merged: true }, {}, 'remove', 'merged'],
    ['merged but onMerged off', { merged: true }, { onMerged: false }, 'keep', 'fresh'],
    ['expired', { createdAtMs: NOW - 1000 }, {}, 'remove', 'ttl'],
    ['just before expiry', { createdAtMs: NOW - 999 }, {}, 'keep', 'fresh'],
    ['ttl Infinity', { createdAtMs: 0 }, { ttlMs: Infinity }, 'keep', 'fresh'],
    ['failed kept though merged and expired', { status: 'failed', merged: true, createdAtMs: 0 }, {}, 'keep', 'failed'],
    ['failed removed when not kept', { status: 'failed', createdAtMs: 0 }, { keepFailed: false }, 'remove', 'ttl'],
    ['unknown age', { createdAtMs: undefined }, {}, 'keep', 'unknown_age'],
    ['folder gone', { folderMissing: true }, {}, 'remove', 'missing'],
    ['orphaned folder', { orphaned: true, status: undefined, createdAtMs: undefined }, {}, 'remove', 'orphaned'],
  ])('%s', (_name, facts, overrides, action, reason) => {
    expect(decideCleanup({ ...base, ...facts }, { ...policy, ...overrides }, NOW)).toEqual({ action, reason });
  });

  it('never removes a live worktree, for any facts and policy (property)', () => {
    const facts = fc.record({
      live: fc.constant(true),
      locked: fc.boolean(),
      folderMissing: fc.boolean(),
      orphaned: fc.boolean(),
      status: fc.option(fc.constantFrom('active' as const, 'done' as const, 'failed' as const), { nil: undefined }),
      createdAtMs: fc.option(fc.integer(), { nil: undefined }),
      merged: fc.boolean(),
    });
    const policies = fc.record({ onMerged: fc.boolean(), ttlMs: fc.oneof(fc.nat(), fc.constant(Infinity)), keepFailed: fc.boolean() });
    fc.assert(
      fc.property(facts, policies, fc.integer(), (f, p, now) => {
        expect(decideCleanup(f, p, now)).toEqual({ action: 'keep', reason: 'live' });
      }),
    );
  });

  it('never removes a failed one when keepFailed, unless its folder is already gone (property)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.integer(), fc.nat(), (merged, onMerged, createdAtMs, ttlMs) => {
        const d = decideCleanup({ ...base, status: 'failed', merged, createdAtMs }, { onMerged, ttlMs, keepFailed: true }, NOW);
        expect(d.action).toBe('keep');
      }),
    );
  });
});
