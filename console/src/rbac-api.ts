// Shapes of the RBAC and directory-group parts of the admin API that the Mappings, Groups and Roles screens read.
import { get, type Project } from './api';
import { useQuery } from '@tanstack/react-query';

export type ScopeRef = { type: 'organization' } | { type: 'project'; projectId: string };

export interface Role {
  id: string;
  name: string;
  description?: string;
  scope: 'organization' | 'project' | ScopeRef;
  permissions: string[];
  policyIds?: string[];
  preset: boolean;
  version?: number;
}

export interface Policy {
  id: string;
  name: string;
  description?: string;
  permissions: string[];
}

export interface Binding {
  id: string;
  principal: { type: 'user' | 'group' | 'serviceAccount'; id: string; display?: string };
  scope: ScopeRef;
  roleId: string;
  createdAt: string;
}

export interface Permission {
  id: string;
  area: string;
  action: string;
  level: 'organization' | 'project';
  customRoleEligible: boolean;
  description: string;
}

export interface BindingImpact {
  principal: { type: string; id: string; display?: string };
  role: { id: string; name: string };
  scope: ScopeRef;
  alreadyBound: boolean;
  users: number;
  inactiveUsers: number;
  serviceAccounts: number;
  permissions: Array<{ permission: string; scope: ScopeRef; inEveryProject: boolean; gainedBy: number; alreadyHad: number }>;
}

export interface GroupRow {
  id: string;
  displayName: string;
  externalId: string | null;
  memberCount: number;
  createdAt: string;
  lastModifiedAt: string;
}

export interface GroupList {
  total: number;
  startIndex: number;
  count: number;
  groups: GroupRow[];
}

export interface GroupMember {
  type: 'user' | 'group';
  id: string;
  display: string;
  active: boolean | null;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The organization's projects by id (for scope names); empty when the key may not list projects. */
export function useProjectNames(orgId: string, enabled: boolean): Map<string, string> {
  const q = useQuery({ queryKey: ['projects', orgId], enabled, queryFn: () => get<{ projects: Project[] }>(`/orgs/${orgId}/projects`) });
  return new Map((q.data?.projects ?? []).map((p) => [p.id, p.name]));
}

export function scopeName(scope: ScopeRef, projects: Map<string, string>): string {
  return scope.type === 'organization' ? 'Organization' : `Project ${projects.get(scope.projectId) ?? scope.projectId}`;
}
