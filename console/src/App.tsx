import { Navigate, Route, Routes } from 'react-router-dom';
import { Layout } from './Layout';
import { AccessChecker } from './pages/AccessChecker';
import { Directories } from './pages/Directories';
import { Overview } from './pages/Overview';
import { SignIn } from './pages/SignIn';
import { UserPage } from './pages/UserPage';
import { Users } from './pages/Users';
import { ORG_ADMIN_READ, useSession } from './session';

export function App() {
  const { session, can } = useSession();
  if (session === undefined) return <p className="loading" role="status">Loading…</p>;
  if (session === null) return <SignIn />;
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Overview />} />
        {can(ORG_ADMIN_READ) && <Route path="directories" element={<Directories />} />}
        {can(ORG_ADMIN_READ) && <Route path="users" element={<Users />} />}
        {can(ORG_ADMIN_READ) && <Route path="users/:directoryId/:userId" element={<UserPage />} />}
        <Route path="access" element={<AccessChecker />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}
