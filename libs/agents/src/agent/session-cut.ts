/**
 * pi sessions are JSONL: a header line, then entries linked by `id` / `parentId` (a tree). Cutting
 * at an entry keeps the header and the path from the root to that entry: the conversation as it
 * was at that point, ready to continue in a new branch.
 */
export function cutSession(content: string, entryId?: string): { content: string; entry: string } {
  const lines = content.split('\n').filter((l) => l.trim() !== '');
  const parsed = lines.map((l) => JSON.parse(l) as { type?: string; id?: string; parentId?: string | null });
  const header = parsed.findIndex((e) => e.type === 'session');
  const entries = parsed.filter((e, i) => i !== header && typeof e.id === 'string');
  if (entries.length === 0) throw new Error('session has no entries to fork from');
  const target = entryId ?? entries[entries.length - 1].id!;
  const byId = new Map(entries.map((e) => [e.id!, e]));
  if (!byId.has(target)) throw new Error(`session has no entry ${target}`);
  const keep = new Set<string>();
  for (let cur: string | null | undefined = target; cur; cur = byId.get(cur)?.parentId) keep.add(cur);
  const out = lines.filter((_, i) => i === header || keep.has(parsed[i].id ?? ''));
  return { content: out.join('\n') + '\n', entry: target };
}
