import { Controller, Get, Param, Res } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GodelError } from '@godel/actors';
import { Public } from '../http/access.decorators';

class AssetNotFound extends GodelError {
  readonly code = 'resource.not_found';
  readonly retryable = false;
}

interface AssetResponse {
  status(code: number): this;
  set(headers: Record<string, string>): this;
  send(body: string): void;
}

/** The page's files, served by name only (no paths from the request reach the file system). */
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'render.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * The page is public (it holds no data); everything it shows comes from the API with the access token
 * it gets for an API key. Scripts and styles only from this origin, nothing inline, no framing.
 */
const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** The dashboard: a static HTML + JS shell (no build step), next to this file in `public/`. */
@Controller('dashboard')
export class DashboardController {
  private readonly files = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(join(__dirname, 'public', name), 'utf8')]));

  @Get()
  @Public()
  page(@Res() res: AssetResponse): void {
    this.send(res, 'index.html');
  }

  @Get(':file')
  @Public()
  asset(@Param('file') file: string, @Res() res: AssetResponse): void {
    if (file === 'index.html' || !this.files.has(file)) throw new AssetNotFound(`no dashboard file ${file.slice(0, 64)}`);
    this.send(res, file);
  }

  private send(res: AssetResponse, name: string): void {
    res.status(200).set({ ...HEADERS, 'content-type': ASSETS[name] }).send(this.files.get(name)!);
  }
}
