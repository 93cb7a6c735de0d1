/**
 * The SES emulator as a process of its own (`npm run ses-local [-- PORT]`), so it can fail on its
 * own: the fault tests pause it with SIGSTOP and resume it with SIGCONT, as a hung SES would
 * behave, while the server keeps running. Prints one JSON line `{"endpoint": "http://…"}` once it
 * listens; SIGTERM stops it. `npm start` keeps its emulator in process.
 */
import { startSesLocal } from './ses-local';

const port = Number(process.argv[2] ?? process.env.SES_PORT ?? 0);
const ses = await startSesLocal(port);
process.stdout.write(`${JSON.stringify({ endpoint: ses.endpoint })}\n`);
process.once('SIGTERM', () => {
  void ses.stop().finally(() => process.exit(0));
});
