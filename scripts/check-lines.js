#!/usr/bin/env node
// Fails when a source file under apps/ or libs/ is over 300 lines (migrations and generated code excepted).
// Files still being split are listed in scripts/lines-allow.txt (one path a line, # comments); a listed file
// that is back under the limit (or gone) is reported so the list only shrinks, without failing the check.
'use strict';
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join, relative } = require('node:path');

const LIMIT = 300;
const ROOT = join(__dirname, '..');
const EXTENSIONS = /\.(ts|js|mjs|cjs)$/;
const EXEMPT = [/\/migrations\//, /\/generated\//, /\.d\.ts$/];

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (EXTENSIONS.test(entry.name)) out.push(relative(ROOT, path));
  }
  return out;
}

function lines(path) {
  const text = readFileSync(join(ROOT, path), 'utf8');
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

const allowFile = join(__dirname, 'lines-allow.txt');
const allowed = new Set(
  existsSync(allowFile)
    ? readFileSync(allowFile, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    : [],
);
const files = ['apps', 'libs'].flatMap((d) => walk(join(ROOT, d), [])).filter((f) => !EXEMPT.some((re) => re.test(f)));
const problems = [];
for (const f of files) {
  const n = lines(f);
  if (n > LIMIT && !allowed.has(f)) problems.push(`${f}: ${n} lines (limit ${LIMIT}; split it by idea)`);
  if (n <= LIMIT && allowed.has(f)) console.warn(`lines: ${f} is ${n} lines now: remove it from scripts/lines-allow.txt`);
}
for (const f of allowed) if (!files.includes(f)) console.warn(`lines: ${f} is listed in scripts/lines-allow.txt but not found`);
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`lines: ${files.length} files in apps/ and libs/ at most ${LIMIT} lines (${allowed.size} allowed over, see scripts/lines-allow.txt)`);
