import { expect } from '@jest/globals';

/** SummitAI's envelope with `Errors` filled and nothing else, as every refusal answers. */
export const summitRefusal = (errors: string | RegExp) => ({
  Errors: typeof errors === 'string' ? errors : expect.stringMatching(errors),
  Message: '',
  Output: '',
  TokenID: '',
  OrgID: 0,
  OutputObject: null,
  OutputID: 0,
  Input: null,
});
