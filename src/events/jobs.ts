/** The events queue: job names and payloads (ids only; the worker re-reads state). */
export const EVENTS_QUEUE = 'events';

export interface EventJobPayloads {
  /** Move an organization's drafts into the log, in order, and fan them out to its endpoints. */
  sequence: { orgId: string };
  /** Send one delivery (one event to one endpoint); the attempt number keeps retries distinct jobs. */
  deliver: { deliveryId: string; attempt?: number };
}

export type EventJobName = keyof EventJobPayloads;

/** BullMQ custom job ids may not contain ':'. */
export const deliverJobId = (deliveryId: string, attempt: number): string => `dlv-${deliveryId}-a${attempt}`;
