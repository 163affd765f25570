import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GodelEvent } from './http';

/**
 * The record a one-shot `godel do` leaves when its local server is gone: every event of the team
 * (JSON lines), the summary (JSON) and the printed report, under `<GODEL_HOME>/runs/<team>/`.
 * `godel events replay --team <team>` reads it when no `--url` is given.
 */
export function recordDir(homeDir: string, team: string): string {
  return join(homeDir, 'runs', team);
}

export async function writeRecord(homeDir: string, team: string, events: GodelEvent[], summary: Record<string, unknown>, report: string): Promise<string> {
  const dir = recordDir(homeDir, team);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : ''));
  await writeFile(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  await writeFile(join(dir, 'report.txt'), report.endsWith('\n') ? report : `${report}\n`);
  return dir;
}

/** The recorded events of a one-shot run, or undefined when there is no record for the team. */
export function readRecordedEvents(homeDir: string, team: string): { dir: string; events: GodelEvent[] } | undefined {
  const dir = recordDir(homeDir, team);
  const file = join(dir, 'events.jsonl');
  if (!existsSync(file)) return undefined;
  const events = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as GodelEvent);
  return { dir, events };
}
