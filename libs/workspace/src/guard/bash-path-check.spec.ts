import { posix } from 'node:path';
import { checkShellCommandPaths, pathCandidates } from './bash-path-check';
import type { PathCheck } from './path-check';

/** Lexical stand-in for PathGuard.check (no file system): enough to test the command walk. */
const ROOT = '/wt';
const lexical = async (path: string, cwd: string): Promise<PathCheck> => {
  const resolvedPath = posix.resolve(cwd, path);
  const inside = resolvedPath === ROOT || resolvedPath.startsWith(`${ROOT}/`);
  return { inside, requestedPath: path, resolvedPath, reason: inside ? undefined : 'outside' };
};

describe('pathCandidates', () => {
  it.each<[string, string[]]>([
    ['/etc/passwd', ['/etc/passwd']],
    ['--out=/tmp/x', ['/tmp/x']],
    ['PATH=/a:/b', ['PATH', '/a', '/b']],
    ["print(open('/etc/shadow').read())", ['print', 'open', '/etc/shadow', '.read']],
    ['https://example.com/a/b', []],
    ['-I/usr/include', ['/usr/include']],
    ['-o../x', ['../x']],
    ['-rf', []],
    ['HEAD~1..HEAD', ['HEAD~1..HEAD']],
  ])('%j', (word, expected) => {
    expect(pathCandidates(word)).toEqual(expected);
  });
});

describe('checkShellCommandPaths (lexical check)', () => {
  const findings = async (cmd: string, cwd = ROOT) => (await checkShellCommandPaths(cmd, lexical, cwd)).findings.map((f) => `${f.reason}:${f.path}`);

  it('follows cd through && and ; but not into subshells, pipelines or background jobs', async () => {
    expect(await findings('cd a && cd b; cat ../../x')).toEqual([]);
    expect(await findings('cd a && cat ../../x')).toEqual(['outside:../../x']);
    expect(await findings('(cd a); cat ../x')).toEqual(['outside:../x']);
    expect(await findings('cd a | cat ../x')).toEqual(['outside:../x']);
    expect(await findings('cd a & cat ../x')).toEqual(['outside:../x']);
    expect(await findings('pushd a >/dev/null && cat ../x')).toEqual([]);
    expect(await findings('cd /etc && cat passwd')).toEqual(['outside:/etc', 'outside:passwd']);
  });

  it('reports home references and notes cd -', async () => {
    expect(await findings('cat ~/.netrc ${HOME}/x')).toEqual(['home:~', 'home:$HOME']);
    expect(await findings('cat /etc/$NAME src/$OTHER "$DIR/../x"')).toEqual(['outside:/etc/']);
    const result = await checkShellCommandPaths('cd - && ls', lexical, ROOT);
    expect(result.notes).toEqual(['`cd -` not followed']);
  });

  it('allows the usual device files', async () => {
    expect(await findings('x </dev/null 2>/dev/stderr >/dev/fd/3 | tee /dev/stdout')).toEqual([]);
    expect(await findings('cat /dev/sda')).toEqual(['outside:/dev/sda']);
  });

  it('ignores command names without a slash but checks ones with', async () => {
    expect(await findings('FOO=1 rm -rf build')).toEqual([]);
    expect(await findings('/usr/bin/env node x.js')).toEqual(['outside:/usr/bin/env']);
    expect(await findings('../../bin/tool')).toEqual(['outside:../../bin/tool']);
  });
});
