import { beginTransaction } from '../dml.ts';
import { SfError, sfErrors } from '../errors.ts';
import { jsonObject, type RestContext, type RestRequest, type RestResponse, type Route } from './context.ts';

const MAX_SUBREQUESTS = 25;
const VERSIONED_PATH = /^\/services\/data\/v(\d+\.\d)(\/[^?]*)?(?:\?(.*))?$/;
const REFERENCE = /@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}/g;

export type Dispatch = (ctx: RestContext, req: RestRequest) => RestResponse;

interface SubResponse {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

const HALTED = [
  {
    errorCode: 'PROCESSING_HALTED',
    message: 'The transaction was rolled back since another operation in the same transaction failed.',
  },
];

/** Reads `ref.a.b[0].c` out of an earlier sub-response body; undefined when absent. */
function lookup(results: Map<string, unknown>, refId: string, path: string): unknown {
  let current: unknown = results.get(refId);
  for (const step of path.match(/\.[A-Za-z0-9_]+|\[\d+\]/g) ?? []) {
    if (typeof current !== 'object' || current === null) return undefined;
    const key = step.startsWith('[') ? Number(step.slice(1, -1)) : step.slice(1);
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function substitute(text: string, results: Map<string, unknown>): string {
  return text.replace(REFERENCE, (whole, refId: string, path: string) => {
    const value = lookup(results, refId, path);
    if (value === undefined || value === null || typeof value === 'object') {
      throw new SfError(
        400,
        'PROCESSING_HALTED',
        `Invalid reference specified. No value for ${whole.slice(2, -1)} found in ${refId}. Provided referenceId ('${refId}') must match a previous reference or be a valid reference ID.`,
      );
    }
    return String(value);
  });
}

/** Replaces `@{ref.path}` inside every string of a JSON body. */
function substituteDeep(value: unknown, results: Map<string, unknown>): unknown {
  if (typeof value === 'string') return substitute(value, results);
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, results));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteDeep(v, results)]));
  }
  return value;
}

function errorBody(error: SfError): unknown {
  return [
    { errorCode: error.errorCode, message: error.message, ...(error.fields ? { fields: error.fields } : {}) },
  ];
}

function runOne(
  dispatch: Dispatch,
  ctx: RestContext,
  req: RestRequest,
  sub: Record<string, unknown>,
  results: Map<string, unknown>,
): Omit<SubResponse, 'referenceId'> {
  const method = typeof sub.method === 'string' ? sub.method.toUpperCase() : '';
  const rawUrl = typeof sub.url === 'string' ? sub.url : '';
  const url = substitute(rawUrl, results);
  const parsed = VERSIONED_PATH.exec(url);
  if (!method || !parsed) {
    throw new SfError(400, 'INVALID_URL', `The url ${rawUrl} is not a valid composite subrequest URL`);
  }
  const subHeaders: Record<string, string | undefined> = { ...req.headers };
  if (typeof sub.httpHeaders === 'object' && sub.httpHeaders !== null) {
    for (const [k, v] of Object.entries(sub.httpHeaders)) subHeaders[k.toLowerCase()] = String(v);
  }
  const response = dispatch(
    { ...ctx, version: parsed[1] ?? ctx.version },
    {
      method,
      path: parsed[2] ?? '/',
      query: new URLSearchParams(parsed[3] ?? ''),
      body: sub.body === undefined ? undefined : substituteDeep(sub.body, results),
      headers: subHeaders,
    },
  );
  return {
    body: response.body ?? null,
    httpHeaders: response.headers?.location ? { Location: response.headers.location } : {},
    httpStatusCode: response.status,
  };
}

