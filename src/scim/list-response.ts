import type { ScimResult } from './result';
import { LIST_RESPONSE_URN } from './urns';

export type ListResponse = {
  schemas: string[];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: unknown[];
};

/** One page as a ListResponse (RFC 7644 section 3.4.2): `totalResults` counts every match, not only this page. */
export function listResponse(resources: unknown[], totalResults: number, startIndex: number): ListResponse {
  return {
    schemas: [LIST_RESPONSE_URN],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** A page of stored resources answered as a ListResponse, each rendered in turn by `render`. */
export async function listResult<D>(
  page: { total: number; docs: D[] },
  startIndex: number,
  render: (doc: D) => Promise<unknown>,
): Promise<ScimResult> {
  const resources = [];
  for (const doc of page.docs) resources.push(await render(doc));
  return { status: 200, body: listResponse(resources, page.total, startIndex) };
}
