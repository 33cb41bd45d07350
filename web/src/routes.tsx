import type { ReactNode } from 'react';
import { AccountPage } from './pages/account.tsx';
import { ApiKeysPage } from './pages/api-keys.tsx';
import { DashboardPage } from './pages/dashboard.tsx';
import { MemberPage } from './pages/member.tsx';
import { MembersPage, NewMemberPage } from './pages/members.tsx';
import { ProgramEditPage } from './pages/program-edit.tsx';
import { ProgramsPage } from './pages/programs.tsx';
import { ReferralPage } from './pages/referral.tsx';
import { NewReferralPage } from './pages/referral-new.tsx';
import { ReferralsPage } from './pages/referrals.tsx';
import { UsersPage } from './pages/users.tsx';
import { match } from './router.tsx';

/**
 * The sidebar: sections of pages. The CRM pages (connections, push and receiver settings,
 * sales entries, push log, jobs) join as a section of their own.
 */
export const sections: Array<{ title: string; items: Array<{ href: string; label: string }> }> = [
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
