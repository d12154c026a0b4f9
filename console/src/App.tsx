import { Navigate, Route, Routes } from 'react-router-dom';
import { Layout } from './Layout';
import { AccessChecker } from './pages/AccessChecker';
import { Audit } from './pages/Audit';
import { Changes } from './pages/Changes';
import { Deprovisioning } from './pages/Deprovisioning';
import { Directories } from './pages/Directories';
import { GroupPage } from './pages/GroupPage';
import { Groups } from './pages/Groups';
import { Mappings } from './pages/Mappings';
import { Overview } from './pages/Overview';
import { Roles } from './pages/Roles';
import { RequestDetail } from './pages/RequestDetail';
import { RequestLog } from './pages/RequestLog';
import { SignIn } from './pages/SignIn';
import { Staged } from './pages/Staged';
import { UserPage } from './pages/UserPage';
import { Users } from './pages/Users';
import { Webhooks } from './pages/Webhooks';
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
        {can(ORG_ADMIN_READ) && <Route path="requests" element={<RequestLog />} />}
        {can(ORG_ADMIN_READ) && <Route path="requests/:directoryId/:requestId" element={<RequestDetail />} />}
        {can(ORG_ADMIN_READ) && <Route path="groups" element={<Groups />} />}
        {can(ORG_ADMIN_READ) && <Route path="groups/:directoryId/:groupId" element={<GroupPage />} />}
        {can('api.role.read') && <Route path="mappings" element={<Mappings />} />}
        {can('api.role.read') && <Route path="roles" element={<Roles />} />}
        <Route path="changes" element={<Changes />} />
        {can(ORG_ADMIN_READ) && <Route path="deprovisioning" element={<Deprovisioning />} />}
        {can(ORG_ADMIN_READ) && <Route path="audit" element={<Audit />} />}
        {can('api.webhook.read') && <Route path="webhooks" element={<Webhooks />} />}
        {can(ORG_ADMIN_READ) && <Route path="staged" element={<Staged />} />}
        <Route path="access" element={<AccessChecker />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}
