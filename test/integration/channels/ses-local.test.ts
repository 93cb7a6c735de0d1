import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../../local/dynamo-local';
import { type SesLocal, startSesLocal } from '../../../local/ses-local';
import { createAwsSenders } from '../../../shared/channels/aws';
import type { OutboundMessage } from '../../../shared/channels/types';

interface StoredEmail {
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

let ses: SesLocal;
let endpoint: string;

beforeAll(async () => {
  // The emulator (aws-ses-v2-local) runs in this process, on its own free port.
  ses = await startSesLocal(await freePort());
  endpoint = ses.endpoint;
});

afterAll(async () => {
  await ses?.stop();
});

const storedEmails = async (): Promise<StoredEmail[]> => {
  const response = await fetch(`${endpoint}/store`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { emails: StoredEmail[] }).emails;
};

const email = (overrides: Partial<OutboundMessage>): OutboundMessage => ({
  channel: 'EMAIL',
  tenantId: 'tenant-a',
  to: 'tom@example.org',
  subject: 'Your verification code',
  text: 'Your code is 493817. It expires in 10 minutes.',
  code: '493817',
  settings: {},
  ...overrides,
});

describe('channels/aws', () => {
  describe('EMAIL through the real SES client', () => {
    it('delivers subject and text body to the local SES emulator', async () => {
      const { EMAIL } = createAwsSenders({ sesFrom: 'no-reply@example.com', sesEndpoint: endpoint });

      await EMAIL?.(email({ to: 'first@example.org' }));

      const mails = (await storedEmails()).filter((m) => m.destination.to.includes('first@example.org'));
      expect(mails).toHaveLength(1);
      expect(mails[0]).toMatchObject({
        from: 'no-reply@example.com',
        destination: { to: ['first@example.org'] },
        subject: 'Your verification code',
        body: { text: 'Your code is 493817. It expires in 10 minutes.' },
      });
    });

    it("sends from the tenant's address when the tenant sets one", async () => {
      const { EMAIL } = createAwsSenders({ sesFrom: 'no-reply@example.com', sesEndpoint: endpoint });

      await EMAIL?.(email({ to: 'second@example.org', settings: { email: { from: 'otp@acme.test' } } }));

      const mails = (await storedEmails()).filter((m) => m.destination.to.includes('second@example.org'));
      expect(mails.map((m) => m.from)).toEqual(['otp@acme.test']);
    });

    it('rejects when SES refuses the message', async () => {
      const { EMAIL } = createAwsSenders({ sesFrom: 'no-reply@example.com', sesEndpoint: endpoint });

      // The emulator, like SES, refuses a message without a subject.
      await expect(EMAIL?.(email({ subject: '' }))).rejects.toThrow();
    });

    describe('EMAIL with an HTML part, through the real SES client', () => {
      it('sends multipart text and HTML, the text part as the template gave it', async () => {
        const { EMAIL } = createAwsSenders({ sesFrom: 'no-reply@example.com', sesEndpoint: endpoint });

        await EMAIL?.(
          email({ to: 'html-given@example.org', text: 'Code 493817', html: '<p>Code <b>493817</b></p>' }),
        );

        const mails = (await storedEmails()).filter((m) =>
          m.destination.to.includes('html-given@example.org'),
        );
        expect(mails.map((m) => m.body)).toEqual([
          { text: 'Code 493817', html: '<p>Code <b>493817</b></p>' },
        ]);
      });

      it('derives the text part from the HTML when the template has no text body', async () => {
        const { EMAIL } = createAwsSenders({ sesFrom: 'no-reply@example.com', sesEndpoint: endpoint });
        const html =
          '<h1>Sign in</h1><p>Your code is <b>493817</b>.</p><p><a href="https://example.com/help">Help</a></p><img src="cid:logo" alt="Acme">';

        await EMAIL?.(email({ to: 'html-derived@example.org', text: '', html }));

        const mails = (await storedEmails()).filter((m) =>
          m.destination.to.includes('html-derived@example.org'),
        );
        expect(mails[0]?.body.html).toBe(html);
        expect(mails[0]?.body.text).toBe(
          'SIGN IN\n\nYour code is 493817.\n\nHelp [https://example.com/help]',
        );
      });
    });
  });
});
