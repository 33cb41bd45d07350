import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';

/**
 * Requests Fastify refuses before any route runs answer in refsync's own error format, with
 * the status the error table gives their code.
 */

let testApp: TestApp;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startTestApp();
  api = (await testApp.newWorkspace('errors')).api;
});
afterAll(() => testApp.close());

it('answers a body of a type the API does not read with 415 unsupported_media_type', async () => {
  const response = await api.request('POST', '/api/v1/programs', {
    rawBody: 'name=Spring',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(response.status).toBe(415);
  expect(response.body).toEqual({
    error: { code: 'unsupported_media_type', message: 'Unsupported Media Type' },
  });
});

it('answers JSON that does not parse with 400 bad_request naming the body', async () => {
  const response = await api.request('POST', '/api/v1/programs', {
    rawBody: '{"name": ',
    headers: { 'content-type': 'application/json' },
  });
  expect(response.status).toBe(400);
  expect(response.body).toMatchObject({
    error: { code: 'bad_request', message: expect.stringMatching(/^body: /) },
  });
});
