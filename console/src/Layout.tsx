import { NavLink, Outlet } from 'react-router-dom';
import { ORG_ADMIN_READ, useSession, useSignedIn } from './session';

/** The frame of every screen; navigation lists only the screens the key's permissions open. */
export function Layout() {
  const s = useSignedIn();
  const { signOut } = useSession();
  const links = [
    { to: '/', label: 'Overview', end: true, shown: true },
    { to: '/directories', label: 'Directories', shown: s.can(ORG_ADMIN_READ) },
    { to: '/users', label: 'Users', shown: s.can(ORG_ADMIN_READ) },
    { to: '/access', label: 'Access checker', shown: true },
  ];
  return (
    <div className="frame">
      <header className="top">
        <span className="brand">scim-sync</span>
        <span className="who">
          {s.orgSlug} · key <strong>{s.keyName}</strong>
        </span>
        <button type="button" className="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console">
        <ul>
          {links
            .filter((l) => l.shown)
            .map((l) => (
              <li key={l.to}>
                <NavLink to={l.to} end={l.end}>
                  {l.label}
                </NavLink>
              </li>
            ))}
        </ul>
      </nav>
      <main>
        <Outlet />
      </main>
    </div>
  );
}
