import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.ts';
import { linkRoutes } from './links.ts';
import { hostedPageRoutes } from './pages.ts';
import { portalRoutes } from './portal.ts';
import { publicCaptureApi } from './public-api.ts';
import { SHARE_SCRIPT } from './public-pages.ts';
import { SCRIPT_PATH } from './settings.ts';

export { captureApiRoutes } from './api-routes.ts';

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

/** Everything capture serves to the public: links, the script and its API, hosted pages, the portal. */
export const captureRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const script = asset('refsync.js');
  const share = asset('share.js');
  const serveScript = (maxAge: number) => async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', `public, max-age=${maxAge}`)
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('access-control-allow-origin', '*')
      .send(script);
  // The versioned name is what sites include; it changes when the script's behaviour does.
  app.get(SCRIPT_PATH, { schema: { hide: true } }, serveScript(86400));
  app.get('/js/v1/refsync.js', { schema: { hide: true } }, serveScript(86400));
  app.get(SHARE_SCRIPT, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(share),
  );
  await app.register(linkRoutes, { ctx });
  await app.register(publicCaptureApi, { ctx });
  await app.register(hostedPageRoutes, { ctx });
  await app.register(portalRoutes, { ctx });
};
