import { NavLink, Outlet } from 'react-router-dom';
import { ORG_ADMIN_READ, useSession, useSignedIn } from './session';
import { StagedBanner } from './components/StagedBanner';

/** The frame of every screen; navigation lists only the screens the key's permissions open. */
export function Layout() {
  const s = useSignedIn();
  const { signOut } = useSession();
  const links = [
    { to: '/', label: 'Overview', end: true, shown: true },
    { to: '/directories', label: 'Directories', shown: s.can(ORG_ADMIN_READ) },
    { to: '/users', label: 'Users', shown: s.can(ORG_ADMIN_READ) },
    { to: '/requests', label: 'SCIM request log', shown: s.can(ORG_ADMIN_READ) },
    { to: '/groups', label: 'Groups', shown: s.can(ORG_ADMIN_READ) },
    { to: '/mappings', label: 'Mappings', shown: s.can('api.role.read') },
    { to: '/roles', label: 'Roles and permissions', shown: s.can('api.role.read') },
    { to: '/changes', label: 'Changes', shown: true },
    { to: '/deprovisioning', label: 'Deprovisioning report', shown: s.can(ORG_ADMIN_READ) },
    { to: '/audit', label: 'Audit log', shown: s.can(ORG_ADMIN_READ) },
    { to: '/webhooks', label: 'Webhooks', shown: s.can('api.webhook.read') },
    { to: '/staged', label: 'Staged deprovisioning', shown: s.can(ORG_ADMIN_READ) },
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
        {s.can(ORG_ADMIN_READ) && <StagedBanner />}
        <Outlet />
      </main>
    </div>
  );
}
