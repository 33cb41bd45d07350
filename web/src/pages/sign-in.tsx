import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { Notice, TextField, useSubmit } from '../components/ui.tsx';
import { useTitle } from '../router.tsx';
import type { SessionView } from '../types.ts';

export function SignInPage(props: { onSignedIn: (session: SessionView) => void }) {
  useTitle('Sign in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = useSubmit();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run(async () =>
      props.onSignedIn(await api.post<SessionView>('/auth/sign-in', { email, password })),
    );
  };
  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={onSubmit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to refsync</h1>
        <Notice error={submit.error} />
        <TextField
          label="Email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={setEmail}
        />
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={setPassword}
        />
        <button type="submit" className="button button-primary" disabled={submit.busy}>
          {submit.busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="hint">
          No account yet? An admin of your workspace can invite you; the first one sets their password through
          the link refsync printed when it first started (or <code>refsync user-create</code>).
        </p>
      </form>
    </main>
  );
}
