import { describe, expect, it } from '@jest/globals';
import { TwilioServices } from '../../../shared/store/twilio-services';
import { countRequests, freshTable, localDynamo } from '../../support/harness';

/** The Twilio Verify Services store (shared/store/twilio-services.ts) against DynamoDB Local. */

const sid = (n: number) => `VA${n.toString(16).padStart(32, '0')}`;

const setUp = async (cacheSeconds = 60) => {
  const ddb = localDynamo();
  const tableName = await freshTable(ddb);
  const requests = countRequests(ddb);
  return { services: new TwilioServices(ddb, tableName, cacheSeconds), requests };
};

describe('store › Twilio Services', () => {
  it('creates a Service with its defaults and finds it for its tenant only', async () => {
    const { services } = await setUp();
    const created = await services.create('t1', sid(1), { friendlyName: 'Login' }, 1_000);
    expect(created).toEqual({
      sid: sid(1),
      tenantId: 't1',
      friendlyName: 'Login',
      codeLength: 6,
      customCodeEnabled: false,
      doNotShareWarningEnabled: false,
      dateCreated: 1_000,
      dateUpdated: 1_000,
    });
    await expect(services.get('t1', sid(1))).resolves.toEqual(created);
    await expect(services.get('t2', sid(1))).resolves.toBeUndefined();
  });

  it('never replaces a Service on create', async () => {
    const { services } = await setUp();
    await services.create('t1', sid(1), { friendlyName: 'First' }, 1_000);
    await expect(services.create('t1', sid(1), { friendlyName: 'Second' }, 2_000)).rejects.toThrow(
      `Service ${sid(1)} conflict`,
    );
    await expect(services.get('t1', sid(1))).resolves.toMatchObject({ friendlyName: 'First' });
  });

  it('reads nothing for a sid that is not one of ours', async () => {
    const { services, requests } = await setUp();
    for (const bad of [
      `${sid(1)}0`,
      `x${sid(1)}`,
      sid(1).replace('VA', 'va'),
      `VA${'A'.repeat(32)}`,
      'VA123',
    ]) {
      await expect(services.get('t1', bad)).resolves.toBeUndefined();
    }
    expect(requests.counts).toEqual({});
  });

  it('lists a tenant’s Services oldest first, up to the limit', async () => {
    const { services } = await setUp();
    // Created in an order that is not the order of their sids (the table's sort key).
    await services.create('t1', sid(1), { friendlyName: 'Third' }, 3_000);
    await services.create('t1', sid(3), { friendlyName: 'First' }, 1_000);
    await services.create('t1', sid(2), { friendlyName: 'Second' }, 2_000);
    await services.create('t2', sid(4), { friendlyName: 'Other tenant' }, 500);
    expect((await services.list('t1')).map((s) => s.friendlyName)).toEqual(['First', 'Second', 'Third']);
    expect(await services.list('t1', 2)).toHaveLength(2);
    expect(await services.list('t3')).toEqual([]);
  });

  it('caches a read, and forgets it when the Service is written', async () => {
    const { services, requests } = await setUp();
    await expect(services.get('t1', sid(1))).resolves.toBeUndefined();
    await services.create('t1', sid(1), { friendlyName: 'Login' }, 1_000);
    requests.reset();
    await expect(services.get('t1', sid(1))).resolves.toMatchObject({ friendlyName: 'Login' });
    await expect(services.get('t1', sid(1))).resolves.toMatchObject({ friendlyName: 'Login' });
    expect(requests.counts).toEqual({ GetItemCommand: 1 });
    const created = await services.get('t1', sid(1));
    if (!created) throw new Error('no Service');
    await services.save({ ...created, friendlyName: 'Renamed', dateUpdated: 2_000 });
    await expect(services.get('t1', sid(1))).resolves.toMatchObject({ friendlyName: 'Renamed' });
  });
});
