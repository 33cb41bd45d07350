import type { ReactNode } from 'react';
import { AccountPage } from './pages/account.tsx';
import { ApiKeysPage } from './pages/api-keys.tsx';
import { ConnectionPage } from './pages/connection.tsx';
import { ConnectionsPage } from './pages/connections.tsx';
import { DashboardPage } from './pages/dashboard.tsx';
import { JobsPage } from './pages/jobs.tsx';
import { MemberPage } from './pages/member.tsx';
import { MembersPage, NewMemberPage } from './pages/members.tsx';
import { ProgramEditPage } from './pages/program-edit.tsx';
import { ProgramsPage } from './pages/programs.tsx';
import { PushLogPage } from './pages/push-log.tsx';
import { PushSettingsPage } from './pages/push-settings.tsx';
import { ReceiverSettingsPage } from './pages/receiver-settings.tsx';
import { ReferralPage } from './pages/referral.tsx';
import { NewReferralPage } from './pages/referral-new.tsx';
import { ReferralsPage } from './pages/referrals.tsx';
import { SalesEntriesPage } from './pages/sales-entries.tsx';
import { SalesEntryPage } from './pages/sales-entry.tsx';
import { UsersPage } from './pages/users.tsx';
import { match } from './router.tsx';

/** The sidebar: sections of pages; `badge: 'review'` shows how many sales entries wait for review. */
export const sections: Array<{
  title: string;
  items: Array<{ href: string; label: string; badge?: 'review' }>;
}> = [
  { title: 'Overview', items: [{ href: '/', label: 'Dashboard' }] },
  {
    title: 'Referral program',
    items: [
      { href: '/programs', label: 'Programs' },
      { href: '/members', label: 'Members' },
      { href: '/referrals', label: 'Referrals' },
    ],
  },
  {
    title: 'CRM',
    items: [
      { href: '/connections', label: 'Connections' },
      { href: '/sales-entries', label: 'Sales entries', badge: 'review' },
      { href: '/push-log', label: 'Push log' },
      { href: '/jobs', label: 'Jobs' },
    ],
  },
  {
    title: 'Workspace',
    items: [
      { href: '/api-keys', label: 'API keys' },
      { href: '/users', label: 'Users' },
      { href: '/account', label: 'Your account' },
    ],
  },
];

/** Console pages by path pattern; the first match wins, so fixed paths come before `:id`. */
const pages: Array<[string, (params: Record<string, string>) => ReactNode]> = [
  ['/', () => <DashboardPage />],
  ['/programs', () => <ProgramsPage />],
  ['/programs/new', () => <ProgramEditPage />],
  ['/programs/:id', (p) => <ProgramEditPage key={p.id} id={p.id} />],
  ['/members', () => <MembersPage />],
  ['/members/new', () => <NewMemberPage />],
  ['/members/:id', (p) => <MemberPage key={p.id} id={p.id ?? ''} />],
  ['/referrals', () => <ReferralsPage />],
  ['/referrals/new', () => <NewReferralPage />],
  ['/referrals/:id', (p) => <ReferralPage key={p.id} id={p.id ?? ''} />],
  ['/connections', () => <ConnectionsPage />],
  ['/connections/:id', (p) => <ConnectionPage key={p.id} id={p.id ?? ''} />],
  ['/push-settings/new', () => <PushSettingsPage />],
  ['/push-settings/:id', (p) => <PushSettingsPage key={p.id} id={p.id} />],
  ['/receiver-settings/new', () => <ReceiverSettingsPage />],
  ['/receiver-settings/:id', (p) => <ReceiverSettingsPage key={p.id} id={p.id} />],
  ['/sales-entries', () => <SalesEntriesPage />],
  ['/sales-entries/:id', (p) => <SalesEntryPage key={p.id} id={p.id ?? ''} />],
  ['/push-log', () => <PushLogPage />],
  ['/jobs', () => <JobsPage />],
  ['/api-keys', () => <ApiKeysPage />],
  ['/users', () => <UsersPage />],
  ['/account', () => <AccountPage />],
];

export function findPage(path: string): ReactNode {
  for (const [pattern, render] of pages) {
    const params = match(pattern, path);
    if (params) return render(params);
  }
  return (
    <div className="state state-empty">
      <h1>Page not found</h1>
      <p>There is no console page at {path}. Use the sidebar to find your way.</p>
    </div>
  );
}
