import { useEffect, useState } from 'react';
import { api, onSignedOut, setCsrfToken } from './api.ts';
import { Shell } from './components/shell.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { WelcomePage } from './pages/welcome.tsx';
import { navigate, useLocation } from './router.tsx';
import { findPage } from './routes.tsx';
import { SessionContext } from './session.tsx';
import type { SessionView } from './types.ts';

type SessionState =
  | { state: 'checking' }
  | { state: 'signed-out' }
  | { state: 'signed-in'; session: SessionView };

export function App() {
  const { path } = useLocation();
  const [session, setSession] = useState<SessionState>({ state: 'checking' });

  useEffect(() => {
    api
      .get<SessionView>('/auth/session')
      .then((value) => {
        setCsrfToken(value.csrfToken);
        setSession({ state: 'signed-in', session: value });
      })
      .catch(() => setSession({ state: 'signed-out' }));
    return onSignedOut(() => {
      setCsrfToken(undefined);
      setSession({ state: 'signed-out' });
    });
  }, []);

  const signedIn = (value: SessionView, next: string) => {
    setCsrfToken(value.csrfToken);
    setSession({ state: 'signed-in', session: value });
    navigate(next, { replace: true });
  };

  if (path === '/welcome') return <WelcomePage onSignedIn={(value) => signedIn(value, '/')} />;
  if (session.state === 'checking') {
    return (
      <div className="state state-loading boot" role="status">
        <span className="spinner" aria-hidden="true" /> Opening refsync…
      </div>
    );
  }
  if (session.state === 'signed-out' || path === '/sign-in') {
    if (session.state === 'signed-in') {
      navigate('/', { replace: true });
      return null;
    }
    // After sign-in, back to the page that was asked for (a link from the CRM, say).
    const next =
      path === '/sign-in'
        ? (new URLSearchParams(window.location.search).get('next') ?? '/')
        : `${path}${window.location.search}`;
    return (
      <SignInPage
        onSignedIn={(value) => signedIn(value, next.startsWith('/') && !next.startsWith('//') ? next : '/')}
      />
    );
  }
  const page = findPage(path);
  return (
    <SessionContext.Provider value={session.session}>
      <Shell
        onSignOut={async () => {
          await api.post('/auth/sign-out').catch(() => undefined);
          setCsrfToken(undefined);
          setSession({ state: 'signed-out' });
          navigate('/sign-in', { replace: true });
        }}
      >
        {page}
      </Shell>
    </SessionContext.Provider>
  );
}
