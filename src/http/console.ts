import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The console's production bundle, built from web/ by `npm run build:web` (decision 0036). */
export const consoleDist = join(import.meta.dirname, '..', '..', 'web', 'dist');

/** Paths the console never answers, so it cannot shadow the API or anything else here. */
const reserved = [
  '/api',
  '/hooks',
  '/sandbox',
  '/docs',
  '/metrics',
  '/healthz',
  '/readyz',
  '/oauth',
  '/unsubscribe',
  '/assets',
];

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer | undefined;
}

function load(dir: string): Map<string, Asset> {
  const files = new Map<string, Asset>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const body = readFileSync(path);
        const type = types[extname(name)] ?? 'application/octet-stream';
        const compressible = /text|javascript|json|svg/.test(type) && body.length > 1024;
        files.set(`/${relative(dir, path).split('\\').join('/')}`, {
          type,
          body,
          gzip: compressible ? gzipSync(body) : undefined,
        });
      }
    }
  };
  walk(dir);
  return files;
}

const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>refsync</title></head>
<body><h1>The console is not built</h1><p>Run <code>npm run build:web</code> (or start refsync with
<code>npm start</code>, which builds it when needed) and reload this page.</p></body></html>`;

const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, cache: string) {
  reply.headers(securityHeaders).header('content-type', asset.type).header('cache-control', cache);
  reply.header('vary', 'accept-encoding');
  const accepts = String(request.headers['accept-encoding'] ?? '');
  if (asset.gzip && /\bgzip\b/.test(accepts)) {
    return reply.header('content-encoding', 'gzip').send(asset.gzip);
  }
  return reply.send(asset.body);
}

/**
 * Serves the console: hashed files under /assets (cached for good), and index.html for any
 * other GET that asks for HTML outside the reserved paths, so the console's own routes
 * (/referrals/ref_..., the links written into the CRM) open in the browser. Read once at start.
 */
export function serveConsole(
  server: FastifyInstance,
  fallback: (request: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  const files = existsSync(join(consoleDist, 'index.html')) ? load(consoleDist) : new Map<string, Asset>();
  const index = files.get('/index.html');

  server.get('/assets/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const asset = files.get(decodeURIComponent(path));
    if (!asset) return fallback(request, reply);
    return send(request, reply, asset, 'public, max-age=31536000, immutable');
  });
  for (const [path, asset] of files) {
    if (path.startsWith('/assets/') || path === '/index.html') continue;
    server.get(path, { schema: { hide: true } }, async (request, reply) =>
      send(request, reply, asset, 'public, max-age=3600'),
    );
  }

  server.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const wantsPage =
      (request.method === 'GET' || request.method === 'HEAD') &&
      String(request.headers.accept ?? '').includes('text/html') &&
      !reserved.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    if (!wantsPage) return fallback(request, reply);
    if (!index) {
      return reply.code(503).headers(securityHeaders).header('content-type', types['.html']).send(notBuilt);
    }
    return send(request, reply, index, 'no-cache');
  });
}
