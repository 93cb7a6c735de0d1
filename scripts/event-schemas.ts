/**
 * `npm run schemas`: writes the JSON Schema of every lifecycle event to `schemas/events/`, from
 * the zod definitions in shared/events/schema.ts. test/unit/event-schemas.test.ts fails when the
 * committed files differ from what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { EVENT_TYPES, jsonSchemaOf } from '../shared/events/schema';

const dir = new URL('../schemas/events/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const type of EVENT_TYPES) {
  writeFileSync(new URL(`${type}.json`, dir), `${JSON.stringify(jsonSchemaOf(type), null, 2)}\n`);
}
console.log(`wrote ${EVENT_TYPES.length} schemas to schemas/events/`);
