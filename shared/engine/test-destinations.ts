import { InvalidInputError } from '../errors';
import type { Tenant } from '../tenants';
import type { IssueRequest } from './types';

/** How a generate is issued: an ordinary code, or a tenant's fixed test code. */
export type IssueMode = { test: false } | { test: true; code: string };

const fixedCodeOf = (tenant: Tenant, to: string): string | undefined =>
  tenant.testDestinations.find((t) => t.to === to)?.code;

/**
 * A subject that is itself an address (E.164 or e-mail), as opposed to a user id whose contact
 * the tenant keeps (SummitAI's `user:<LoginUID>`).
 */
const isAddress = (subject: string): boolean => subject.startsWith('+') || subject.includes('@');

/**
 * Whether a generate goes to the tenant's test destinations (README "Test destinations"). Entries
 * are stored in the form dialects hand destinations to the engine (E.164, `normalizeEmail`; checked
 * by `tenant put`), so the match is exact: no other spelling of a real number can hit an entry.
 *
 * A request is a test when every destination is listed and its subject is listed too, or is a
 * user id (whose contact the tenant chose). One that names a test destination beside anything
 * else is refused (`InvalidInputError('channel')`) rather than half-served: the fixed code must
 * never reach a real address, and a real subject must never be verifiable with a known code (a
 * v2 request for a customer's number with its channel pointed at a test number).
 */
export const issueModeOf = (req: IssueRequest): IssueMode => {
  const { tenant } = req;
  if (tenant.testDestinations.length === 0) return { test: false };
  const codes = req.deliveries.map((d) => fixedCodeOf(tenant, d.to));
  const subjectCode = fixedCodeOf(tenant, req.subject);
  const listed = [...codes, subjectCode].filter((c) => c !== undefined);
  if (listed.length === 0) return { test: false };
  if (codes.includes(undefined) || (subjectCode === undefined && isAddress(req.subject))) {
    throw new InvalidInputError(
      'channel',
      'A request that names a test destination must name test destinations only',
    );
  }
  const [code, ...others] = listed;
  if (code === undefined || others.some((c) => c !== code)) {
    throw new InvalidInputError('code', 'The test destinations of one request have different fixed codes');
  }
  return { test: true, code };
};
