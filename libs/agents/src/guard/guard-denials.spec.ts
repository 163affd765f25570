import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PiEvent } from '../pi/pi-protocol';
import { guardDenialFromEvent, isGuardDenial, readGuardDenials } from './guard-denials';
import { GUARD_NOTIFY_PREFIX, type GuardDenial } from './guard-protocol';

const denial = (toolCallId: string): GuardDenial => ({
  type: 'guard.denied',
  at: '2025-01-01T00:00:00.000Z',
  pid: 42,
  worktree: '/w',
  cwd: '/w',
  toolName: 'read',
  toolCallId,
  input: { path: '/etc/passwd' },
  findings: [{ path: '/etc/passwd', resolvedPath: '/etc/passwd', rule: 'outside' }],
  reason: '[godel-guard] read refused: ...',
});

describe('readGuardDenials', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'godel-denials-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is empty for a log not written yet', async () => {
    expect(await readGuardDenials(join(dir, 'none.jsonl'))).toEqual([]);
  });

  it('returns the records in order, skipping blank, foreign and half-written lines', async () => {
    const file = join(dir, 'guard.jsonl');
    await writeFile(file, [JSON.stringify(denial('a')), '', 'not json', '{"type":"other"}', JSON.stringify(denial('b')), '{"type":"guard.den'].join('\n'));
    expect((await readGuardDenials(file)).map((d) => d.toolCallId)).toEqual(['a', 'b']);
  });

  it('reports other read errors', async () => {
    await expect(readGuardDenials(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('events', () => {
  const end = (isError: boolean, text: string): PiEvent => ({
    type: 'tool_execution_end',
    toolCallId: 't1',
    toolName: 'read',
    isError,
    result: { content: [{ type: 'text', text }], details: {} },
  });

  it('isGuardDenial: an error tool end whose text carries the marker', () => {
    expect(isGuardDenial(end(true, '[godel-guard] read refused'))).toBe(true);
    expect(isGuardDenial(end(false, '[godel-guard] read refused'))).toBe(false);
    expect(isGuardDenial(end(true, 'ENOENT: no such file'))).toBe(false);
    expect(isGuardDenial({ type: 'tool_execution_end', toolCallId: 't', toolName: 'x', isError: true, result: undefined })).toBe(false);
    expect(isGuardDenial({ type: 'agent_start' })).toBe(false);
  });

  it('guardDenialFromEvent: the record from the guard notify event, nothing from others', () => {
    const notify = (message: unknown): PiEvent => ({ type: 'extension_ui_request', id: 'u1', method: 'notify', message, notifyType: 'warning' });
    expect(guardDenialFromEvent(notify(`${GUARD_NOTIFY_PREFIX}${JSON.stringify(denial('a'))}`))).toEqual(denial('a'));
    expect(guardDenialFromEvent(notify('hello'))).toBeUndefined();
    expect(guardDenialFromEvent(notify(`${GUARD_NOTIFY_PREFIX}{broken`))).toBeUndefined();
    expect(guardDenialFromEvent({ type: 'extension_ui_request', id: 'u2', method: 'setStatus', message: `${GUARD_NOTIFY_PREFIX}{}` })).toBeUndefined();
    expect(guardDenialFromEvent(end(true, '[godel-guard] x'))).toBeUndefined();
  });
});
