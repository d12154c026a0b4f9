import type { Provider } from './models';

/** Who is asking, always passed explicitly: nothing per-request lives on a shared object. */
export interface DirectoryContext {
  orgId: string;
  directoryId: string;
  provider: Provider;
  requestId?: string;
}
