import { notificationSubscriber } from '../../src/notifications/subscriber.ts';
import { salesEntrySubscriber } from '../../src/receiver/process/subscriber.ts';
import { rewardIssueSubscriber } from '../../src/rewards/subscriber.ts';
import { sandboxPlugins } from '../../src/sandbox/index.ts';
import { memorySandboxStore } from '../../src/sandbox/store.ts';
import { type ApiClient, eventually, startTestApp, type TestApp } from './app.ts';

/** refsync with capture's mail and rewards at work, the outbox mounted, and X-Forwarded-For believed from loopback. */
export function startCaptureApp(env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp({
    subscribers: [notificationSubscriber, rewardIssueSubscriber, salesEntrySubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
    env: { REFSYNC_SANDBOX: '1', REFSYNC_TRUST_PROXY: '127.0.0.1', ...env },
  });
}

export interface Member {
  id: string;
  programId: string;
  email: string | null;
  firstName: string | null;
  referralCode: string;
  referralLink: string;
}

export interface CaptureProgram {
  programId: string;
  member: Member;
  key: string;
  keyId: string;
}

let addressCounter = 0;
/** A fresh client address (as a trusted proxy would pass it), so rate limits of tests do not meet. */
export function newAddress(): string {
  addressCounter++;
  return `10.${Math.floor(addressCounter / 250)}.${addressCounter % 250}.${Math.floor(Math.random() * 250) + 1}`;
}

export async function newMember(
  api: ApiClient,
  programId: string,
  body: Record<string, unknown> = {},
): Promise<Member> {
  const response = await api.post<Member>('/api/v1/members', {
    programId,
    email: `member-${Math.random().toString(36).slice(2, 10)}@example.com`,
    firstName: 'Mia',
    ...body,
  });
  if (response.status !== 201) throw new Error(`member: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A program with capture settings, one member and a publishable key. */
export async function captureProgram(
  api: ApiClient,
  settings: Record<string, unknown> = {},
  memberBody: Record<string, unknown> = {},
): Promise<CaptureProgram> {
  const program = await api.post<{ id: string }>('/api/v1/programs', { name: 'Acme Partners' });
  if (program.status !== 201) throw new Error(`program: ${program.status}`);
  const programId = program.body.id;
  const saved = await api.patch(`/api/v1/programs/${programId}/capture-settings`, {
    landingUrl: 'https://shop.example/welcome?utm_source=referral',
    allowedOrigins: ['https://shop.example'],
    hostedPages: 'refer_and_join',
    ...settings,
  });
  if (saved.status !== 200) throw new Error(`settings: ${saved.status} ${JSON.stringify(saved.body)}`);
  const member = await newMember(api, programId, memberBody);
  const key = await api.post<{ id: string; key: string }>(`/api/v1/programs/${programId}/publishable-keys`, {
    name: 'Shop',
  });
  return { programId, member, key: key.body.key, keyId: key.body.id };
}

export interface Referral {
  id: string;
  memberId: string | null;
  email: string | null;
  firstName: string | null;
  company: string | null;
  source: string | null;
  sourceNote: string | null;
  milestone: string;
}

export async function referralsOf(api: ApiClient, programId: string): Promise<Referral[]> {
  const response = await api.get<{ data: Referral[] }>(`/api/v1/referrals?programId=${programId}&limit=200`);
  return response.body.data;
}

export interface OutboxMessage {
  id: string;
  to: string;
  subject: string;
  text: string;
  template: string;
}

/** The newest outbox email to `to` with `template`, once it is there. */
export async function mailTo(
  testApp: TestApp,
  to: string,
  template: string,
  after?: string,
): Promise<OutboxMessage> {
  return eventually(async () => {
    const response = await fetch(`${testApp.url}/sandbox/mail/messages`);
    const body = (await response.json()) as { data: OutboxMessage[] };
    return body.data.find(
      (message) => message.to === to && message.template === template && (!after || message.id > after),
    );
  }, 20_000);
}

export function linkIn(text: string): string {
  const match = /(https?:\/\/\S+\/portal\/\S+\/auth\?token=[A-Za-z0-9]+)/.exec(text);
  if (!match?.[1]) throw new Error(`no sign-in link in: ${text}`);
  return match[1];
}

export interface CaptureSuite {
  testApp: TestApp;
  api: ApiClient;
  workspaceId: string;
  setup: CaptureProgram;
}

/** A capture app, a workspace, and a program set up by `captureProgram`. */
export async function startCaptureSuite(
  settings: Record<string, unknown> = {},
  memberBody: Record<string, unknown> = {},
): Promise<CaptureSuite> {
  const testApp = await startCaptureApp();
  const workspace = await testApp.newWorkspace();
  const setup = await captureProgram(workspace.api, settings, memberBody);
  return { testApp, api: workspace.api, workspaceId: workspace.id, setup };
}
