import type { ChannelType, OutboundMessage } from '../../../shared/channels/types';
import type { ChannelSettings } from '../../../shared/tenants';

/** One outbound message with test values; `overrides` replace any field. */
export const outbound = (
  channel: ChannelType,
  overrides: Partial<OutboundMessage> = {},
  settings: ChannelSettings = {},
): OutboundMessage => ({
  channel,
  tenantId: 'tenant-a',
  to: '+919876543219',
  text: 'Your code is 493817',
  code: '493817',
  settings,
  ...overrides,
});
