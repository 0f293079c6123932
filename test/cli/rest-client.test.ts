/** The REST client's handling of answers that are slow, malformed or errors. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { CliError, InvalidResponseError, JobManagerUnreachableError, RestApiError } from '../../src/cli/errors.js';
import { describeFailureCause, RestClient } from '../../src/cli/rest-client.js';
import { fakeRestServer, JOB_ID } from './helpers.js';

t.test('a request with no answer fails after the timeout naming the endpoint and the time', async (t) => {
  const server = createServer(() => {
    // never answers
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const client = new RestClient({ host: '127.0.0.1', port, requestTimeoutMs: 200 });
  const err = await client.listJobs().catch((e: unknown) => e);
  t.type(err, JobManagerUnreachableError);
  t.equal((err as JobManagerUnreachableError).reason, 'timed out');
  t.match((err as Error).message, `Could not connect to the JobManager at http://127.0.0.1:${port} (no answer within 200 ms)`);
});

t.test('an error status without a Flink error body still gives a message with the status', async (t) => {
  const server = await fakeRestServer(t, () => ({ status: 500, body: '<html>oops</html>' }));
  const err = await new RestClient({ host: '127.0.0.1', port: server.port }).cancelJob(JOB_ID).catch((e: unknown) => e);
  t.type(err, RestApiError);
  t.equal((err as RestApiError).status, 500);
  t.match((err as Error).message, `answered PATCH /jobs/${JOB_ID}?mode=cancel with HTTP 500`);
});

t.test('answers that do not match the REST API are rejected with what is missing', async (t) => {
  const server = await fakeRestServer(t, (req) =>
    req.url === '/jobs/overview' ? { status: 200, body: { jobs: 'none' } } : req.method === 'POST' ? { status: 202, body: {} } : { status: 200, body: 'not json' },
  );
  const client = new RestClient({ host: '127.0.0.1', port: server.port });
  const list = await client.listJobs().catch((e: unknown) => e);
  t.type(list, InvalidResponseError);
  t.match((list as Error).message, "GET /jobs/overview: no 'jobs' array");
  const trigger = await client.triggerSavepoint(JOB_ID, { cancelJob: false }).catch((e: unknown) => e);
  t.match((trigger as Error).message, "no 'request-id'");
  const status = await client.savepointStatus(JOB_ID, 'x').catch((e: unknown) => e);
  t.type(status, InvalidResponseError);
});

t.test('a savepoint still in progress after the wait limit fails with a pointer to its status', async (t) => {
  const server = await fakeRestServer(t, () => ({ status: 200, body: { status: { id: 'IN_PROGRESS' } } }));
  const client = new RestClient({ host: '127.0.0.1', port: server.port, pollIntervalMs: 10, maxPollIntervalMs: 20 });
  const err = await client.awaitSavepoint(JOB_ID, 'trigger', 100).catch((e: unknown) => e);
  t.type(err, CliError);
  t.match((err as Error).message, `was still in progress after 100 ms`);
  t.ok(server.requests.length >= 2, 'polled more than once');
});

t.test('failure causes read as their message, first stack line, class, or JSON', async (t) => {
  t.equal(describeFailureCause('plain'), 'plain');
  t.equal(describeFailureCause({ message: 'From a Runnel server' }), 'From a Runnel server');
  t.equal(describeFailureCause({ class: 'X', 'stack-trace': 'X: it broke\n\tat a' }), 'X: it broke');
  t.equal(describeFailureCause({ class: 'java.lang.IllegalStateException' }), 'java.lang.IllegalStateException');
  t.equal(describeFailureCause(42), '42');
});

t.test('IPv6 hosts are bracketed in the URL', async (t) => {
  t.equal(new RestClient({ host: '::1', port: 8081 }).baseUrl, 'http://[::1]:8081');
  t.equal(new RestClient({ host: 'jm.example', port: 8081 }).baseUrl, 'http://jm.example:8081');
});
