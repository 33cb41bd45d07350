import type { FastifyInstance } from 'fastify';

/**
 * Replaces the JSON parser of a sandbox's encapsulated instance: an empty body (DELETE or
 * PUT without payload) is read as "no body", not an error, and a broken one fails with the
 * error the imitated API gives, built by `invalid` from the parser's message.
 */
export function installLenientJsonParser(app: FastifyInstance, invalid: (message: string) => Error): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const body = String(text);
    if (body.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body));
    } catch (error) {
      done(invalid(error instanceof Error ? error.message : String(error)), undefined);
    }
  });
}
