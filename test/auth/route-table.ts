import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { acceptsQueryToken, routeAccess, type RouteAccess } from '../../apps/godel/src/http/access.decorators';

export interface RouteInfo {
  method: string;
  /** Express pattern, e.g. `/api/v1/agents/:team/:name`. */
  path: string;
  access: RouteAccess;
  /** Takes `?access_token=` (only the SSE stream may). */
  queryToken: boolean;
  controller: string;
  handler: string;
  /** The handler reads a request body (@Body). */
  takesBody: boolean;
}

const join = (...parts: Array<string | undefined>) =>
  '/' +
  parts
    .flatMap((p) => (p ?? '').split('/'))
    .filter(Boolean)
    .join('/');

/** Every route of the app, read from Nest's metadata (controllers × handlers), with its declared access. */
export function routeTable(app: INestApplication): RouteInfo[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: RouteInfo[] = [];
  for (const wrapper of discovery.getControllers()) {
    const cls = wrapper.metatype as (new (...a: unknown[]) => unknown) | undefined;
    if (!cls) continue;
    const base = Reflect.getMetadata(PATH_METADATA, cls) as string | undefined;
    for (const name of scanner.getAllMethodNames(cls.prototype as object)) {
      const handler = (cls.prototype as Record<string, (...a: unknown[]) => unknown>)[name];
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      for (const p of Array.isArray(path) ? path : [path]) {
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, name) ?? {}) as Record<string, unknown>;
        const takesBody = Object.keys(args).some((k) => k.split(':')[0] === String(RouteParamtypes.BODY));
        routes.push({ method, path: join(base, p), access: routeAccess(reflector, handler, cls), queryToken: acceptsQueryToken(reflector, handler), controller: cls.name, handler: name, takesBody });
      }
    }
  }
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Where Nest mounts module middleware (RequestContextMiddleware): not a route. */
const MIDDLEWARE_PATH = '/{*path}';

/** The routes Express actually serves (to prove the metadata table misses none). */
export function expressRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router?: { stack: ExpressLayer[] }; _router?: { stack: ExpressLayer[] } };
  const stack = (express.router ?? express._router)!.stack;
  return stack
    .filter((l) => l.route && l.route.path !== MIDDLEWARE_PATH)
    .flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`))
    .sort();
}

/** A concrete URL for a pattern: every `:param` becomes `x1`. */
export function sampleUrl(path: string): string {
  return path.replace(/:[A-Za-z0-9_]+/g, 'x1');
}
