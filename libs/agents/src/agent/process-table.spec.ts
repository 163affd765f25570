import type { AgentRuntime } from '../runtime/agent-runtime';
import type { Running } from './host-types';
import { ProcessTable } from './process-table';

/** A table with one live runtime that is busy from its first prompt on, like pi mid-turn. */
class OneProcess extends ProcessTable {
  readonly sent: string[] = [];
  constructor() {
    super({ rootDir: '/nonexistent' });
    let busy = false;
    const runtime: Partial<AgentRuntime> = {
      prompt: async (text: string) => {
        if (busy) throw new Error('Agent is already processing');
        busy = true;
        this.sent.push(text);
        await new Promise((r) => setTimeout(r, 20)); // the RPC's answer takes a while
      },
    };
    const r: Partial<Running> = { runtime: runtime as AgentRuntime, stopping: false, team: 't' };
    this.running.set('agent/t:a', r as Running);
  }
}

describe('ProcessTable.prompt: once per prompting message', () => {
  it('a re-run of the same message sends nothing; another message reaches the runtime', async () => {
    const table = new OneProcess();
    await table.prompt('agent/t:a', 'first', 'env-1');
    expect(table.promptedBy('agent/t:a', 'env-1')).toBe(true);
    await table.prompt('agent/t:a', 'first', 'env-1'); // the turn's retry: no second prompt
    expect(table.sent).toEqual(['first']);
    await expect(table.prompt('agent/t:a', 'second', 'env-2')).rejects.toThrow('already processing');
    expect(table.promptedBy('agent/t:a', 'env-2')).toBe(false);
  });

  it('a re-run while the first send is still under way waits for it: one prompt, both resolve', async () => {
    const table = new OneProcess();
    await Promise.all([table.prompt('agent/t:a', 'first', 'env-1'), table.prompt('agent/t:a', 'first', 'env-1')]);
    expect(table.sent).toEqual(['first']);
    expect(table.promptedBy('agent/t:a', 'env-1')).toBe(true);
  });

  it('without an id every call prompts (callers outside a turn)', async () => {
    const table = new OneProcess();
    await table.prompt('agent/t:a', 'first');
    await expect(table.prompt('agent/t:a', 'first')).rejects.toThrow('already processing');
  });
});
