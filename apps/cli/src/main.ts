#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './program';

/** Entry point of the `godel` CLI (bin/godel runs the compiled copy of this file). */
runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
    // Exit once stdout is flushed: a library handle left open must not keep the CLI alive.
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`godel: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
