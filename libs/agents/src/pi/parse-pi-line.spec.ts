import { parsePiLine } from './parse-pi-line';

describe('parsePiLine', () => {
  it('recognises responses, known events and unknown events', () => {
    expect(parsePiLine('{"id":"godel-1","type":"response","command":"get_state","success":true,"data":{}}')).toEqual({
      kind: 'response',
      response: { id: 'godel-1', type: 'response', command: 'get_state', success: true, data: {} },
    });
    expect(parsePiLine('{"type":"agent_start"}')).toEqual({ kind: 'event', event: { type: 'agent_start' } });
    expect(parsePiLine('{"type":"brand_new","x":1}')).toEqual({ kind: 'event', event: { type: 'unknown_event', raw: { type: 'brand_new', x: 1 } } });
  });

  it.each([
    ['hello world', 'not JSON'],
    ['[1,2]', 'not an object'],
    ['42', 'not an object'],
    ['{"no":"type"}', 'without a string "type"'],
    ['{"type":"response","success":true}', 'without "command"'],
    ['{"type":"response","command":"x","success":true,"id":7}', '"id" is not a string'],
  ])('calls %s garbage (%s)', (line, reason) => {
    const parsed = parsePiLine(line);
    expect(parsed.kind).toBe('garbage');
    expect(parsed.kind === 'garbage' && parsed.reason).toContain(reason);
  });

  it('ignores blank lines', () => {
    expect(parsePiLine('   ')).toEqual({ kind: 'blank' });
  });
});
