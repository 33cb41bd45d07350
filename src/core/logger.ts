import pino, { type Logger } from 'pino';

/** Paths never written to logs, whatever logs them. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.clientSecret',
  '*.client_secret',
  '*.password',
  '*.apiKey',
  '*.key',
];

const censor = '[redacted]';

/** Query parameters that carry a credential or a one-time code (OAuth callbacks, sandboxes). */
const secretQueryParameters = new Set([
  'code',
  'access_token',
  'refresh_token',
  'client_secret',
  'password',
  'token',
  'hapikey',
  'api_key',
]);

/** Path segments that are themselves secrets: the Salesforce hook secret, tokens looked up by URL. */
const secretPathPatterns = [
  /(\/hooks\/salesforce\/[^/?]+\/)[^/?]+/,
  /(\/oauth\/v1\/(?:access|refresh)-tokens\/)[^/?]+/,
];

/** A request URL as it may be logged: secrets in its path and query replaced. */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  let path = queryAt === -1 ? url : url.slice(0, queryAt);
  for (const pattern of secretPathPatterns) path = path.replace(pattern, `$1${censor}`);
  if (queryAt === -1) return path;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A name that does not decode is logged as it came; it cannot name a secret parameter.
      }
      return secretQueryParameters.has(decoded.toLowerCase()) ? `${name}=${censor}` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request fields, with the URL redacted; headers are never logged. */
function requestSerializer(request: LoggedRequest) {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : request.url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: redactedPaths, censor },
    serializers: { req: requestSerializer },
  };
  return destination ? pino(options, destination) : pino(options);
}
