import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { Notice, PageHeader, TextField, useSubmit } from '../components/ui.tsx';
import { useTitle } from '../router.tsx';
import { useSession } from '../session.tsx';

export function AccountPage() {
  useTitle('Your account');
  const session = useSession();
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [done, setDone] = useState<string | undefined>();
  const submit = useSubmit();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    void submit.run(async () => {
      await api.post('/auth/password', { currentPassword, newPassword });
      setCurrent('');
      setNew('');
      setDone('Password changed. Your other sessions were signed out.');
    });
  };
  return (
    <>
      <PageHeader
        title="Your account"
        subtitle={`${session.user.email}, ${session.user.role === 'admin' ? 'admin' : 'viewer'} of ${session.workspace.name}`}
      />
      <form className="card form" onSubmit={onSubmit} aria-label="Change your password">
        <h2>Change your password</h2>
        <Notice
          error={
            submit.fieldError('currentPassword') || submit.fieldError('newPassword')
              ? undefined
              : submit.error
          }
          success={done}
        />
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={currentPassword}
          onChange={setCurrent}
          error={submit.fieldError('currentPassword')}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 10 characters."
          value={newPassword}
          onChange={setNew}
          error={submit.fieldError('newPassword')}
        />
        <button type="submit" className="button button-primary" disabled={submit.busy}>
          Change password
        </button>
      </form>
    </>
  );
}
