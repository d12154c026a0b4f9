import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, rememberCsrfToken, whenSessionEnds, type Session } from './api';

interface SessionState {
  /** undefined while the first GET /session is in flight; null when signed out. */
  session: Session | null | undefined;
  signIn(adminKey: string): Promise<void>;
  signOut(): Promise<void>;
  /** Whether the signed-in key holds a permission: screens hide what the API would refuse anyway. */
  can(permission: string): boolean;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const queries = useQueryClient();

  const adopt = useCallback(
    (s: Session | null) => {
      rememberCsrfToken(s?.csrfToken ?? null);
      if (!s) queries.clear();
      setSession(s);
    },
    [queries],
  );

  useEffect(() => {
    whenSessionEnds(() => adopt(null));
    // After a reload the cookie may still be good: ask the service, never browser storage.
    // Any failure (401 without a cookie, or the service down) shows the sign-in page.
    api<Session>('GET', '/session').then(adopt, () => adopt(null));
  }, [adopt]);

  const value: SessionState = {
    session,
    async signIn(adminKey) {
      adopt(await api<Session>('POST', '/session', { adminKey }));
    },
    async signOut() {
      await api('DELETE', '/session').catch(() => undefined);
      adopt(null);
    },
    can: (permission) => Boolean(session?.permissions.includes(permission)),
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in session; only for screens rendered behind the sign-in gate. */
export function useSignedIn(): Session & { can(permission: string): boolean } {
  const { session, can } = useSession();
  if (!session) throw new Error('useSignedIn without a session');
  return { ...session, can };
}

export const ORG_ADMIN_READ = 'api.organization_admin.read';
export const ORG_ADMIN_WRITE = 'api.organization_admin.write';
