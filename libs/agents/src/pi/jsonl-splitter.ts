import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into JSONL records the way pi frames them: LF is the only delimiter, a
 * trailing CR is dropped. (Node's `readline` also splits on U+2028/U+2029, which are legal inside
 * JSON strings, so it must not be used for pi's RPC stream.)
 *
 * A record longer than `maxLineChars` is dropped and reported through `onOverflow` instead of
 * growing the buffer without bound.
 */
export class JsonlSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private overflowing = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: (droppedChars: number) => void = () => undefined,
    private readonly maxLineChars = 64 * 1024 * 1024,
  ) {}

  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (this.overflowing) this.overflowing = false;
      else this.emit(line);
      newline = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > this.maxLineChars) {
      this.onOverflow(this.buffer.length);
      this.buffer = '';
      this.overflowing = true;
    }
  }

  /** Flushes a last record that had no trailing LF. */
  end(): void {
    this.buffer += this.decoder.end();
    if (this.buffer.length > 0 && !this.overflowing) this.emit(this.buffer);
    this.buffer = '';
    this.overflowing = false;
  }

  private emit(line: string): void {
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
