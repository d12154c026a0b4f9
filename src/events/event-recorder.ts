import type { Model } from 'mongoose';
import { isDuplicateKey } from '../shared/mongo';
import type { EventDraft } from './event-types';

export type EventRecorder = ReturnType<typeof createEventRecorder>;

/**
 * What producers call, after their data write and before they answer: the drafts are durable when
 * this returns (one insert), and the sequencer is told. A draft whose id is already there (a retried
 * write, a re-run recompute) is the same event and is silently kept once.
 */
export function createEventRecorder(deps: { drafts: Model<EventDraft>; notify: (orgIds: string[]) => void }) {
  async function record(drafts: EventDraft[]): Promise<void> {
    if (drafts.length === 0) return;
    const unique = [...new Map(drafts.map((d) => [d._id, d])).values()];
    try {
      await deps.drafts.collection.insertMany(unique as never[], { ordered: false });
    } catch (err) {
      if (!onlyDuplicates(err)) throw err;
    }
    deps.notify(unique.map((d) => d.orgId));
  }

  return { record };
}

/** An unordered insert that failed only on ids already present (MongoBulkWriteError with code 11000 each). */
function onlyDuplicates(err: unknown): boolean {
  if (isDuplicateKey(err)) {
    const writeErrors = (err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }> }).writeErrors;
    if (!writeErrors) return true;
    return (Array.isArray(writeErrors) ? writeErrors : [writeErrors]).every((e) => (e.code ?? e.err?.code) === 11000);
  }
  return false;
}
