import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import sesModule from 'aws-ses-v2-local';

export interface SesLocal {
  /** Base URL for the SES client (`endpoint`) and for the emulator's `/store`. */
  endpoint: string;
  stop: () => Promise<void>;
}

type StartSes = typeof sesModule;

/**
 * The emulator is CommonJS with `exports.default`; Node's ESM loader (tsx, Jest) hands over the
 * whole `module.exports`, a bundler-style loader the function itself. Accept both.
 */
const startEmulator: StartSes =
  (sesModule as unknown as { default?: StartSes }).default ?? (sesModule as unknown as StartSes);

/** Closes a server including its idle keep-alive sockets, so `stop()` does not hang. */
export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });

/**
 * Starts the SES emulator (aws-ses-v2-local, speaks SES v1 and v2) in this process. Port 0 picks
 * a free port. The emulator keeps its messages in module memory, so there is one store per
 * process (per test file under Jest).
 */
export const startSesLocal = async (port: number, host = '127.0.0.1'): Promise<SesLocal> => {
  const server = await startEmulator({ host, port });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return { endpoint: `http://${host}:${actualPort}`, stop: () => closeServer(server) };
};

/** The emulator in a child process (`local/ses-process.ts`): its pid can be paused and resumed. */
export interface SesProcess extends SesLocal {
  pid: number;
}

/**
 * Starts `local/ses-process.ts` under tsx on a free port and resolves once it listens. Its
 * messages live in that process, so the outbox reads them over HTTP as it does in process.
 */
export const spawnSesLocal = async (): Promise<SesProcess> => {
  const script = fileURLToPath(new URL('./ses-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  const endpoint = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line).endpoint))),
    exited.then((code) =>
      Promise.reject(new Error(`the SES emulator process exited (${code}) before listening`)),
    ),
  ]);
  lines.close();
  return {
    endpoint,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode !== null) return;
      // A paused process does not act on SIGTERM until it runs again.
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
    },
  };
};
