/**
 * Which address a TaskManager advertises when `taskmanager.host` is unset. Like Flink, the
 * address this machine uses to reach the JobManager: peers that reach the JobManager reach
 * that one too. For a JobManager on loopback that is the JobManager's own address (everything
 * runs on one machine); otherwise the local address of a route to it, and the host name only
 * when no route is known.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { isIP } from 'node:net';

function isLoopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === '::ffff:127.0.0.1';
}

/** Resolves `host`; an address of it that is loopback means the JobManager is on this machine. */
async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  return (await lookup(host, { all: true })).map((a) => a.address);
}

/** The local address of the route to `address` (a UDP connect sends nothing). */
function localAddressTowards(address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    // The port does not matter: no datagram is sent; connect only picks the route.
    socket.connect(9, address, () => {
      const local = socket.address().address;
      socket.close();
      resolve(local);
    });
  });
}

export async function defaultTaskManagerHost(jobManagerHost: string): Promise<string> {
  if (jobManagerHost === 'localhost') return jobManagerHost;
  try {
    const addresses = await addressesOf(jobManagerHost);
    if (addresses.some(isLoopbackAddress)) return jobManagerHost;
    const first = addresses[0];
    if (first !== undefined) return await localAddressTowards(first);
  } catch {
    // No route or no name resolution: fall back to the host name below.
  }
  return hostname();
}
