import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Injectable, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** The largest JSON body the API accepts; past it: 413 problem+json (code request.too_large). */
export const JSON_BODY_LIMIT = '1mb';

/** Holds the OpenAPI document, built once the app's routes are known (see configureHttp). */
@Injectable()
export class OpenApiDocument {
  document?: OpenAPIObject;
}

const PROBLEM = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'detail', 'retryable'],
  properties: {
    type: { type: 'string', example: 'urn:godel:request.invalid' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', description: 'stable error code' },
    detail: { type: 'string' },
    retryable: { type: 'boolean' },
  },
};

/** Every operation answers errors as problem+json: declared once here instead of on each route. */
function addProblemResponses(doc: OpenAPIObject): void {
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, Problem: PROBLEM } };
  const problem = { description: 'problem+json', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  for (const item of Object.values(doc.paths)) {
    for (const op of [item.get, item.post, item.put, item.patch, item.delete]) {
      if (!op) continue;
      op.responses = { ...op.responses, '4XX': problem, '5XX': problem };
    }
  }
}

/**
 * Requests Node's HTTP parser refuses before Nest sees them (headers or URL over 16 KB → 431,
 * malformed → 400) are answered as problem+json too, instead of Node's bare status line.
 */
function problemOnClientError(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_URI_TOO_LONG' ? 414 : 400;
    const code = status === 400 ? 'request.malformed' : 'request.too_large';
    const body = JSON.stringify({ type: `urn:godel:${code}`, title: code, status, detail: STATUS_CODES[status], code, retryable: false });
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
}

/**
 * HTTP settings shared by the server and in-process tests: the JSON body limit (Nest's body parser
 * with our limit; the 413 is mapped by ProblemFilter) and the OpenAPI document, generated from the
 * controllers' decorators so every route is in it.
 */
export function configureHttp(app: INestApplication): void {
  (app as INestApplication & { useBodyParser(type: string, opts: { limit: string }): void }).useBodyParser('json', { limit: JSON_BODY_LIMIT });
  const config = new DocumentBuilder()
    .setTitle('Godel API')
    .setDescription('Control plane for fleets of AI coding agents. Errors are application/problem+json with stable codes.')
    .setVersion('v1')
    .build();
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}` });
  addProblemResponses(document);
  app.get(OpenApiDocument).document = document;
  problemOnClientError(app.getHttpServer() as Server);
}
