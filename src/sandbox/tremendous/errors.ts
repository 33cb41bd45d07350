/**
 * Tremendous error answers: `{ errors: { message, payload } }`, where `payload` mirrors the
 * request body down to the fields at fault. Statuses follow Tremendous's table: 400 invalid
 * values, 401 key, 402 not enough funds, 404 unknown id, 409 an external_id reused with
 * other parameters, 422 a required parameter missing, 429 rate limit, 500 server.
 */
export type ErrorPayload = { [key: string]: string | ErrorPayload };

export class TremendousError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly payload: ErrorPayload = {},
  ) {
    super(message);
  }

  get body(): { errors: { message: string; payload: ErrorPayload } } {
    return { errors: { message: this.message, payload: this.payload } };
  }
}

export const unauthorized = () =>
  new TremendousError(401, 'Authentication failed: the API key is missing, unknown or revoked.');

export const notFound = (what: string, id: string) =>
  new TremendousError(404, `${what} not found`, { id: `No ${what.toLowerCase()} with id ${id}` });

export const rateLimited = () => new TremendousError(429, 'Rate limit exceeded');

export const serverError = () => new TremendousError(500, 'Internal server error');
