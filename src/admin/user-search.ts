import { z } from 'zod';

// The console's user search: one box matching what an admin would type (part of a userName, a display
// name, or an exact externalId), as a MongoDB query the directory's list paging runs unchanged.

export const userListQuery = z
  .object({
    search: z.string().trim().max(200).optional(),
    startIndex: z.coerce.number().int().min(1).default(1),
    count: z.coerce.number().int().min(1).max(200).default(25),
  })
  .strict();

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function userSearchQuery(search: string | undefined): Record<string, unknown> {
  if (!search) return {};
  const part = escapeRegex(search);
  return {
    $or: [
      // userNameKey is the lower-cased userName: a case-blind match without the /i flag.
      { userNameKey: new RegExp(escapeRegex(search.toLowerCase())) },
      { displayName: new RegExp(part, 'i') },
      { externalId: search },
    ],
  };
}