function composite(dispatch: Dispatch) {
  return (ctx: RestContext, req: RestRequest): RestResponse => {
    const payload = jsonObject(req.body);
    const list = payload.compositeRequest;
    if (!Array.isArray(list) || list.length === 0) {
      throw sfErrors.jsonParser('compositeRequest is required');
    }
    if (list.length > MAX_SUBREQUESTS) {
      throw new SfError(
        400,
        'INVALID_BATCH_REQUEST',
        `Composite request may contain at most ${MAX_SUBREQUESTS} subrequests`,
      );
    }
    const allOrNone = payload.allOrNone === true;
    const transaction = beginTransaction(ctx.org);
    const results = new Map<string, unknown>();
    const responses: SubResponse[] = [];
    let failed = false;
    try {
      for (const item of list) {
        const sub = jsonObject(item);
        const referenceId = typeof sub.referenceId === 'string' ? sub.referenceId : '';
        if (failed && allOrNone) {
          responses.push({ body: HALTED, httpHeaders: {}, httpStatusCode: 400, referenceId });
          continue;
        }
        let response: Omit<SubResponse, 'referenceId'>;
        try {
          response = runOne(dispatch, ctx, req, sub, results);
        } catch (error) {
          if (!(error instanceof SfError)) throw error;
          response = { body: errorBody(error), httpHeaders: {}, httpStatusCode: error.status };
        }
        if (response.httpStatusCode >= 400) failed = true;
        else results.set(referenceId, response.body);
        responses.push({ ...response, referenceId });
      }
    } catch (error) {
      transaction.rollback();
      throw error;
    }
    if (!(failed && allOrNone)) {
      transaction.commit();
      return { status: 200, body: { compositeResponse: responses } };
    }
    transaction.rollback();
    for (const response of responses) {
      if (response.httpStatusCode < 400) {
        response.body = HALTED;
        response.httpHeaders = {};
        response.httpStatusCode = 400;
      }
    }
    return { status: 200, body: { compositeResponse: responses } };
  };
}

const BATCH_PATH = /^(?:\/services\/data\/)?\/?v(\d+\.\d)(\/[^?]*)?(?:\?(.*))?$/;

/**
 * `/composite/batch`: up to 25 independent subrequests, not transactional; with
 * `haltOnError`, the ones after a failure answer 412 BATCH_PROCESSING_HALTED.
 */
function batch(dispatch: Dispatch) {
  return (ctx: RestContext, req: RestRequest): RestResponse => {
    const payload = jsonObject(req.body);
    const list = payload.batchRequests;
    if (!Array.isArray(list) || list.length === 0) throw sfErrors.jsonParser('batchRequests is required');
    if (list.length > MAX_SUBREQUESTS) {
      throw new SfError(
        400,
        'INVALID_BATCH_REQUEST',
        `Batch request may contain at most ${MAX_SUBREQUESTS} subrequests`,
      );
    }
    const haltOnError = payload.haltOnError === true;
    let halted = false;
    const results = list.map((item) => {
      if (halted) {
        return {
          statusCode: 412,
          result: [{ errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }],
        };
      }
      const sub = jsonObject(item);
      const method = typeof sub.method === 'string' ? sub.method.toUpperCase() : '';
      const parsed = BATCH_PATH.exec(typeof sub.url === 'string' ? sub.url : '');
      let response: RestResponse;
      if (!method || !parsed) {
        response = {
          status: 400,
          body: [{ errorCode: 'INVALID_URL', message: `invalid batch subrequest url` }],
        };
      } else {
        response = dispatch(
          { ...ctx, version: parsed[1] ?? ctx.version },
          {
            method,
            path: parsed[2] ?? '/',
            query: new URLSearchParams(parsed[3] ?? ''),
            body: sub.richInput,
            headers: req.headers,
          },
        );
      }
      if (response.status >= 400 && haltOnError) halted = true;
      return { statusCode: response.status, result: response.body ?? null };
    });
    return { status: 200, body: { hasErrors: results.some((r) => r.statusCode >= 400), results } };
  };
}

export function compositeRoutes(dispatch: Dispatch): Route[] {
  return [
    { method: 'POST', pattern: /^\/composite\/?$/, handle: composite(dispatch) },
    { method: 'POST', pattern: /^\/composite\/batch\/?$/, handle: batch(dispatch) },
  ];
}
