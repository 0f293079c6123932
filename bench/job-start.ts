/**
 * How long a job takes to be RUNNING after `runnel run -d` returns: starts a JobManager and two
 * TaskManagers (2 slots each) as processes on free ports, then, ROUNDS times, submits a
 * streaming job of parallelism 4 with `runnel run -d -p 4`, polls `GET /jobs/:jobid` every
 * POLL_MS until every subtask is RUNNING, and cancels it. Prints each round and
 * min/median/max (of the time after `run -d` returned, and after the JobManager accepted the
 * job: `run -d` returns later than that, see below); stops every process it started by pid.
 *
 *   node --import tsx bench/job-start.ts [--rounds 5] [--settle-ms 3000]
 *
 * `--settle-ms` is how long the cluster idles before each submission (after the previous job's
 * slots are free again), as a cluster between two jobs does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
const JOB = 'test/fixtures/jobs/rate-generator.ts';
const POLL_MS = 20;

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, 'settle-ms': { type: 'string', default: '3000' } } });
const rounds = Number(values.rounds);
const settleMs = Number(values['settle-ms']);

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | string>;
}

const started: Started[] = [];

function startNode(name: string, args: readonly string[]): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => output.push(s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => output.push(s));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const s = { name, child, output, exited };
  started.push(s);
  return s;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

async function json(url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `min ${s[0]!.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${s[s.length - 1]!.toFixed(0)} ms`;
}

async function stopAll(): Promise<void> {
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null && s.child.pid !== undefined) process.kill(s.child.pid, 'SIGTERM');
  }
  const codes = await Promise.race([Promise.all(started.map((s) => s.exited)), sleep(15_000).then(() => 'late' as const)]);
  if (codes === 'late') {
    for (const s of started) if (s.child.exitCode === null && s.child.pid !== undefined) process.kill(s.child.pid, 'SIGKILL');
  } else {
    started.forEach((s, i) => {
      if (codes[i] !== 0) console.log(`${s.name} exited with ${codes[i]}`);
    });
  }
}

const confDir = mkdtempSync(join(tmpdir(), 'runnel-bench-conf-'));
const blobDir = mkdtempSync(join(tmpdir(), 'runnel-bench-blob-'));
writeFileSync(join(confDir, 'config.yaml'), '');

try {
  const rpcPort = await freePort();
  const restPort = await freePort();
  const common = ['-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `jobmanager.rpc.port=${rpcPort}`, '-D', `blob.storage.directory=${blobDir}`];
  startNode('jobmanager', ['jobmanager', ...common, '-D', `rest.port=${restPort}`]);
  for (const i of [1, 2]) startNode(`taskmanager ${i}`, ['taskmanager', ...common, '-D', 'taskmanager.numberOfTaskSlots=2', '-D', 'taskmanager.host=127.0.0.1']);
  const base = `http://127.0.0.1:${restPort}`;
  await until('two registered TaskManagers', 30_000, async () => ((await json(`${base}/overview`))['taskmanagers'] === 2 ? true : undefined));
  await sleep(settleMs);

  const afterReturn: number[] = [];
  const submits: number[] = [];
  /** From the job's start-time on the JobManager (its submission) to all subtasks RUNNING. */
  const fromSubmission: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const t0 = performance.now();
    const cli = spawn(process.execPath, ['--import', 'tsx', MAIN, 'run', '-d', '-m', `127.0.0.1:${restPort}`, '-p', '4', JOB], {
      cwd: ROOT,
      env: { ...process.env, RUNNEL_CONF_DIR: confDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    cli.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    cli.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    const returned = performance.now();
    const jobId = /JobID ([0-9a-f]{32})/.exec(stdout)?.[1];
    if (code !== 0 || jobId === undefined) throw new Error(`runnel run -d failed (${code}):\n${stdout}${stderr}`);
    const jobStart = await until('every subtask RUNNING', 60_000, async () => {
      const job = await json(`${base}/jobs/${jobId}`);
      const vertices = job['vertices'] as Array<{ parallelism: number; tasks: Record<string, number> }>;
      return vertices.length > 0 && vertices.every((v) => v.tasks['RUNNING'] === v.parallelism) ? (job['start-time'] as number) : undefined;
    });
    const running = performance.now();
    submits.push(returned - t0);
    afterReturn.push(running - returned);
    fromSubmission.push(Date.now() - jobStart);
    console.log(
      `round ${round}: run -d took ${(returned - t0).toFixed(0)} ms; all subtasks RUNNING ${(running - returned).toFixed(0)} ms after it returned, ` +
        `${(Date.now() - jobStart).toFixed(0)} ms after the JobManager accepted the job`,
    );

    await json(`${base}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
    await until('the job CANCELED and its slots free', 30_000, async () => {
      const job = await json(`${base}/jobs/${jobId}`);
      const overview = await json(`${base}/overview`);
      return job['state'] === 'CANCELED' && overview['slots-available'] === 4 ? true : undefined;
    });
    await sleep(settleMs);
  }
  console.log(`run -d duration:                    ${stats(submits)}`);
  console.log(`RUNNING after run -d returned:      ${stats(afterReturn)}`);
  console.log(`RUNNING after the job was accepted: ${stats(fromSubmission)}`);
  console.log(`load average (1/5/15 min) at end:   ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} catch (err) {
  console.error(err);
  for (const s of started) console.error(`--- ${s.name}:\n${s.output.join('').slice(-4000)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
  rmSync(confDir, { recursive: true, force: true });
  rmSync(blobDir, { recursive: true, force: true });
}
