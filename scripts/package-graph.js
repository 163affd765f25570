#!/usr/bin/env node
// The import graph folded to packages (apps/<name>, libs/<name>), from madge's file graph.
//   node scripts/package-graph.js           prints the production graph (spec and test files left out) and the
//                                            edges that only specs add, in the form ARCHITECTURE.md shows
//   node scripts/package-graph.js --check    fails on a package-level cycle (npm run cycles runs it after madge's
//                                            file-level check): production code alone, and production + specs
'use strict';
const { join } = require('node:path');
const madge = require('madge');

const ROOT = join(__dirname, '..');
const isTest = (file) => /\.(int-)?spec\.ts$/.test(file) || /^(apps|libs)\/[^/]+\/test\//.test(file);
const pkg = (file) => /^((?:apps|libs)\/[^/]+)\//.exec(file)?.[1];

function fold(files, keep) {
  const graph = new Map();
  for (const [from, tos] of Object.entries(files)) {
    const a = pkg(from);
    if (!a || !keep(from)) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    for (const to of tos) {
      const b = pkg(to);
      if (b && b !== a) graph.get(a).add(b);
    }
  }
  return graph;
}

/** Every elementary cycle's smallest representative, found by DFS from each node (graphs here are small). */
function cycles(graph) {
  const found = new Map();
  const nodes = [...graph.keys()].sort();
  for (const start of nodes) {
    const stack = [[start, [start]]];
    while (stack.length) {
      const [node, path] = stack.pop();
      for (const next of graph.get(node) ?? []) {
        if (next === start) {
          const key = [...path].sort().join(' ');
          if (!found.has(key)) found.set(key, [...path, start].join(' → '));
        } else if (!path.includes(next) && next > start) stack.push([next, [...path, next]]);
      }
    }
  }
  return [...found.values()];
}

function print(graph, title) {
  console.log(title);
  for (const a of [...graph.keys()].sort()) console.log(`  ${a.padEnd(20)} ──▶ ${[...graph.get(a)].sort().join(', ') || '(no other package)'}`);
}

async function main() {
  const res = await madge(['apps', 'libs'], { baseDir: ROOT, fileExtensions: ['ts'], tsConfig: join(ROOT, 'tsconfig.json') });
  const files = res.obj();
  const prod = fold(files, (f) => !isTest(f));
  const all = fold(files, () => true);
  if (process.argv.includes('--check')) {
    const problems = [...cycles(prod).map((c) => `production: ${c}`), ...cycles(all).map((c) => `with specs: ${c}`)];
    if (problems.length) {
      console.error(`package-level import cycles:\n  ${[...new Set(problems)].join('\n  ')}`);
      process.exit(1);
    }
    console.log(`packages: no cycle among ${all.size} packages (production and specs)`);
    return;
  }
  print(prod, 'Production code (spec and test files left out):');
  const extra = new Map();
  for (const [a, tos] of all) {
    const more = [...tos].filter((b) => !prod.get(a)?.has(b));
    if (more.length) extra.set(a, new Set(more));
  }
  print(extra, 'Edges that only spec/test files add:');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
