import { ScriptValidationError, parseScriptBook, validateStep } from './script-validation';

function errorOf(fn: () => unknown): ScriptValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScriptValidationError) return err;
    throw err;
  }
  throw new Error('expected a ScriptValidationError');
}

describe('validateStep', () => {
  const where = { source: 's.yaml', step: 3 };

  it('accepts text, tool calls (with optional text) and error steps, each with delayMs', () => {
    expect(validateStep({ text: 'hi', delayMs: 5 }, where)).toEqual({ text: 'hi', delayMs: 5 });
    expect(validateStep({ toolCalls: [{ name: 'write', arguments: { path: 'a' } }], text: 'ok' }, where)).toEqual({
      toolCalls: [{ name: 'write', arguments: { path: 'a' } }],
      text: 'ok',
    });
    expect(validateStep({ toolCalls: [{ name: 'ls' }] }, where)).toEqual({ toolCalls: [{ name: 'ls', arguments: {} }] });
    expect(validateStep({ error: { status: 429, message: 'slow down', retryAfterMs: 10 } }, where)).toEqual({
      error: { status: 429, message: 'slow down', retryAfterMs: 10 },
    });
    expect(validateStep({ text: '', usage: { promptTokens: 1, completionTokens: 2 } }, where)).toEqual({
      text: '',
      usage: { promptTokens: 1, completionTokens: 2 },
    });
  });

  it.each([
    [{}, undefined, 'needs one of text, toolCalls, error'],
    [{ txt: 'x' }, 'txt', 'is not a known field'],
    [{ text: 3 }, 'text', 'must be a string'],
    [{ toolCalls: [] }, 'toolCalls', 'must be a non-empty list'],
    [{ toolCalls: [{ name: '' }] }, 'toolCalls[0].name', 'must be a non-empty string'],
    [{ toolCalls: [{ name: 'a', arguments: [1] }] }, 'toolCalls[0].arguments', 'must be an object'],
    [{ error: { status: 200, message: 'x' } }, 'error.status', 'between 400 and 599'],
    [{ error: { status: 500 } }, 'error.message', 'non-empty string'],
    [{ error: { status: 500, message: 'x' }, text: 'y' }, 'error', 'cannot be combined'],
    [{ text: 'x', delayMs: -1 }, 'delayMs', 'must be an integer'],
    [{ text: 'x', usage: { promptTokens: 1 } }, 'usage.completionTokens', 'must be an integer'],
  ])('rejects %j naming field %s', (raw, field, problem) => {
    const err = errorOf(() => validateStep(raw, where));
    expect(err.code).toBe('scripted_model.invalid_script');
    expect(err.details).toMatchObject({ source: 's.yaml', step: 3, field });
    expect(err.message).toContain('s.yaml: step 3: ');
    expect(err.message).toContain(problem);
    if (field) expect(err.message).toContain(field);
  });
});

describe('parseScriptBook', () => {
  it('reads a bare list, { steps } and { scripts, default }', () => {
    expect(parseScriptBook([{ text: 'a' }], 'x')).toEqual({ scripts: { default: [{ text: 'a' }] }, default: 'default' });
    expect(parseScriptBook({ steps: [{ text: 'a' }] }, 'x')).toEqual({ scripts: { default: [{ text: 'a' }] }, default: 'default' });
    expect(parseScriptBook({ scripts: { w: [{ text: 'a' }], r: [{ text: 'b' }] }, default: 'r' }, 'x')).toEqual({
      scripts: { w: [{ text: 'a' }], r: [{ text: 'b' }] },
      default: 'r',
    });
  });

  it('names the script and step of a bad step', () => {
    const err = errorOf(() => parseScriptBook({ scripts: { writer: [{ text: 'a' }, { toolCalls: [7] }] } }, 'demo.yaml'));
    expect(err.message).toBe('demo.yaml: script "writer", step 1: toolCalls[0] must be an object { name, arguments }');
    expect(err.details).toEqual({ source: 'demo.yaml', script: 'writer', step: 1, field: 'toolCalls[0]' });
    expect(err.toJSON()).toMatchObject({ code: 'scripted_model.invalid_script', retryable: false });
  });

  it('rejects empty scripts, unknown defaults, odd names and stray keys', () => {
    expect(errorOf(() => parseScriptBook([], 'x')).message).toContain('at least one step');
    expect(errorOf(() => parseScriptBook({ scripts: { a: [{ text: 'a' }] }, default: 'b' }, 'x')).details.field).toBe('default');
    expect(errorOf(() => parseScriptBook({ scripts: { 'a b': [{ text: 'a' }] } }, 'x')).message).toContain('name may only use');
    expect(errorOf(() => parseScriptBook({ steps: [{ text: 'a' }], extra: 1 }, 'x')).details.field).toBe('extra');
    expect(errorOf(() => parseScriptBook('nope', 'x')).message).toContain('must be a list of steps');
  });
});
