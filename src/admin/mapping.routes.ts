import type { BindingPreview } from '../rbac/binding-preview';
import { bindingCreate } from './inputs';
import type { RouteKit } from './router';

// Mappings (group-to-role bindings) as the console makes them: the impact preview of a binding
// before it is saved. Listing, creating and deleting bindings are the core /bindings routes.

export function mappingRoutes(deps: { preview: Pick<BindingPreview, 'preview'> }): (kit: RouteKit) => void {
  return ({ router, route, orgOf }) => {
    // A dry run takes exactly the body POST /bindings takes, so the console previews what it will send.
    // Reading who holds what is api.role.read; nothing is written.
    router.post('/orgs/:org/bindings/preview', route('api.role.read', async (req, res) => deps.preview.preview(orgOf(res), bindingCreate.parse(req.body))));
  };
}
