import type { ChatCompletionRequest } from './script';
import { ScriptPlayer, messageText } from './script-player';

const request = (firstUser: string, extra: ChatCompletionRequest['messages'] = []): ChatCompletionRequest => ({
  messages: [{ role: 'system', content: 'be brief [script:not-here]' }, { role: 'user', content: firstUser }, ...extra],
});

describe('ScriptPlayer', () => {
  it('plays steps in order per conversation, then answers 400 when the script is exhausted', async () => {
    const player = new ScriptPlayer([{ text: 'one' }, { text: 'two' }]);
    await expect(player.next(request('a'))).resolves.toMatchObject({ ok: true, step: { text: 'one' }, index: 0, scriptName: 'default' });
    await expect(player.next(request('b'))).resolves.toMatchObject({ ok: true, step: { text: 'one' }, index: 0 });
    await expect(player.next(request('a', [{ role: 'assistant', content: 'one' }]))).resolves.toMatchObject({ step: { text: 'two' }, index: 1 });
    const exhausted = await player.next(request('a'));
    expect(exhausted).toMatchObject({ ok: false, status: 400, index: 2 });
    expect(exhausted.ok === false && exhausted.message).toContain('script "default" has no step 2');
    player.reset();
    await expect(player.next(request('a'))).resolves.toMatchObject({ step: { text: 'one' }, index: 0 });
  });

  it('picks a keyed script by the marker in the first user message only', async () => {
    const player = new ScriptPlayer({ scripts: { w: [{ text: 'writer' }], r: [{ text: 'reviewer' }] } });
    await expect(player.next(request('do it [script:r]'))).resolves.toMatchObject({ ok: true, step: { text: 'reviewer' }, scriptName: 'r' });
    await expect(player.next(request('[script:w] go'))).resolves.toMatchObject({ ok: true, step: { text: 'writer' }, scriptName: 'w' });
    const unmarked = await player.next(request('no marker'));
    expect(unmarked.ok === false && unmarked.message).toContain('no [script:NAME] marker');
    const unknown = await player.next(request('[script:zz]'));
    expect(unknown.ok === false && unknown.message).toContain('unknown script "zz" (known: w, r)');
  });

  it('uses the default script when there is no marker', async () => {
    const player = new ScriptPlayer({ scripts: { w: [{ text: 'writer' }], r: [{ text: 'reviewer' }] }, default: 'w' });
    await expect(player.next(request('plain'))).resolves.toMatchObject({ step: { text: 'writer' }, scriptName: 'w' });
  });

  it('asks a step function, validating what it returns', async () => {
    const seen: number[] = [];
    const player = new ScriptPlayer(({ index, firstUserMessage, scriptName }) => {
      seen.push(index);
      if (index === 0) return { text: `${firstUserMessage}/${scriptName}` };
      return { bogus: true } as never;
    });
    await expect(player.next(request('hi [script:x]'))).resolves.toMatchObject({ ok: true, step: { text: 'hi [script:x]/x' } });
    const bad = await player.next(request('hi [script:x]'));
    expect(bad.ok === false && bad.message).toContain('step function failed: step function: step 1: bogus is not a known field');
    expect(seen).toEqual([0, 1]);
  });

  it('validates in-code scripts up front', () => {
    expect(() => new ScriptPlayer([{ text: 'ok' }, { toolCalls: [{ name: '' }] } as never])).toThrow('step 1: toolCalls[0].name');
  });

  it('reads text from string and part-list contents', () => {
    expect(messageText({ role: 'user', content: 'plain' })).toBe('plain');
    expect(messageText({ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image_url' }, { type: 'text', text: 'b' }] })).toBe('ab');
    expect(messageText(undefined)).toBe('');
  });
});
