import type { Server } from 'node:http';
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
