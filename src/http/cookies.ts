import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'refsync_session';

/** The value of one cookie of the request, or undefined. */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) {
      const value = part.slice(index + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function sessionCookieOf(request: FastifyRequest): string | undefined {
  return cookieOf(request, SESSION_COOKIE);
}

function secure(request: FastifyRequest, publicUrl: string): boolean {
  return request.protocol === 'https' || publicUrl.startsWith('https:');
}

/**
 * HttpOnly (no script reads it), SameSite=Lax (other sites' forms and fetches never carry
 * it, while a link from the CRM still opens the console signed in), Secure over HTTPS.
 */
export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  publicUrl: string,
  token: string,
  maxAgeSeconds: number,
): void {
  const parts = [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${maxAgeSeconds}`,
  ];
  if (secure(request, publicUrl)) parts.push('Secure');
  reply.header('set-cookie', parts.join('; '));
}

export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest, publicUrl: string): void {
  setSessionCookie(reply, request, publicUrl, '', 0);
}

/** The origins a browser on this server sends: the public URL's and the one it was reached at. */
export function expectedOrigins(request: FastifyRequest, publicUrl: string): string[] {
  const origins = [`${request.protocol}://${request.host}`];
  if (URL.canParse(publicUrl)) origins.push(new URL(publicUrl).origin);
  return origins;
}
