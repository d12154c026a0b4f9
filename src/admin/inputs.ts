import { z } from 'zod';
import { permissionById } from '../rbac/catalog';

// Admin API input shapes. Unknown keys are rejected so a typo ("permisions") is an error, not a no-op.

const id = z.string().trim().min(1).max(200);
const name = z.string().trim().min(1).max(200);
const description = z.string().max(2000);
const permissionList = z.array(z.string().min(1).max(200)).max(500);
/** Custom roles and policies: each permission must exist and be custom-role eligible, reported per item. */
const rolePermissionList = permissionList.superRefine((ids, ctx) => {
  ids.forEach((id, i) => {
    const p = permissionById(id);
    if (!p) ctx.addIssue({ code: 'custom', path: [i], message: `unknown permission ${id}` });
    else if (!p.customRoleEligible) ctx.addIssue({ code: 'custom', path: [i], message: `${id} cannot be used in custom roles or policies` });
  });
});

export const scopeInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('organization') }).strict(),
  z.object({ type: z.literal('project'), projectId: id }).strict(),
]);

export const projectCreate = z.object({ name }).strict();
export const projectUpdate = z
  .object({ name: name.optional(), archived: z.boolean().optional() })
  .strict()
  .refine((v) => v.name !== undefined || v.archived !== undefined, 'give name or archived');

export const policyCreate = z.object({ name, description: description.optional(), permissions: rolePermissionList }).strict();
export const policyUpdate = z.object({ name: name.optional(), description: description.optional(), permissions: rolePermissionList.optional() }).strict();

export const roleCreate = z
  .object({
    name,
    description: description.optional(),
    scope: scopeInput.default({ type: 'organization' }),
    permissions: rolePermissionList.default([]),
    policyIds: z.array(id).max(100).default([]),
  })
  .strict()
  .refine((r) => r.permissions.length + r.policyIds.length > 0, 'a role needs permissions or policies');
export const roleUpdate = z
  .object({ name: name.optional(), description: description.optional(), permissions: rolePermissionList.optional(), policyIds: z.array(id).max(100).optional() })
  .strict();

export const principalInput = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('user'), id: id.optional(), userName: name.optional(), directoryId: id.optional() })
    .strict()
    .refine((p) => Boolean(p.id) !== Boolean(p.userName), 'give exactly one of id or userName'),
  z
    .object({ type: z.literal('group'), id: id.optional(), displayName: name.optional(), directoryId: id.optional() })
    .strict()
    .refine((p) => Boolean(p.id) !== Boolean(p.displayName), 'give exactly one of id or displayName'),
  z.object({ type: z.literal('serviceAccount'), id }).strict(),
]);

export const bindingCreate = z.object({ principal: principalInput, scope: scopeInput, roleId: id }).strict();

export const serviceAccountCreate = z.object({ name }).strict();

export const apiKeyCreate = z
  .object({
    projectId: id,
    name,
    owner: z.object({ type: z.enum(['user', 'serviceAccount']), id }).strict(),
    permissions: z.union([z.literal('all'), permissionList.min(1)]),
  })
  .strict();

export const directoryCreate = z.object({ name, provider: z.enum(['okta', 'entra', 'generic']) }).strict();

export const adminKeyCreate = z.object({ name, roleId: id.default('preset:org-owner') }).strict();

const subject = z.union([
  z.object({ userId: id }).strict(),
  z.object({ userName: name }).strict(),
  z.object({ serviceAccountId: id }).strict(),
  z.object({ apiKey: z.string().min(1).max(300) }).strict(),
  z.object({ apiKeyId: id }).strict(),
]);

export const accessCheck = z.object({ subject, permission: z.string().min(1).max(200), projectId: id.optional() }).strict();
export const accessCheckBatch = z.object({ checks: z.array(accessCheck).min(1).max(1000) }).strict();

export const auditQuery = z
  .object({
    action: z.string().max(200).optional(),
    actorType: z.enum(['adminKey', 'directoryToken', 'system']).optional(),
    actorId: id.optional(),
    targetType: z.string().max(100).optional(),
    targetId: id.optional(),
    since: z.coerce.date().optional(),
    until: z.coerce.date().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(500).optional(),
  })
  .strict();

// Query strings, read by ./query.ts: every schema is strict, so an unknown parameter is a 400, not ignored.
export const noQuery = z.object({}).strict();
export const projectListQuery = z.object({ includeArchived: z.enum(['true', 'false']).optional() }).strict();
export const bindingListQuery = z
  .object({
    principalType: z.enum(['user', 'group', 'serviceAccount']).optional(),
    principalId: id.optional(),
    roleId: id.optional(),
    projectId: id.optional(),
  })
  .strict();
export const apiKeyListQuery = z.object({ projectId: id.optional(), ownerId: id.optional() }).strict();
export const permissionsQuery = z.object({ projectId: id.optional() }).strict();
export const changeQuery = z.object({ wait: z.coerce.number().int().min(0).optional() }).strict();
export const deprovisioningQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();
