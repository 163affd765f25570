/** Longest tool output an event carries; the rest is cut (agents' transcripts keep it whole). */
export const MAX_OUTPUT_CHARS = 16 * 1024;

/**
 * The text of a message or tool-result `content` in the shapes agents use: a string, an array of
 * blocks (`{type: "text", text}`; nested `content` arrays as in Anthropic tool results), or an
 * object with `content`. Other blocks (images, thinking, tool calls) are skipped.
 */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(blockText).filter((t) => t !== '').join('\n');
  if (isRecord(content) && 'content' in content) return textOf(content.content);
  return '';
}

function blockText(block: unknown): string {
  if (typeof block === 'string') return block;
  if (!isRecord(block)) return '';
  if (block.type === 'text' && typeof block.text === 'string') return block.text;
  if (block.type === 'tool_result' || (block.type === undefined && 'content' in block)) return textOf(block.content);
  return '';
}

export function cut(text: string, max = MAX_OUTPUT_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A finite number, or undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
