/**
 * A fake JobManager for `runnel run`: accepts any upload and run on a free port, records every
 * request with its raw body (multipart included), and answers as Flink's `/jars` routes do.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface RawRequest {
  readonly method: string;
  readonly url: string;
  readonly contentType: string;
  readonly body: string;
}

export interface FakeJobManager {
  /** `-m` value pointing at it. */
  readonly address: string;
  readonly requests: RawRequest[];
}

/** Starts the fake on a free port; it answers every run with `jobId` and is closed after the test. */
export async function fakeJobManager(t: Test, jobId: string): Promise<FakeJobManager> {
  const requests: RawRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      requests.push({ method: req.method ?? '', url, contentType: req.headers['content-type'] ?? '', body });
      const reply = url === '/jars/upload' ? { filename: '/tmp/blobStore-x/jars/1234_job.mjs', status: 'success' } : url.endsWith('/run') ? { jobid: jobId } : {};
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { address: `127.0.0.1:${port}`, requests };
}
