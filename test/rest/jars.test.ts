/**
 * The `/jars` routes of a real JobManager process: upload, list, run and delete, and every kind
 * of bad request answered with Flink's `{"errors": [...]}` and a 4xx — never a crash.
 */
import t from 'tap';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../cli/helpers.js';
import { startNode } from '../helpers/process.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(url: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

function form(part: string, code: string, fileName = 'job.mjs'): FormData {
  const data = new FormData();
  data.append(part, new Blob([code], { type: 'text/javascript' }), fileName);
  return data;
}

const rpcPort = await freePort();
const restPort = await freePort();
const jm = startNode(t, MAIN, [
  'jobmanager',
  '-D', 'jobmanager.rpc.address=127.0.0.1',
  '-D', `jobmanager.rpc.port=${rpcPort}`,
  '-D', `rest.port=${restPort}`,
  '-D', 'rest.server.max-content-length=4096',
]);
await jm.waitForLine(/REST API listening on port/);
const base = `http://127.0.0.1:${restPort}`;

async function upload(code: string, fileName?: string): Promise<string> {
  const answer = await call(`${base}/jars/upload`, { method: 'POST', body: form('jarfile', code, fileName) });
  if (answer.status !== 200) throw new Error(`upload failed: ${JSON.stringify(answer)}`);
  return String(answer.body['filename']).split('/').pop()!;
}

t.test('an uploaded bundle is listed, runs only with a valid request, and can be deleted', async (t) => {
  const answer = await call(`${base}/jars/upload`, { method: 'POST', body: form('jarfile', 'export {};\n', '../../evil name.mjs') });
  t.equal(answer.status, 200);
  t.match(answer.body, { status: 'success', filename: /\/[0-9a-f-]{36}_evil_name\.mjs$/ }, 'the file name is reduced to a safe one');
  const jarId = String(answer.body['filename']).split('/').pop()!;

  const list = await call(`${base}/jars`);
  t.equal(list.status, 200);
  t.match(list.body, { address: `http://127.0.0.1:${restPort}`, files: [{ id: jarId, name: 'evil_name.mjs', uploaded: Number }] });

  const run = (body: string, contentType = 'application/json') =>
    call(`${base}/jars/${jarId}/run`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const badJson = await run('{"programArgsList": [');
  t.equal(badJson.status, 400);
  t.match(badJson.body, { errors: [/^The request body is not valid JSON/] });
  t.match(await run('[1, 2]'), { status: 400, body: { errors: [/must be a JSON object/] } });
  t.match(await run('{"programArgsList": "--input x"}'), { status: 400, body: { errors: [/'programArgsList' must be an array of strings/] } });
  t.match(await run('{"parallelism": 0}'), { status: 400, body: { errors: [/'parallelism' must be a positive integer/] } });
  t.match(await run('{"jobId": "nope"}'), { status: 400, body: { errors: [/'jobId' must be a job id/] } });
  t.match(await run('{"flinkConfiguration": {"parallelism.default": 2}}'), { status: 400, body: { errors: [/'flinkConfiguration' must be an object of string values/] } });
  const missing = join(t.testdir(), 'no-such-savepoint');
  t.match(await run(JSON.stringify({ savepointPath: missing })), { status: 400, body: { errors: [new RegExp(`No checkpoint or savepoint at '${missing}'`)] } });
  const corrupt = t.testdir({ _metadata: 'definitely not a checkpoint' });
  t.match(await run(JSON.stringify({ savepointPath: corrupt })), { status: 400, body: { errors: [/corrupt|not a Runnel checkpoint/] } });
  t.match(await run('{}'), { status: 400, body: { errors: [/^The program's main method failed: Error: the job module finished without calling execute\(\)/] } });

  t.equal((await call(`${base}/jars/${jarId}`, { method: 'DELETE' })).status, 200);
  t.same((await call(`${base}/jars`)).body['files'], []);
  const again = await call(`${base}/jars/${jarId}`, { method: 'DELETE' });
  t.equal(again.status, 404);
  t.match(again.body, { errors: [/^Jar file '.*' not found/] });
});

t.test('bad uploads are 4xx with a message naming the problem', async (t) => {
  const json = await call(`${base}/jars/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(json.status, 415);
  t.match(json.body, { errors: [/^Expected a multipart\/form-data request with the job bundle in part 'jarfile', got content type 'application\/json'/] });

  const none = await call(`${base}/jars/upload`, { method: 'POST' });
  t.equal(none.status, 415, 'no body, no content type');

  const wrongPart = await call(`${base}/jars/upload`, { method: 'POST', body: form('file', 'export {};\n') });
  t.equal(wrongPart.status, 400);
  t.match(wrongPart.body, { errors: ["The multipart request has no file part named 'jarfile': send the job bundle in part 'jarfile'."] });

  const fieldOnly = new FormData();
  fieldOnly.append('jarfile', 'not a file');
  t.match(await call(`${base}/jars/upload`, { method: 'POST', body: fieldOnly }), { status: 400, body: { errors: [/no file part named 'jarfile'/] } });

  const truncated = await call(`${base}/jars/upload`, {
    method: 'POST',
    headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    body: '--xyz\r\nContent-Disposition: form-data; name="jarfile"; filename="a.mjs"\r\n\r\nexport {};\r\n',
  });
  t.equal(truncated.status, 400);
  t.match(truncated.body, { errors: [/^Malformed multipart request: /] });

  const noBoundary = await call(`${base}/jars/upload`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; charset=utf-8' }, body: 'x' });
  t.equal(noBoundary.status, 400);
  t.match(noBoundary.body, { errors: [/^Malformed multipart request: /] });

  const big = await call(`${base}/jars/upload`, { method: 'POST', body: form('jarfile', `// ${'x'.repeat(5000)}\n`) });
  t.equal(big.status, 413);
  t.match(big.body, { errors: ['The job bundle is larger than 4096 bytes (rest.server.max-content-length).'] });
  t.same((await call(`${base}/jars`)).body['files'], [], 'nothing is kept of a rejected upload');
});

t.test('unknown and malformed ids are 404 and 400', async (t) => {
  const unknown = '01234567-89ab-cdef-0123-456789abcdef_job.mjs';
  t.match(await call(`${base}/jars/${unknown}/run`, { method: 'POST', body: '{}' }), { status: 404, body: { errors: [/^Jar file '.*' not found/] } });
  t.match(await call(`${base}/jars/..%2F..%2Fetc%2Fpasswd/run`, { method: 'POST' }), { status: 404 });
  t.match(await call(`${base}/jobs/${'0'.repeat(32)}/execution-result`), { status: 404, body: { errors: [/not found/] } });
  t.match(await call(`${base}/jobs/not-a-job/execution-result`), { status: 400 });
});

t.test("a bundle whose main throws gives 400 naming the error and its stack, and the JobManager keeps serving", async (t) => {
  const jarId = await upload("function build() {\n  throw new TypeError('bad pipeline');\n}\nbuild();\n");
  const answer = await call(`${base}/jars/${jarId}/run`, { method: 'POST', body: JSON.stringify({ programArgsList: ['--x'] }) });
  t.equal(answer.status, 400);
  t.match(answer.body, { errors: [/^The program's main method failed: TypeError: bad pipeline\n\s+at build \(/] });
  t.equal((await call(`${base}/overview`)).status, 200);
  t.equal((await call(`${base}/jars/${jarId}`, { method: 'DELETE' })).status, 200);
});

t.test('the JobManager stops cleanly after all that', async (t) => {
  jm.kill('SIGTERM');
  t.equal(await jm.exited, 0);
});
