import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppDeps } from '../shared/app-deps';
import type { LambdaHandler } from '../shared/http/types';
import { DIALECTS, type DialectId } from '../shared/routes';

/** The repository root (this file is `local/dialects.ts`). */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What each `functions/<dialect>.ts` exports. */
interface DialectModule {
  createHandler: (deps: AppDeps) => LambdaHandler;
}

export interface LoadedDialects {
  /** The Lambda handler of every dialect whose function exists, built on the given deps. */
  handlers: Partial<Record<DialectId, LambdaHandler>>;
  /** Dialects whose function file does not exist yet. */
  skipped: DialectId[];
}

/**
 * Imports each dialect's Lambda module from the DIALECTS table and builds its handler on `deps`,
 * exactly as the Lambda would on its first invocation. A dialect whose entry file is missing is
 * skipped, so the server runs while dialects are still being written. Importing a module also
 * registers its OpenAPI schemas.
 */
export const loadDialects = async (deps: AppDeps): Promise<LoadedDialects> => {
  const handlers: Partial<Record<DialectId, LambdaHandler>> = {};
  const skipped: DialectId[] = [];
  for (const [id, dialect] of Object.entries(DIALECTS) as Array<[DialectId, (typeof DIALECTS)[DialectId]]>) {
    if (!existsSync(`${ROOT}${dialect.entry}`)) {
      skipped.push(id);
      continue;
    }
    // Relative to this file, so tsx and Jest both resolve it with their own loaders.
    const module = (await import(`../${dialect.entry}`)) as Partial<DialectModule>;
    if (typeof module.createHandler !== 'function') {
      throw new Error(`${dialect.entry} does not export createHandler(deps)`);
    }
    handlers[id] = module.createHandler(deps);
  }
  return { handlers, skipped };
};
