import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { DataState, useLoad } from '../components/data.tsx';
import { Notice, TextField, useSubmit } from '../components/ui.tsx';
import { useTitle } from '../router.tsx';
import type { SessionView, WelcomeView } from '../types.ts';

/** Where one-time links land (`/welcome#token=...`): the person sets a password and is signed in. */
export function WelcomePage(props: { onSignedIn: (session: SessionView) => void }) {
  useTitle('Set your password');
  const [token] = useState(() => new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '');
  const loaded = useLoad(() => api.post<WelcomeView>('/auth/welcome/open', { token }), token);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const submit = useSubmit();

  const onSubmit = (event: FormEvent, fixedEmail: string | null) => {
    event.preventDefault();
    setMismatch(password !== repeat);
    if (password !== repeat) return;
    void submit.run(async () => {
      const session = await api.post<SessionView>('/auth/welcome', {
        token,
        password,
        ...(fixedEmail ? {} : { email }),
      });
      window.history.replaceState(null, '', '/');
      props.onSignedIn(session);
    });
  };

  return (
    <main className="auth-page">
      <div className="card auth-card">
        <DataState loaded={loaded} what="your link">
          {(welcome) => (
            <form onSubmit={(event) => onSubmit(event, welcome.email)} aria-labelledby="welcome-title">
              <h1 id="welcome-title">Welcome to {welcome.workspace}</h1>
              <p>
                Choose a password to sign in as{' '}
                {welcome.role === 'admin' ? 'an admin' : 'a viewer (read only)'}. This link works once.
              </p>
              <Notice error={submit.error} />
              {welcome.email ? (
                <p>
                  Email: <strong>{welcome.email}</strong>
                </p>
              ) : (
                <TextField
                  label="Your email"
                  type="email"
                  autoComplete="username"
                  required
                  value={email}
                  onChange={setEmail}
                  error={submit.fieldError('email')}
                />
              )}
              <TextField
                label="New password"
                type="password"
                autoComplete="new-password"
                required
                hint="At least 10 characters."
                value={password}
                onChange={setPassword}
                error={submit.fieldError('password')}
              />
              <TextField
                label="Repeat the password"
                type="password"
                autoComplete="new-password"
                required
                value={repeat}
                onChange={setRepeat}
                error={mismatch ? 'The two passwords differ' : undefined}
              />
              <button type="submit" className="button button-primary" disabled={submit.busy}>
                Set password and sign in
              </button>
            </form>
          )}
        </DataState>
      </div>
    </main>
  );
}
