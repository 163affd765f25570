import type { ChatCompletionRequest, ChatMessage, Script, ScriptBook, ScriptSource, Step, StepFunction } from './script';
import { parseScriptBook, validateStep } from './script-validation';

/** `[script:NAME]` anywhere in the first user message picks the script NAME from a ScriptBook. */
export const SCRIPT_MARKER = /\[script:([A-Za-z0-9_.\-/]+)\]/;

export type PlayResult =
  | { ok: true; step: Step; scriptName?: string; index: number }
  | { ok: false; status: number; message: string; scriptName?: string; index: number };

/** Text of a message whose content is a string or a list of `{ type: 'text', text }` parts. */
export function messageText(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}

/**
 * Chooses the step that answers a request.
 *
 * A conversation is identified by its script name and its first user message; each conversation
 * has its own cursor, so agents sharing one server (and one script) do not consume each other's
 * steps, and a retried request after an error step gets the *next* step. Two agents sending the
 * same first message with the same script share a cursor: give them distinct messages or markers.
 */
export class ScriptPlayer {
  private readonly cursors = new Map<string, number>();
  private readonly book?: ScriptBook;
  private readonly fn?: StepFunction;

  constructor(source: ScriptSource) {
    if (typeof source === 'function') this.fn = source;
    // Re-validate in-code scripts too: a typo in a test should fail loudly, not play half a script.
    else if (Array.isArray(source)) this.book = parseScriptBook(source, 'startScriptedModel script');
    else this.book = parseScriptBook(source as ScriptBook, 'startScriptedModel script');
  }

  async next(body: ChatCompletionRequest): Promise<PlayResult> {
    const firstUserMessage = messageText(body.messages.find((m) => m.role === 'user'));
    const scriptName = SCRIPT_MARKER.exec(firstUserMessage)?.[1];
    const key = `${scriptName ?? ''}\u0000${firstUserMessage}`;
    const index = this.cursors.get(key) ?? 0;
    this.cursors.set(key, index + 1);
    if (this.fn) return this.fromFunction(this.fn, { body, index, firstUserMessage, scriptName });
    return this.fromBook(this.book as ScriptBook, scriptName, index);
  }

  /** Forgets every conversation's position. */
  reset(): void {
    this.cursors.clear();
  }

  private async fromFunction(fn: StepFunction, request: Parameters<StepFunction>[0]): Promise<PlayResult> {
    const { index, scriptName } = request;
    try {
      const step = validateStep(await fn(request), { source: 'step function', step: index });
      return { ok: true, step, scriptName, index };
    } catch (err) {
      return { ok: false, status: 400, message: `scripted model: step function failed: ${(err as Error).message}`, scriptName, index };
    }
  }

  private fromBook(book: ScriptBook, marker: string | undefined, index: number): PlayResult {
    const names = Object.keys(book.scripts);
    const name = marker ?? book.default ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) {
      const message = `scripted model: no [script:NAME] marker in the first user message and no default script (known: ${names.join(', ')})`;
      return { ok: false, status: 400, message, index };
    }
    const script: Script | undefined = book.scripts[name];
    if (!script) {
      return { ok: false, status: 400, message: `scripted model: unknown script "${name}" (known: ${names.join(', ')})`, scriptName: name, index };
    }
    const step = script[index];
    if (!step) {
      const message = `scripted model: script "${name}" has no step ${index} (it has ${script.length}); the agent asked for more than was scripted`;
      return { ok: false, status: 400, message, scriptName: name, index };
    }
    return { ok: true, step, scriptName: name, index };
  }
}
