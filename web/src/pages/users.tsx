import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { DataState, useLoad } from '../components/data.tsx';
import {
  CopyButton,
  DangerButton,
  formatDate,
  Notice,
  PageHeader,
  SelectField,
  TableHead,
  TextField,
  useSubmit,
} from '../components/ui.tsx';
import { useTitle } from '../router.tsx';
import { useCanWrite, useSession } from '../session.tsx';
import type { CreatedInvitationView, InvitationView, UserView } from '../types.ts';

const roles = [
  { value: 'admin', label: 'Admin (everything)' },
  { value: 'viewer', label: 'Viewer (reads only)' },
];

export function UsersPage() {
  useTitle('Users');
  const canWrite = useCanWrite();
  const me = useSession().user;
  const users = useLoad(() => api.get<{ data: UserView[] }>('/users'), 'users');
  const invitations = useLoad(() => api.get<{ data: InvitationView[] }>('/invitations'), 'invitations');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('viewer');
  const [invited, setInvited] = useState<CreatedInvitationView | undefined>();
  const invite = useSubmit();
  const change = useSubmit();
  const onInvite = (event: FormEvent) => {
    event.preventDefault();
    void invite.run(async () => {
      setInvited(await api.post<CreatedInvitationView>('/invitations', { email, role }));
      setEmail('');
      invitations.reload();
    });
  };
  return (
    <>
      <PageHeader
        title="Users"
        subtitle="People who sign in to this console. Admins change things; viewers only look."
      />
      {canWrite ? (
        <form className="card form inline-form" onSubmit={onInvite} aria-label="Invite a person">
          <TextField
            label="Email of the person to invite"
            type="email"
            required
            value={email}
            onChange={setEmail}
            error={invite.fieldError('email')}
          />
          <SelectField label="Role" value={role} onChange={setRole} options={roles} />
          <button type="submit" className="button button-primary" disabled={invite.busy}>
            Create invitation link
          </button>
        </form>
      ) : null}
      <Notice error={invite.error ?? change.error} />
      {invited ? (
        <div className="notice notice-success" role="status">
          <p>
            <strong>Send this link to {invited.email}.</strong> It works once, until{' '}
            {formatDate(invited.expiresAt)}, and is not shown again.
          </p>
          <p className="secret">
            <code data-testid="invitation-url">{invited.url}</code>{' '}
            <CopyButton text={invited.url} label="Copy the invitation link" />
          </p>
        </div>
      ) : null}
      <section aria-labelledby="people-title">
        <h2 id="people-title">People</h2>
        <DataState loaded={users} what="users" isEmpty={(page) => page.data.length === 0}>
          {(page) => (
            <table className="table">
              <caption className="visually-hidden">Users</caption>
              <TableHead columns={['Email', 'Role', 'Since', '']} />
              <tbody>
                {page.data.map((user) => (
                  <tr key={user.id}>
                    <td>
                      {user.email}
                      {user.id === me.id ? <span className="muted"> (you)</span> : null}
                    </td>
                    <td>
                      {canWrite ? (
                        <select
                          aria-label={`Role of ${user.email}`}
                          value={user.role}
                          onChange={(event) =>
                            void change.run(async () => {
                              await api.patch(`/users/${user.id}`, { role: event.target.value });
                              users.reload();
                            })
                          }
                        >
                          {roles.map((option) => (
                            <option key={option.value} value={option.value}>
                              {option.label}
                            </option>
                          ))}
                        </select>
                      ) : user.role === 'admin' ? (
                        'Admin'
                      ) : (
                        'Viewer'
                      )}
                    </td>
                    <td>{formatDate(user.createdAt)}</td>
                    <td>
                      {canWrite && user.id !== me.id ? (
                        <DangerButton
                          label={`Remove ${user.email}`}
                          question={`Remove ${user.email}? They are signed out at once.`}
                          onConfirm={() =>
                            void change.run(async () => {
                              await api.delete(`/users/${user.id}`);
                              users.reload();
                            })
                          }
                        >
                          Remove
                        </DangerButton>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </DataState>
      </section>
      <section aria-labelledby="invitations-title">
        <h2 id="invitations-title">Open invitations</h2>
        <DataState
          loaded={invitations}
          what="invitations"
          isEmpty={(page) => page.data.length === 0}
          empty="No open invitations."
        >
          {(page) => (
            <table className="table">
              <caption className="visually-hidden">Open invitations</caption>
              <TableHead columns={['Email', 'Role', 'Expires', '']} />
              <tbody>
                {page.data.map((invitation) => (
                  <tr key={invitation.id}>
                    <td>{invitation.email ?? "The owner's first link"}</td>
                    <td>{invitation.role}</td>
                    <td>{formatDate(invitation.expiresAt)}</td>
                    <td>
                      {canWrite ? (
                        <button
                          type="button"
                          className="button button-small button-danger"
                          aria-label={`Revoke the invitation of ${invitation.email ?? 'the owner'}`}
                          onClick={() =>
                            void change.run(async () => {
                              await api.delete(`/invitations/${invitation.id}`);
                              invitations.reload();
                            })
                          }
                        >
                          Revoke
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </DataState>
      </section>
    </>
  );
}
