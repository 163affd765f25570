/*
 * Runs the known-slow integration suites first. Jest orders a clean clone (no timing cache: CI) by
 * file size, which started the chaos suite (~7-10 min on 2 loaded cores) late and left it running
 * alone at the end; starting the longest suites first lets the short ones fill the other worker.
 * Order inside each group is jest's default (failed first, then cached duration, then size).
 */
const Sequencer = require('@jest/test-sequencer').default;

/** Path fragments, slowest first (measured in CI, issue notes of 2026-11-30). */
const SLOW = [
  'test/chaos/',
  'test/teams/team-failures',
  'test/cli/',
  'test/teams/',
  'test/federation/',
  'test/security/sandbox-attacks',
  'test/runtime/failover',
  'test/agents/',
  'test/runtime/',
];

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const rank = (t) => {
      const path = t.path.replace(/\\/g, '/');
      const i = SLOW.findIndex((s) => path.includes(`/${s}`));
      return i === -1 ? SLOW.length : i;
    };
    return super.sort(tests).map((t, i) => ({ t, i })).sort((a, b) => rank(a.t) - rank(b.t) || a.i - b.i).map((x) => x.t);
  }
}

module.exports = SlowFirstSequencer;
