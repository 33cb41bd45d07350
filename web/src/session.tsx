import { createContext, useContext } from 'react';
import type { SessionView } from './types.ts';

export const SessionContext = createContext<SessionView | undefined>(undefined);

export function useSession(): SessionView {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** Admins change things; viewers look. The API enforces it; the console says so up front. */
export function useCanWrite(): boolean {
  return useSession().user.role === 'admin';
}
