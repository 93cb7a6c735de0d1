// Preloaded with `node --import` into a tool that must work offline: every DNS lookup and
// outgoing connection throws, and is reported on stderr as `NETWORK BLOCKED <what>`.
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';

const block = (what) => {
  process.stderr.write(`NETWORK BLOCKED ${what}\n`);
  throw new Error(`network access blocked: ${what}`);
};
dns.lookup = (host) => block(`dns ${host}`);
dns.promises.lookup = async (host) => block(`dns ${host}`);
net.Socket.prototype.connect = function connect(...args) {
  const target = typeof args[0] === 'object' ? JSON.stringify(args[0]) : String(args[0]);
  return block(`connect ${target}`);
};
tls.connect = (...args) => block(`tls ${JSON.stringify(args[0])}`);
