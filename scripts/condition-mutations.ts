/**
 * `npm run mutate:conditions [-- id ...]`: hand-written mutations of what Stryker cannot reach,
 * the DynamoDB condition and update expressions (strings it can only blank whole) and a few
 * expressions whose meaning a generic mutator misses. Each one is applied to a temporary copy of
 * the working tree, the test files that should notice it run there against one shared DynamoDB
 * Local, and the outcome (killed: some test failed; survived: all passed) goes into
 * docs/MUTATION.md between the `conditions` markers, with the commit it was measured on.
 *
 * A condition is "dropped" by OR-ing it with `attribute_exists(pk)`, which every update of an
 * existing item satisfies, so its placeholders stay in use (DynamoDB refuses unused ones, which
 * would kill the mutant for the wrong reason).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startDynamoLocal } from '../local/dynamo-local';

interface Mutation {
  id: string;
  file: string;
  original: string;
  mutated: string;
  why: string;
  tests: string[];
}

const ENGINE = 'test/integration/engine';
const RACES = 'test/integration/engine/races.test.ts';
const EXACT = 'test/integration/engine/exact-values.test.ts';
const ALWAYS = 'attribute_exists(pk)';
const CAPILLARY_AUTH = 'test/integration/dialects/capillary-auth.test.ts';

export const MUTATIONS: Mutation[] = [
  {
    id: 'reserve-no-attempt-limit',
    file: 'shared/store/challenges.ts',
    original:
      "ConditionExpression: and(LIVE, UNDER_ATTEMPTS),\n    ExpressionAttributeValues: marshall({ ':one': 1,",
    mutated: `ConditionExpression: and(LIVE, \`\${UNDER_ATTEMPTS} OR ${ALWAYS}\`),\n    ExpressionAttributeValues: marshall({ ':one': 1,`,
    why: 'a guess is compared past maxAttemptsPerCode (brute force of a code)',
    tests: [`${ENGINE}/attempts.test.ts`],
  },
  {
    id: 'reserve-on-consumed-code',
    file: 'shared/store/challenges.ts',
    original:
      "ConditionExpression: and(LIVE, UNDER_ATTEMPTS),\n    ExpressionAttributeValues: marshall({ ':one': 1,",
    mutated:
      "ConditionExpression: and('attribute_exists(pk)', 'expiresAt > :now', UNDER_ATTEMPTS),\n    ExpressionAttributeValues: marshall({ ':one': 1,",
    why: 'the wrong-guess counter without attribute_not_exists(consumedAt): a guess after the code was used is compared and charged to the recipient (guess vs consume)',
    tests: [RACES, `${ENGINE}/attempts.test.ts`],
  },
  {
    id: 'reserve-on-expired-code',
    file: 'shared/store/challenges.ts',
    original:
      "ConditionExpression: and(LIVE, UNDER_ATTEMPTS),\n    ExpressionAttributeValues: marshall({ ':one': 1,",
    mutated: `ConditionExpression: and('attribute_exists(pk)', 'attribute_not_exists(consumedAt)', 'expiresAt > :now OR ${ALWAYS}', UNDER_ATTEMPTS),\n    ExpressionAttributeValues: marshall({ ':one': 1,`,
    why: 'an expired code (TTL not yet run) still verifies',
    tests: [`${ENGINE}/expiry-and-resend.test.ts`],
  },
  {
    id: 'refund-other-code',
    file: 'shared/store/challenges.ts',
    original: "ConditionExpression: and(SAME_CODE, 'attempts > :zero'),",
    mutated: `ConditionExpression: and(\`\${SAME_CODE} OR ${ALWAYS}\`, 'attempts > :zero'),`,
    why: 'the refund of a guess refused by a locked recipient lands on the code that replaced it (guess vs replace): the new code gets an attempt back it never spent',
    tests: [RACES],
  },
  {
    id: 'refund-below-zero',
    file: 'shared/store/challenges.ts',
    original: "ConditionExpression: and(SAME_CODE, 'attempts > :zero'),",
    mutated: `ConditionExpression: and(SAME_CODE, 'attempts > :zero OR ${ALWAYS}'),`,
    why: 'a refund could take attempts below zero',
    tests: [RACES, `${ENGINE}/attempts.test.ts`],
  },
  {
    id: 'consume-twice',
    file: 'shared/store/challenges.ts',
    original: "ConditionExpression: and(SAME_CODE, 'attribute_not_exists(consumedAt)'),",
    mutated: `ConditionExpression: and(SAME_CODE, 'attribute_not_exists(consumedAt) OR ${ALWAYS}'),`,
    why: 'two right guesses reserved before either consumed both succeed (single use)',
    tests: [RACES, 'test/security/races.test.ts'],
  },
  {
    id: 'consume-other-code',
    file: 'shared/store/challenges.ts',
    original: "ConditionExpression: and(SAME_CODE, 'attribute_not_exists(consumedAt)'),",
    mutated: `ConditionExpression: and(\`\${SAME_CODE} OR ${ALWAYS}\`, 'attribute_not_exists(consumedAt)'),`,
    why: 'a right guess of a code that expired and was replaced meanwhile consumes the new code (guess vs replace)',
    tests: [RACES],
  },
  {
    id: 'resend-locked-code',
    file: 'shared/store/challenges.ts',
    original: "'lastSentAt <= :gapEdge',\n      UNDER_ATTEMPTS,",
    mutated: `'lastSentAt <= :gapEdge',\n      \`\${UNDER_ATTEMPTS} OR ${ALWAYS}\`,`,
    why: 'a resend races wrong guesses that lock the code: a paid SMS for a code that can no longer verify (resend vs lock)',
    tests: [RACES],
  },
  {
    id: 'resend-consumed-code',
    file: 'shared/store/challenges.ts',
    original: 'SAME_CODE,\n      LIVE,',
    mutated: "SAME_CODE,\n      and('attribute_exists(pk)', 'expiresAt > :now'),",
    why: 'a resend races the right guess that consumes the code: a paid SMS for a used code (resend vs verify)',
    tests: [RACES],
  },
  {
    id: 'resend-other-code',
    file: 'shared/store/challenges.ts',
    original: 'SAME_CODE,\n      LIVE,',
    mutated: `\`\${SAME_CODE} OR ${ALWAYS}\`,\n      LIVE,`,
    why: 'a resend counted on a code that replaced the one it read, and sending the old code',
    tests: [RACES],
  },
  {
    id: 'resend-no-gap',
    file: 'shared/store/challenges.ts',
    original: "'lastSentAt <= :gapEdge',",
    mutated: `'lastSentAt <= :gapEdge OR ${ALWAYS}',`,
    why: 'parallel resends all pass the resend gap',
    tests: ['test/security/races.test.ts', `${ENGINE}/expiry-and-resend.test.ts`],
  },
  {
    id: 'resend-no-send-limit',
    file: 'shared/store/challenges.ts',
    original: "'sendCount < :maxSends',\n",
    mutated: `'sendCount < :maxSends OR ${ALWAYS}',\n`,
    why: 'parallel resends pass maxSendsPerCode',
    tests: ['test/security/races.test.ts', `${ENGINE}/expiry-and-resend.test.ts`],
  },
  {
    id: 'fresh-replaces-live',
    file: 'shared/store/challenges.ts',
    original: 'ConditionExpression: not(LIVE),',
    mutated: `ConditionExpression: \`\${not(LIVE)} OR ${ALWAYS} OR attribute_not_exists(pk)\`,`,
    why: 'a generate replaces the live code (resets its attempts)',
    tests: [`${ENGINE}/attempts.test.ts`, `${ENGINE}/expiry-and-resend.test.ts`],
  },
  {
    id: 'undo-resend-other-code',
    file: 'shared/store/challenges.ts',
    original:
      "ConditionExpression: SAME_CODE,\n          ExpressionAttributeValues: marshall({\n            ':one': 1,",
    mutated: `ConditionExpression: \`\${SAME_CODE} OR ${ALWAYS}\`,\n          ExpressionAttributeValues: marshall({\n            ':one': 1,`,
    why: 'the rollback of an undelivered resend un-counts a code that replaced it',
    tests: [RACES],
  },
  {
    id: 'undo-fresh-other-code',
    file: 'shared/store/challenges.ts',
    original:
      "ConditionExpression: SAME_CODE,\n          ExpressionAttributeValues: marshall({ ':id': item.id }),",
    mutated: `ConditionExpression: \`\${SAME_CODE} OR ${ALWAYS}\`,\n          ExpressionAttributeValues: marshall({ ':id': item.id }),`,
    why: 'the rollback of an undelivered fresh code deletes a code that replaced it',
    tests: [RACES],
  },
  {
    id: 'ttl-before-expiry',
    file: 'shared/engine/issue.ts',
    original: 'ttl: Math.ceil((now + ttlSeconds * 1000) / 1000) + 60,',
    mutated: 'ttl: Math.ceil(now / 1000) + 60,',
    why: 'AWS TTL could delete a live code, and with it its attempt count (DynamoDB Local runs no TTL)',
    tests: [EXACT],
  },
  {
    id: 'binding-first-key-only',
    file: 'shared/engine/verify.ts',
    original: 'entries.every(([k, v])',
    mutated: 'entries.slice(0, 1).every(([k, v])',
    why: 'a binding of two keys compares only its first',
    tests: [EXACT],
  },
  {
    id: 'velocity-prefix-longer',
    file: 'shared/engine/plan.ts',
    original: 'slice(0, policy.velocityPrefixDigits)',
    mutated: 'slice(0, policy.velocityPrefixDigits + 1)',
    why: 'prefix buckets ten times finer: a pumping run over a number range slips under the limit',
    tests: [EXACT, `${ENGINE}/sms-pumping.test.ts`],
  },
  {
    id: 'breaker-first-phone-country',
    file: 'shared/engine/plan.ts',
    original: 'add(breakers, countryPk(tenantId, trust, d.phone.region));',
    mutated:
      "add(breakers, countryPk(tenantId, trust, (deliveries.find((x) => x.channel !== 'EMAIL') as typeof d).phone.region ?? d.phone.region));",
    why: "the breaker charged the country of the request's first (subject's) number instead of the country each SMS goes to",
    tests: [EXACT, `${ENGINE}/sms-pumping.test.ts`],
  },
  {
    id: 'failure-counter-no-lock',
    file: 'shared/store/counters.ts',
    original: "and(\n    below('failures', ':maxFailures'),\n    ...(trust",
    mutated: `and(\n    \`\${below('failures', ':maxFailures')} OR ${ALWAYS} OR attribute_not_exists(pk)\`,\n    ...(trust`,
    why: 'the daily failure lock of a recipient never refuses',
    tests: [`${ENGINE}/attempts.test.ts`],
  },
  {
    id: 'breaker-never-opens',
    file: 'shared/store/pumping.ts',
    original: "or(hasRoom('sends', ':edge', edge), 'balance >= :zero')",
    mutated: `or(hasRoom('sends', ':edge', edge), 'balance >= :zero', '${ALWAYS}')`,
    why: 'the conversion breaker never opens',
    tests: [`${ENGINE}/sms-pumping.test.ts`],
  },
  {
    id: 'session-never-expires',
    file: 'shared/store/capillary-auth-sessions.ts',
    original: "ConditionExpression: and('#expiresAt > :now',",
    mutated: `ConditionExpression: and('#expiresAt > :now OR ${ALWAYS}',`,
    why: 'capillary-auth sends and validates on a session past its 15 minutes (the session check is a ConditionCheck in the engine transaction)',
    tests: [CAPILLARY_AUTH],
  },
  {
    id: 'session-any-identifier',
    file: 'shared/store/capillary-auth-sessions.ts',
    original: `...fields.map((f) => \`#\${f} = :\${f}\`)`,
    mutated: `...fields.map((f) => (f === 'identifierHash' ? \`#\${f} = :\${f} OR ${ALWAYS}\` : \`#\${f} = :\${f}\`))`,
    why: "a capillary-auth session opened for one number sends a code to any other number (anonymous: a session becomes a free SMS to anyone) and validates it as that number's login",
    tests: [CAPILLARY_AUTH],
  },
  {
    id: 'session-any-device',
    file: 'shared/store/capillary-auth-sessions.ts',
    original: "'#deviceId = :deviceId']",
    mutated: `'#deviceId = :deviceId OR ${ALWAYS}']`,
    why: "a mobile capillary-auth session is used from another device (the session's device binding)",
    tests: [CAPILLARY_AUTH],
  },
  {
    id: 'session-end-unchecked',
    file: 'shared/store/capillary-auth-sessions.ts',
    original:
      'Delete: { TableName: ref.tableName, Key: sessionKey(claim.id), ...sessionCondition(claim, now) },',
    mutated: 'Delete: { TableName: ref.tableName, Key: sessionKey(claim.id) },',
    why: "a right guess is answered with a token although its session ended meanwhile (the session's delete carries the check at a right guess)",
    tests: [CAPILLARY_AUTH],
  },
];

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const chosen = only.length > 0 ? MUTATIONS.filter((m) => only.includes(m.id)) : MUTATIONS;

/** The working tree (tracked and new files, not ignored ones) copied to a temporary directory. */
const copyTree = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'otp-conditions-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root })
    .toString()
    .split('\0')
    .filter((f) => f && f !== 'node_modules');
  for (const f of files) {
    try {
      cpSync(path.join(root, f), path.join(dir, f), { recursive: false });
    } catch {
      // a file deleted in the working tree but still tracked
    }
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
};

