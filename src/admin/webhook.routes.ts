import type { WebhookEndpoints } from '../events/webhook-endpoints.service';
import { deliveriesQuery, presentDelivery, presentEndpoint, replay, rotateSecret, webhookCreate, webhookUpdate } from './event-inputs';
import { refuseLongIdParams } from './request-guards';
import type { RouteKit } from './router';

const READ = 'api.webhook.read';
const WRITE = 'api.webhook.write';

/** /orgs/:org/webhooks: HTTP in, calls of the endpoints service, presented documents out. */
export function webhookRoutes(kit: RouteKit, endpoints: WebhookEndpoints): void {
  const { router, route, ctxOf, orgOf, param } = kit;
  refuseLongIdParams(router, ['deliveryId']);
  const base = '/orgs/:org/webhooks';

  router.post(base, route(WRITE, async (req, res) => {
    const { endpoint, secret } = await endpoints.create(ctxOf(req, res), webhookCreate.parse(req.body));
    res.status(201);
    // The signing secret is shown here and after a rotation, never again.
    return { ...presentEndpoint(endpoint), secret };
  }));

  router.get(base, route(READ, async (_req, res) => {
    const now = new Date();
    return { webhooks: (await endpoints.list(orgOf(res))).map((e) => presentEndpoint(e, now)) };
  }));

  router.get(`${base}/:id`, route(READ, async (req, res) => presentEndpoint(await endpoints.get(orgOf(res), param(req, 'id')))));

  router.patch(`${base}/:id`, route(WRITE, async (req, res) =>
    presentEndpoint(await endpoints.update(ctxOf(req, res), param(req, 'id'), webhookUpdate.parse(req.body)))));

  router.delete(`${base}/:id`, route(WRITE, async (req, res) => {
    await endpoints.remove(ctxOf(req, res), param(req, 'id'));
    res.status(204).end();
  }));

  router.post(`${base}/:id/rotate-secret`, route(WRITE, async (req, res) => {
    const body = rotateSecret.parse(req.body ?? {});
    const { endpoint, secret } = await endpoints.rotateSecret(ctxOf(req, res), param(req, 'id'), body.overlapSeconds);
    return { ...presentEndpoint(endpoint), secret };
  }));

  router.post(`${base}/:id/test`, route(WRITE, async (req, res) => {
    const out = await endpoints.sendTest(ctxOf(req, res), param(req, 'id'));
    res.status(202);
    return out;
  }));

  router.get(`${base}/:id/deliveries`, route(READ, async (req, res, q) => {
    const list = await endpoints.deliveries(orgOf(res), param(req, 'id'), { limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(q.before ? { before: q.before } : {}) });
    const last = list[list.length - 1];
    // A full page may have more behind it: `next` is the `before` of the next page.
    return { deliveries: list.map(presentDelivery), next: list.length === q.limit && last ? last.seq : null };
  }, deliveriesQuery));

  router.post(`${base}/:id/deliveries/:deliveryId/redeliver`, route(WRITE, async (req, res) => {
    const d = await endpoints.redeliver(ctxOf(req, res), param(req, 'id'), param(req, 'deliveryId'));
    res.status(202);
    return presentDelivery(d);
  }));

  router.post(`${base}/:id/replay`, route(WRITE, async (req, res) => {
    const out = await endpoints.replay(ctxOf(req, res), param(req, 'id'), replay.parse(req.body));
    res.status(202);
    return out;
  }));
}
