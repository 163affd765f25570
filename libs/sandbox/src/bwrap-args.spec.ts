import { buildBwrapArgs, dedupe } from './bwrap-args';

describe('buildBwrapArgs', () => {
  const host = { systemDirs: ['/usr', '/etc'], symlinks: { '/bin': 'usr/bin' }, masked: ['/etc/shadow'] };

  it('applies system folders, readable, hidden, writable, then read-only-over, in that order', () => {
    const args = buildBwrapArgs(host, { cwd: '/w/a', readable: ['/opt/godel'], hidden: ['/opt/godel/home'], writable: ['/w/a'], readOnlyOver: ['/w/a/.git'] });
    const at = (flag: string, path: string) => args.findIndex((a, i) => a === flag && args[i + 1] === path);
    expect(args.slice(0, 4)).toEqual(['--die-with-parent', '--new-session', '--unshare-pid', '--unshare-net']);
    expect(at('--ro-bind', '/usr')).toBeLessThan(at('--ro-bind', '/opt/godel'));
    expect(at('--ro-bind', '/opt/godel')).toBeLessThan(at('--tmpfs', '/opt/godel/home'));
    expect(at('--tmpfs', '/opt/godel/home')).toBeLessThan(at('--bind', '/w/a'));
    expect(at('--bind', '/w/a')).toBeLessThan(at('--ro-bind', '/w/a/.git'));
    expect(args).toEqual(expect.arrayContaining(['--symlink', 'usr/bin', '/bin']));
    expect(args.slice(-2)).toEqual(['--chdir', '/w/a']);
  });

  it('refuses relative paths', () => {
    expect(() => buildBwrapArgs(host, { cwd: 'rel', readable: [], hidden: [], writable: [], readOnlyOver: [] })).toThrow(TypeError);
  });
});

describe('dedupe', () => {
  it('drops duplicates and paths inside another path of the list', () => {
    expect(dedupe(['/a', '/a/b', '/c', '/a', '/ab'])).toEqual(['/a', '/c', '/ab']);
  });
});