const runTests = (dir: string, tests: string[], endpoint: string): boolean => {
  const out = spawnSync(
    'npx',
    ['jest', '-c', 'jest.mutate.config.js', '--bail', '--ci', '--silent', ...tests],
    {
      cwd: dir,
      env: {
        ...process.env,
        JEST_DYNAMODB_ENDPOINT: endpoint,
        NODE_OPTIONS: '--experimental-vm-modules --no-warnings',
      },
      encoding: 'utf8',
    },
  );
  return out.status === 0;
};

const dynamo = process.env.JEST_DYNAMODB_ENDPOINT ? undefined : await startDynamoLocal(await freePort());
const endpoint = process.env.JEST_DYNAMODB_ENDPOINT ?? dynamo?.endpoint ?? '';
const dir = copyTree();
const rows: string[] = [];
let killed = 0;
try {
  for (const m of chosen) {
    const file = path.join(dir, m.file);
    const source = readFileSync(file, 'utf8');
    const at = source.indexOf(m.original);
    let outcome: string;
    if (at < 0 || source.indexOf(m.original, at + 1) >= 0) {
      outcome = at < 0 ? 'not applied (original text not found)' : 'not applied (original text not unique)';
    } else {
      writeFileSync(file, source.slice(0, at) + m.mutated + source.slice(at + m.original.length));
      try {
        outcome = runTests(dir, m.tests, endpoint) ? 'SURVIVED' : 'killed';
      } finally {
        writeFileSync(file, source);
      }
    }
    if (outcome === 'killed') killed++;
    console.log(`${outcome.padEnd(9)} ${m.id}`);
    rows.push(
      `| \`${m.id}\` | \`${m.file}\` | ${m.why} | ${m.tests.map((t) => `\`${path.relative('test', t)}\``).join(', ')} | ${outcome} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await dynamo?.stop();
}

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
const dirty = execFileSync('git', ['status', '--porcelain', '--', 'shared', 'test'], { cwd: root })
  .toString()
  .trim();
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on commit \`${commit}\`${dirty ? ' (with uncommitted changes)' : ''}: ${killed} of ${chosen.length} killed${only.length > 0 ? ` (only ${only.join(', ')})` : ''}.`,
  '',
  '| mutation | file | what it would let through | tests run | outcome |',
  '| --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
const doc = path.join(root, 'docs/MUTATION.md');
const text = readFileSync(doc, 'utf8');
const start = '<!-- conditions:start -->';
const end = '<!-- conditions:end -->';
if (only.length === 0 && text.includes(start) && text.includes(end)) {
  writeFileSync(
    doc,
    `${text.slice(0, text.indexOf(start) + start.length)}\n${table}\n${text.slice(text.indexOf(end))}`,
  );
} else {
  console.log(table);
}
process.exit(killed === chosen.length ? 0 : 1);
