/**
 * A Salesforce error as the REST API reports it: an HTTP status, an `errorCode` and a
 * message, sometimes the `fields` involved and extra keys (the duplicate rule's
 * `duplicateResut`). REST answers carry it as `errorCode` inside a JSON array; save
 * results (collections, composite) carry it as `statusCode`.
 */
export class SfError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly fields: string[] | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(
    status: number,
    errorCode: string,
    message: string,
    fields?: string[],
    extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = errorCode;
    this.status = status;
    this.errorCode = errorCode;
    this.fields = fields;
    this.extra = extra;
  }
}

export interface RestErrorBody {
  message: string;
  errorCode: string;
  fields?: string[];
  [key: string]: unknown;
}

export interface SaveError {
  statusCode: string;
  message: string;
  fields: string[];
}

export function restErrorBody(error: SfError): RestErrorBody[] {
  return [
    {
      ...(error.extra ?? {}),
      errorCode: error.errorCode,
      message: error.message,
      ...(error.fields ? { fields: error.fields } : {}),
    },
  ];
}

export function saveError(error: SfError): SaveError {
  return { statusCode: error.errorCode, message: error.message, fields: error.fields ?? [] };
}

/** Common errors, built in one place so their wording stays identical everywhere. */
export const sfErrors = {
  notFound: () => new SfError(404, 'NOT_FOUND', 'The requested resource does not exist'),
  externalIdNotFound: (value: string) =>
    new SfError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${value}`),
  invalidTypeInQuery: (type: string) =>
    new SfError(
      400,
      'INVALID_TYPE',
      `sObject type '${type}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    ),
  invalidField: (field: string, type: string) =>
    new SfError(400, 'INVALID_FIELD', `No such column '${field}' on sobject of type ${type}`),
  invalidSession: () => new SfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid'),
  requestLimit: () => new SfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'),
  serverUnavailable: () => new SfError(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable'),
  unknownException: () =>
    new SfError(
      500,
      'UNKNOWN_EXCEPTION',
      'An unexpected error occurred. Please include this ErrorId if you contact support: 1943226812-42017 (-1178302342)',
    ),
  entityDeleted: () => new SfError(400, 'ENTITY_IS_DELETED', 'entity is deleted'),
  methodNotAllowed: (method: string) =>
    new SfError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed for this resource`),
  jsonParser: (message: string) => new SfError(400, 'JSON_PARSER_ERROR', message),
  rolledBack: () =>
    new SfError(
      400,
      'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      'Record rolled back because not all records were valid and the request was using AllOrNone header',
    ),
};
